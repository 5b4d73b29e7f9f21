"""The indicators report: the network's half-yearly figures, per community and
city-wide, with charts, a CSV export and a printable layout."""

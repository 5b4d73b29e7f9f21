"""Site-wide pages: the home page, error pages and response headers."""

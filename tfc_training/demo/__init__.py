"""Sample data for trying the site: the Los Angeles sample, shifted to next week."""

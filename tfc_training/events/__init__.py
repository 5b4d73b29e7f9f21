"""Community engagement events: the public pages, the import and the rules."""

"""Sign-up for events: capacity, waiting list, the registrant's own page."""

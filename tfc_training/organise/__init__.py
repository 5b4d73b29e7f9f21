"""Organiser tools: events, registrants, check-in at the door, export and import."""

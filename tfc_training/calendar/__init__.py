"""iCalendar feeds that calendar apps subscribe to."""

"""Links that add a feed or an event to the calendar apps people use."""

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import url_for

from ..events.models import Event

GOOGLE_CALENDAR = "https://calendar.google.com/calendar/render"
OUTLOOK_WEB = "https://outlook.live.com/calendar/0/addfromweb"


@dataclass(frozen=True)
class FeedLinks:
    """The ways to reach one feed: download, subscribe, or add to a web calendar."""

    https: str
    webcal: str
    google: str
    outlook_web: str


def feed_links(endpoint: str, name: str, **values) -> FeedLinks:
    """Build every link to the feed at ``endpoint``, as absolute URLs.

    Apple Calendar and desktop Outlook subscribe to ``webcal://``; Google Calendar
    and Outlook on the web take the ``https://`` address as a parameter.
    """
    https = url_for(endpoint, _external=True, **values)
    webcal = "webcal://" + https.split("://", 1)[1]
    google = f"{GOOGLE_CALENDAR}?{urlencode({'cid': https})}"
    outlook = f"{OUTLOOK_WEB}?{urlencode({'url': https, 'name': name})}"
    return FeedLinks(https=https, webcal=webcal, google=google, outlook_web=outlook)


def google_event_link(event: Event) -> str:
    """A Google Calendar link that opens the event, filled in, ready to save."""
    if event.all_day:
        dates = f"{event.start_date:%Y%m%d}/{event.local_end.date():%Y%m%d}"
    else:
        dates = f"{event.starts_at:%Y%m%dT%H%M%SZ}/{event.ends_at:%Y%m%dT%H%M%SZ}"

    place = ", ".join(p for p in (event.venue_name, event.venue_address) if p)
    params = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": dates,
        "ctz": event.timezone,
        "details": url_for("events.detail", slug=event.slug, _external=True),
        "location": place or event.online_url or "",
    }
    return f"{GOOGLE_CALENDAR}?{urlencode(params)}"

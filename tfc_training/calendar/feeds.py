"""Writing events as iCalendar (RFC 5545) for subscriptions, downloads and messages.

The builder is a pure function of the events it is given: it reads no clock, so a
feed whose events have not changed comes out byte for byte the same, and its ETag
with it. Nothing about the people who signed up is ever written, except the
reader's own address in a calendar e-mailed to them.
"""

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app, url_for
from flask_babel import gettext as _

from ..events.models import Event
from ..events.queries import EventFilter
from ..events.text import markdown_to_text
from ..vocabulary import EVENT_TYPES, LANGUAGES, SECTORS

PRODID = "-//TraffickFree Communities//tfc-training//EN"

#: How often calendar apps are asked to fetch a subscribed feed again.
REFRESH_INTERVAL = timedelta(hours=1)

#: Last-Modified of a feed with no events: a fixed instant, so that it never moves.
EMPTY_FEED_MODIFIED = datetime(1970, 1, 1, tzinfo=UTC)

#: Zones written as UTC instants rather than with a TZID and a VTIMEZONE.
UTC_ZONES = frozenset({"UTC", "Etc/UTC"})

_STATUSES = {"published": "CONFIRMED", "cancelled": "CANCELLED"}


def build_calendar(
    events: Iterable[Event],
    name: str,
    *,
    method: str | None = None,
    withdrawn: Mapping[int, datetime] | None = None,
    tentative: bool = False,
    organizer: str | None = None,
    attendee: str | None = None,
    page_url: Callable[[Event], str] | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """Write ``events`` as one iCalendar object named ``name``, in UTF-8 bytes.

    :param method: an iTIP method such as ``PUBLISH`` or ``REQUEST`` for a calendar
        sent as a message; subscribed feeds have none.
    :param withdrawn: for a personal calendar, the ids of events its reader is no
        longer signed up for, each with the moment they left. Such an event is
        written as cancelled, one revision later, so that their calendar drops it.
    :param tentative: write published events as ``TENTATIVE``, for a reader who is
        on the waiting list.
    :param organizer: the address a message comes from, and ``attendee`` the one it
        goes to: RFC 5546 wants both in a ``REQUEST`` or a ``CANCEL``. They are the
        only addresses ever written, and only when a message's sender gives them.
    :param page_url: builds the address of an event's page; by default the address
        the current request came to, or ``SITE_URL`` without one.
    :param stamp: when a calendar sent as a message was written, its DTSTAMP (RFC
        5545, 3.8.7.2); by default each event's last change, as feeds want. A
        later stamp lets a calendar take a new copy of the same revision, such as
        a confirmed place after a tentative one.
    :raise ValueError: for a draft event, which is never published anywhere.
    """
    withdrawn = withdrawn or {}
    people = _people(organizer, attendee)
    page_url = page_url or _page_url
    calendar = icalendar.Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    if method:
        calendar.add("METHOD", method)
    # A calendar name is one line of text; icalendar does not know these two
    # properties, so they are marked as text to have commas and the like escaped.
    name = icalendar.vText(" ".join(name.split()))
    calendar.add("NAME", name)
    calendar.add("X-WR-CALNAME", name)
    calendar.add("REFRESH-INTERVAL", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", icalendar.vDuration(REFRESH_INTERVAL))

    years_by_zone: dict[str, set[int]] = {}
    phrases = _Phrases()
    components = [
        _event_component(
            event,
            years_by_zone,
            withdrawn.get(event.id),
            tentative=tentative,
            people=people,
            page=page_url(event),
            stamp=stamp,
            phrases=phrases,
        )
        for event in events
    ]

    for tzid in sorted(years_by_zone):
        years = years_by_zone[tzid]
        calendar.add_component(
            icalendar.Timezone.from_tzid(
                tzid,
                first_date=date(min(years), 1, 1),
                last_date=date(max(years) + 1, 1, 1),
            )
        )
    for component in components:
        calendar.add_component(component)
    return calendar.to_ical()


def feed_etag(body: bytes) -> str:
    """The strong entity tag of a feed: a digest of its exact bytes."""
    return hashlib.sha256(body).hexdigest()[:32]


def feed_last_modified(
    events: Sequence[Event], withdrawn: Mapping[int, datetime] | None = None
) -> datetime:
    """When the newest change to any of the feed's events was made.

    A reader leaving an event (see :func:`build_calendar`) counts as a change to it.
    """
    withdrawn = withdrawn or {}
    return max(
        (_last_change(event, withdrawn.get(event.id)) for event in events),
        default=EMPTY_FEED_MODIFIED,
    )


def event_uid(event: Event) -> str:
    """The event's UID, fixed for its lifetime by its id and the site's host name."""
    return f"event-{event.id}@{current_app.config['SITE_HOST']}"


def site_calendar_name(event_filter: EventFilter) -> str:
    """Name the site-wide feed after the site, and after its filters if it has any."""
    site = current_app.config["SITE_NAME"]
    if event_filter.is_empty:
        return site

    parts = []
    if event_filter.community is not None:
        parts.append(event_filter.community.name)
    if event_filter.type:
        parts.append(str(EVENT_TYPES[event_filter.type]))
    if event_filter.sector:
        parts.append(str(SECTORS[event_filter.sector]))
    if event_filter.language:
        parts.append(LANGUAGES[event_filter.language])
    return _("%(site)s: %(filters)s", site=site, filters=" · ".join(parts))


def community_calendar_name(community_name: str) -> str:
    """Name a community's feed after the community and the site."""
    site = current_app.config["SITE_NAME"]
    return _("%(community)s – %(site)s", community=community_name, site=site)


def _last_change(event: Event, left_at: datetime | None) -> datetime:
    if left_at is None:
        return event.updated_at
    return max(event.updated_at, left_at)


def _page_url(event: Event) -> str:
    return url_for("events.detail", slug=event.slug, _external=True)


def _people(organizer: str | None, attendee: str | None) -> list[tuple[str, object]]:
    """The ORGANIZER and ATTENDEE properties of a calendar sent to one person."""
    people = []
    if organizer:
        address = icalendar.vCalAddress(f"mailto:{organizer}")
        address.params["CN"] = icalendar.vText(current_app.config["SITE_NAME"])
        people.append(("ORGANIZER", address))
    if attendee:
        address = icalendar.vCalAddress(f"mailto:{attendee}")
        address.params["ROLE"] = "REQ-PARTICIPANT"
        # Replies go nowhere: the sign-up itself is changed on the site.
        address.params["RSVP"] = "FALSE"
        people.append(("ATTENDEE", address))
    return people


class _Phrases:
    """The words a feed repeats for every event, translated once per feed.

    Looking a translation up costs more than writing the property it goes into; a
    feed of thousands of events would otherwise spend most of its time there.
    """

    def __init__(self):
        self.type_labels = {slug: str(label) for slug, label in EVENT_TYPES.items()}
        self.sector_labels = {slug: str(label) for slug, label in SECTORS.items()}
        self.cancelled = _("This event has been cancelled.")
        self.left = _("You are no longer signed up for this event.")
        # Translated without their values, which are filled in for each event.
        self.hosted_by = _("Hosted by %(community)s.")
        self.online = _("Online: %(address)s")
        self.details = _("Details: %(address)s")


def _event_component(
    event: Event,
    years_by_zone: dict[str, set[int]],
    left_at: datetime | None = None,
    *,
    tentative: bool = False,
    people: Sequence[tuple[str, object]] = (),
    page: str,
    stamp: datetime | None = None,
    phrases: _Phrases,
):
    if event.status not in _STATUSES:
        raise ValueError(f"event {event.id} is a {event.status}, not for a calendar")

    changed = _last_change(event, left_at)
    component = icalendar.Event()
    component.add("UID", event_uid(event))
    component.add("DTSTAMP", stamp or changed)
    component.add("LAST-MODIFIED", changed)
    if left_at is None:
        status = _STATUSES[event.status]
        if tentative and status == "CONFIRMED":
            status = "TENTATIVE"
        component.add("SEQUENCE", event.sequence)
        component.add("STATUS", status)
    else:
        component.add("SEQUENCE", event.sequence + 1)
        component.add("STATUS", "CANCELLED")
    component.add("SUMMARY", event.title)
    component.add(
        "DESCRIPTION", _description(event, page, phrases, left=left_at is not None)
    )
    component.add("LOCATION", _location(event))
    component.add("URL", page)
    component.add(
        "CATEGORIES",
        [
            phrases.type_labels[event.type],
            *(phrases.sector_labels[sector.slug] for sector in event.sectors),
        ],
    )
    for name, address in people:
        component.add(name, address)

    if event.all_day:
        component.add("DTSTART", event.start_date)
        component.add("DTEND", event.last_date + timedelta(days=1))
    else:
        _add_moment(component, "DTSTART", event.starts_at, event, years_by_zone)
        _add_moment(component, "DTEND", event.ends_at, event, years_by_zone)
    return component


def _add_moment(component, name, moment, event, years_by_zone):
    """Write an instant as wall time in the event's zone, or in UTC where it must.

    A wall time in the repeated hour when clocks go back means its first
    occurrence to every reader (RFC 5545, 3.3.5), so an instant in the second
    occurrence is written in UTC to keep it exact.
    """
    if event.timezone in UTC_ZONES:
        component.add(name, moment.astimezone(UTC))
        return

    local = moment.astimezone(ZoneInfo(event.timezone))
    if local.fold:
        component.add(name, moment.astimezone(UTC))
        return

    component.add(name, local.replace(tzinfo=None), parameters={"TZID": event.timezone})
    years_by_zone.setdefault(event.timezone, set()).add(local.year)


def _location(event: Event) -> str:
    place = ", ".join(part for part in (event.venue_name, event.venue_address) if part)
    return place or event.online_url or ""


def _description(
    event: Event, page: str, phrases: _Phrases, *, left: bool = False
) -> str:
    paragraphs = []
    if event.status == "cancelled":
        paragraphs.append(phrases.cancelled)
    elif left:
        paragraphs.append(phrases.left)

    text = markdown_to_text(event.description)
    if text:
        paragraphs.append(text)

    if event.community is not None:
        paragraphs.append(phrases.hosted_by % {"community": event.community.name})
    if event.online_url and event.venue_name:
        paragraphs.append(phrases.online % {"address": event.online_url})
    paragraphs.append(phrases.details % {"address": page})
    return "\n\n".join(paragraphs)

"""Writing events as iCalendar (RFC 5545) for subscriptions, downloads and messages.

The builder is a pure function of the events it is given: it reads no clock, so a
feed whose events have not changed comes out byte for byte the same. Nothing about
the people who signed up is ever written, except the reader's own address in a
calendar e-mailed to them.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app, url_for
from flask_babel import gettext as _
from icalendar.timezone import tzp

from ..events.models import Event, EventSeries
from ..events.queries import EventFilter
from ..events.recurrence import local_starts, rrule_value, to_instant
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

#: The last line of every calendar, after which nothing may follow.
_CALENDAR_END = b"END:VCALENDAR\r\n"


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
    series: bool = False,
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
    :param series: write the dates of a series as one recurring event (see
        :func:`_series_components`), as subscribed public feeds do. Otherwise each
        date is an event of its own, with its own UID: a registrant's calendar
        then holds exactly the dates they signed up for, which every calendar app
        shows alike, and a message about one date changes only that date.
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
    # Each event is written out as soon as it is made rather than all at the end.
    # Holding thousands of components until then made the garbage collector go
    # over every one of them again and again as they piled up, which took about
    # a third of the time of a full feed. The bytes are the same: a calendar is
    # written one component after the other.
    written: list[bytes] = []
    series_written = set()
    for event in events:
        if series and event.series is not None:
            if event.series_id not in series_written:
                series_written.add(event.series_id)
                written.extend(
                    component.to_ical()
                    for component in _series_components(
                        event.series, years_by_zone, page_url, phrases
                    )
                )
            continue
        component = _event_component(
            event,
            years_by_zone,
            withdrawn.get(event.id),
            tentative=tentative,
            people=people,
            page=page_url(event),
            stamp=stamp,
            phrases=phrases,
        )
        written.append(component.to_ical())

    # The zones the events use come first, then the events, before the last line.
    for tzid in sorted(years_by_zone):
        calendar.add_component(_timezone(tzid, years_by_zone[tzid]))
    head = calendar.to_ical()
    if not head.endswith(_CALENDAR_END):
        raise RuntimeError("icalendar did not end the calendar with its END line")
    return b"".join([head[: -len(_CALENDAR_END)], *written, _CALENDAR_END])


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

    # Each property is set as the icalendar type it is written as, rather than
    # through Component.add, which works the type out again from the name and
    # the Python value for every property of every event: in a feed of thousands
    # of events that guessing cost more than writing the properties out.
    changed = _last_change(event, left_at)
    component = icalendar.Event()
    component["UID"] = icalendar.vText(event_uid(event))
    component["DTSTAMP"] = _utc_value(stamp or changed)
    component["LAST-MODIFIED"] = _utc_value(changed)
    if left_at is None:
        status = _STATUSES[event.status]
        if tentative and status == "CONFIRMED":
            status = "TENTATIVE"
        component["SEQUENCE"] = icalendar.vInt(event.sequence)
        component["STATUS"] = icalendar.vText(status)
    else:
        component["SEQUENCE"] = icalendar.vInt(event.sequence + 1)
        component["STATUS"] = icalendar.vText("CANCELLED")
    component["SUMMARY"] = icalendar.vText(event.title)
    component["DESCRIPTION"] = icalendar.vText(
        _description(event, page, phrases, left=left_at is not None)
    )
    component["LOCATION"] = icalendar.vText(_location(event))
    component["URL"] = icalendar.vUri(page)
    component["CATEGORIES"] = icalendar.vCategory(
        [
            phrases.type_labels[event.type],
            *(phrases.sector_labels[sector.slug] for sector in event.sectors),
        ]
    )
    for name, address in people:
        component.add(name, address)

    if event.all_day:
        component.add("DTSTART", event.start_date)
        component.add("DTEND", event.last_date + timedelta(days=1))
    else:
        in_utc = event.timezone in UTC_ZONES or any(
            _in_repeated_hour(moment, event.zone)
            for moment in (event.starts_at, event.ends_at)
        )
        for name, moment in (("DTSTART", event.starts_at), ("DTEND", event.ends_at)):
            _add_moment(component, name, moment, event, years_by_zone, in_utc=in_utc)
    return component


def _utc_value(moment: datetime) -> icalendar.vDatetime:
    """An instant as a DATE-TIME in UTC, as DTSTAMP and LAST-MODIFIED must be.

    A vDatetime rather than icalendar's usual vDDDTypes, which makes a new
    vDatetime each time it is written: the same text, converted once. The time
    is put in UTC as Component.add does for these properties, a time without a
    zone being taken as UTC already.
    """
    return icalendar.vDatetime(tzp.localize_utc(moment))


def _local_value(wall_time: datetime, tzid: str) -> icalendar.vDatetime:
    """A wall time without a zone as a DATE-TIME in the zone named ``tzid``."""
    value = icalendar.vDatetime(wall_time)
    # Set after the value is made, which drops a TZID for a time with no zone.
    value.params["TZID"] = tzid
    return value


def _timezone(tzid: str, years: set[int]) -> icalendar.Timezone:
    """The VTIMEZONE of ``tzid`` for the years given, one observance per onset.

    icalendar writes each kind of observance once, with its later onsets as
    RDATEs; ical.js (Thunderbird) then drops the first onset, the DTSTART, and
    puts every time of that first summer in standard time. An observance of its
    own for every onset is read the same way by every parser.
    """
    timezone = icalendar.Timezone.from_tzid(
        tzid, first_date=date(min(years), 1, 1), last_date=date(max(years) + 1, 1, 1)
    )
    observances = []
    for observance in timezone.subcomponents:
        onsets = [observance.DTSTART, *(onset for onset, _ in observance.rdates)]
        for onset in onsets:
            single = type(observance)()
            single.add("DTSTART", onset)
            for name in ("TZNAME", "TZOFFSETFROM", "TZOFFSETTO"):
                single.add(name, observance[name])
            observances.append(single)
    timezone.subcomponents = sorted(observances, key=lambda o: o.DTSTART)
    return timezone


def _in_repeated_hour(moment: datetime, zone: ZoneInfo) -> bool:
    """Whether the wall time of ``moment`` happens twice, as when clocks go back."""
    local = moment.astimezone(zone)
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


def _series_components(
    series: EventSeries,
    years_by_zone: dict[str, set[int]],
    page_url: Callable[[Event], str],
    phrases: _Phrases,
) -> list:
    """Write a series as a master event with its RRULE, and one per changed date.

    The master's DTSTART is the first date's wall time in the series' zone, so
    every reader keeps the local time across changes of daylight saving time; its
    UNTIL is in UTC, as RFC 5545 requires with a TZID. Every date of the rule that
    is not a published event (cancelled, a draft, or deleted) is an EXDATE, one
    per line, written like DTSTART. Its text and place are those most of the
    published dates share; a date that differs, or was moved, is written again
    with a RECURRENCE-ID giving its original start in the same form. A date that
    the rule does not give (which the organiser tools do not make) is written as
    an event of its own. All parts carry the series' SEQUENCE, which every change
    to the series or to one of its dates raises.
    """
    occurrences = [o for o in series.occurrences if o.status != "draft"]
    published = [o for o in occurrences if o.status == "published"]
    zone = series.zone
    instances = local_starts(series.rule, series.first_local_start)
    by_instant = {to_instant(local, zone): local for local in instances}

    template = _template(published or occurrences)
    changed = max([series.updated_at, *(o.updated_at for o in series.occurrences)])
    master = _event_component(
        template, years_by_zone, page=page_url(template), phrases=phrases
    )
    for name in ("UID", "DTSTAMP", "LAST-MODIFIED", "SEQUENCE", "STATUS"):
        master.pop(name)
    for name in ("DTSTART", "DTEND"):
        master.pop(name)
    master.add("UID", series.uid)
    master.add("DTSTAMP", changed)
    master.add("LAST-MODIFIED", changed)
    master.add("SEQUENCE", series.sequence)
    master.add("STATUS", "CONFIRMED" if published else "CANCELLED")

    first = instances[0]
    first_end = (to_instant(first, zone) + _length(template)).astimezone(zone)
    _add_local(master, "DTSTART", first, series.timezone, years_by_zone)
    _add_local(
        master, "DTEND", first_end.replace(tzinfo=None), series.timezone, years_by_zone
    )
    years_by_zone[series.timezone].add(instances[-1].year)
    master.add("RRULE", rrule_value(series.rule, series.start_time, zone))

    shown = {o.recurrence_id for o in (published or occurrences)}
    for instant, local in by_instant.items():
        if instant not in shown:
            _add_local(master, "EXDATE", local, series.timezone, years_by_zone)

    components = [master]
    signature = _signature(template)
    for occurrence in published:
        local = by_instant.get(occurrence.recurrence_id)
        if local is None:
            components.append(
                _event_component(
                    occurrence,
                    years_by_zone,
                    page=page_url(occurrence),
                    phrases=phrases,
                )
            )
            continue
        moved = occurrence.starts_at != occurrence.recurrence_id
        if not moved and _signature(occurrence) == signature:
            continue

        override = _event_component(
            occurrence, years_by_zone, page=page_url(occurrence), phrases=phrases
        )
        for name in ("UID", "SEQUENCE"):
            override.pop(name)
        override.add("UID", series.uid)
        override.add("SEQUENCE", series.sequence)
        _add_local(override, "RECURRENCE-ID", local, series.timezone, years_by_zone)
        components.append(override)
    return components


def _signature(event: Event) -> tuple:
    """What a calendar shows of a date, apart from when it is and its own page."""
    return (
        event.title,
        _length(event),
        event.venue_name,
        event.venue_address,
        event.online_url,
        event.description,
        event.type,
        tuple(event.sector_slugs),
        event.community_id,
    )


def _template(occurrences: Sequence[Event]) -> Event:
    """The date whose details most dates share, the earliest on a tie."""
    counts: dict[tuple, int] = {}
    for occurrence in occurrences:
        key = _signature(occurrence)
        counts[key] = counts.get(key, 0) + 1
    best = max(counts.values())
    return next(o for o in occurrences if counts[_signature(o)] == best)


def _length(event: Event) -> timedelta:
    return event.ends_at - event.starts_at


def _add_local(component, name, local: datetime, tzid: str, years_by_zone):
    """Write a wall time in a named zone, as a series writes all its times."""
    component.add(name, local, parameters={"TZID": tzid})
    years_by_zone.setdefault(tzid, set()).add(local.year)


def _add_moment(component, name, moment, event, years_by_zone, *, in_utc: bool):
    """Write an instant as wall time in the event's zone, or in UTC when asked.

    A wall time in the hour repeated when clocks go back should mean its first
    pass (RFC 5545, 3.3.5), but ical.js (Thunderbird) takes the second; and when
    only one end of an event is in UTC, recurring-ical-events adds the length to
    the wall time and lands an hour off. So an event with either end in such an
    hour has both ends written in UTC, which every reader takes the same way.
    """
    if in_utc:
        component[name] = icalendar.vDatetime(moment.astimezone(UTC))
        return

    local = moment.astimezone(event.zone)
    component[name] = _local_value(local.replace(tzinfo=None), event.timezone)
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

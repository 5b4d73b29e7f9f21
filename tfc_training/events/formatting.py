"""Showing an event's time the way people read it: in the zone it is held in.

An event in Pasadena at 6:30 PM is at 6:30 PM for everyone who goes, wherever the
reader's computer thinks it is; so times are always written in the event's own zone,
with the zone's abbreviation, and dates and times follow the interface locale.
"""

from datetime import date, datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_interval, format_time
from flask_babel import get_locale
from flask_babel import gettext as _

from ..vocabulary import EVENT_TYPES, LANGUAGES, SECTORS
from .models import Event
from .queries import EventFilter


def _locale() -> Locale:
    return get_locale() or Locale.parse("en")


def _time_skeleton(locale: Locale) -> str:
    """``hm`` for locales that write 6:30 PM, ``Hm`` for those that write 18:30."""
    return "hm" if "h" in locale.time_formats["short"].pattern else "Hm"


def _join_date_and_time(day: str, time: str, locale: Locale) -> str:
    pattern = locale.datetime_formats["medium"]
    pattern = getattr(pattern, "pattern", pattern).replace("'", "")
    return pattern.replace("{1}", day).replace("{0}", time)


def _join_range(first: str, last: str, locale: Locale) -> str:
    return locale.interval_formats[None].replace("{0}", first).replace("{1}", last)


def _zone_abbreviation(moment: datetime, zone: ZoneInfo, locale: Locale) -> str:
    return format_datetime(moment, "z", tzinfo=zone, locale=locale)


def format_moment(moment: datetime, zone: ZoneInfo | str, locale=None) -> str:
    """Write an instant as a full date and a time in ``zone``, with its abbreviation.

    For example "Tuesday, January 12, 2027, 6:30 PM PST".
    """
    locale = Locale.parse(locale) if locale else _locale()
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    local = moment.astimezone(zone)

    day = format_date(local.date(), "full", locale=locale)
    time = format_time(local, "short", tzinfo=zone, locale=locale)
    time = f"{time} {_zone_abbreviation(local, zone, locale)}"
    return _join_date_and_time(day, time, locale)


def format_day(day: date, locale=None) -> str:
    """Write a calendar day in full, such as "Saturday, January 16, 2027"."""
    locale = Locale.parse(locale) if locale else _locale()
    return format_date(day, "full", locale=locale)


def format_when(event: Event, locale=None) -> str:
    """Say when an event takes place, in its own zone.

    A timed event on one day reads "Tuesday, January 12, 2027, 6:30 – 8:00 PM PST";
    one that runs over several days names both ends in full. An all-day event reads
    "Saturday, January 16, 2027", or a range of days.
    """
    locale = Locale.parse(locale) if locale else _locale()

    if event.all_day:
        if event.start_date == event.last_date:
            return format_day(event.start_date, locale)
        return format_interval(
            event.start_date, event.last_date, "yMMMEd", locale=locale
        )

    zone = event.zone
    start, end = event.local_start, event.local_end
    if event.start_date != event.last_date:
        return _join_range(
            format_moment(start, zone, locale), format_moment(end, zone, locale), locale
        )

    times = format_interval(
        start, end, _time_skeleton(locale), tzinfo=zone, locale=locale
    )
    abbreviation = _zone_abbreviation(start, zone, locale)
    if _zone_abbreviation(end, zone, locale) != abbreviation:
        # The clocks change during the event: name the zone at each end.
        return _join_range(
            format_moment(start, zone, locale), format_moment(end, zone, locale), locale
        )
    day = format_day(event.start_date, locale)
    return _join_date_and_time(day, f"{times} {abbreviation}", locale)


def format_short_when(event: Event, locale=None) -> str:
    """The time of day only, for lists already grouped by date: "6:30 – 8:00 PM PST".

    All-day events read "All day"; events over several days fall back to
    :func:`format_when`.
    """
    locale = Locale.parse(locale) if locale else _locale()
    if event.start_date != event.last_date:
        return format_when(event, locale)
    if event.all_day:
        return _("All day")

    zone = event.zone
    times = format_interval(
        event.local_start,
        event.local_end,
        _time_skeleton(locale),
        tzinfo=zone,
        locale=locale,
    )
    return f"{times} {_zone_abbreviation(event.local_start, zone, locale)}"


def describe_filter(event_filter: EventFilter) -> list[str]:
    """Name each chosen filter in words, such as ["Koreatown TFC", "Español"]."""
    labels = []
    if event_filter.community is not None:
        labels.append(event_filter.community.name)
    if event_filter.type:
        labels.append(str(EVENT_TYPES[event_filter.type]))
    if event_filter.sector:
        labels.append(str(SECTORS[event_filter.sector]))
    if event_filter.language:
        labels.append(LANGUAGES[event_filter.language])
    return labels


def group_by_day(events: list[Event]) -> list[tuple[date, list[Event]]]:
    """Group events, kept in their order, under the day each starts on."""
    return [
        (day, list(day_events))
        for day, day_events in groupby(events, key=lambda event: event.start_date)
    ]

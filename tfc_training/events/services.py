"""Changing events and communities, shared by the import and the organiser tools.

These functions set fields on model objects and report whether anything changed;
they neither flush nor commit, so the caller decides when the change is written.
"""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from ..communities.models import Community, Sector
from ..database import utcnow
from ..extensions import db
from ..vocabulary import LANGUAGES
from .models import Event, EventLanguage

#: Fields a calendar shows: changing any of them raises the event's ``sequence``, so
#: that subscribed calendars replace their copy instead of ignoring the update.
CALENDAR_FIELDS = (
    "title",
    "starts_at",
    "ends_at",
    "all_day",
    "timezone",
    "venue_name",
    "venue_address",
    "online_url",
    "status",
)

#: Fields that count as a change to the event but leave ``sequence`` alone.
OTHER_FIELDS = (
    "slug",
    "type",
    "community",
    "description",
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "requires_approval",
)

#: Every key :func:`apply_event_changes` accepts.
EVENT_FIELDS = frozenset(CALENDAR_FIELDS + OTHER_FIELDS + ("sectors", "languages"))

COMMUNITY_FIELDS = frozenset(("slug", "name", "area", "description"))

#: The years an event's dates may fall in. Far-off years are typing mistakes, and
#: beyond the year 9999 a date cannot even be converted between time zones.
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100

#: The longest an event may last; anything longer is a series of events.
LONGEST_EVENT = timedelta(days=31)

#: The longest description, in characters, in the form and in the imports alike.
DESCRIPTION_LIMIT = 20_000


def in_year_range(moment: date) -> bool:
    """Whether a date (or a date and time) falls within the years events may use."""
    return EARLIEST_YEAR <= moment.year <= LATEST_YEAR


def apply_event_changes(event: Event, values: Mapping) -> bool:
    """Set an event's fields from ``values`` and return whether anything changed.

    ``values`` holds any of :data:`EVENT_FIELDS`: plain column values (instants as
    aware datetimes), ``community`` as a :class:`Community` or ``None``, ``sectors``
    as sector slugs and ``languages`` as language codes, the main language first.
    A change to a field in :data:`CALENDAR_FIELDS` raises ``sequence`` by one; any
    change at all sets ``updated_at``. Values equal to the current ones change
    nothing, so applying the same values twice leaves the event untouched.

    :raise KeyError: for a key that is not an event field.
    :raise ValueError: for an unknown sector slug or language code.
    """
    unknown = set(values) - EVENT_FIELDS
    if unknown:
        raise KeyError(f"not event fields: {', '.join(sorted(unknown))}")

    # A half-changed event must not be flushed by a query made along the way (the
    # sector lookups): its start might already be past its old end.
    with db.session.no_autoflush:
        is_new = event.sequence is None
        calendar_changed = _set_fields(event, values, CALENDAR_FIELDS)
        other_changed = _set_fields(event, values, OTHER_FIELDS)
        if "sectors" in values:
            other_changed |= _set_sectors(event, values["sectors"])
        if "languages" in values:
            other_changed |= _set_languages(event, values["languages"])

    if not (calendar_changed or other_changed):
        return False

    now = utcnow()
    if is_new:
        event.sequence = 0
    elif calendar_changed:
        event.sequence += 1
        # A series is one object in a calendar: a change to any of its dates is a
        # new revision of the whole.
        if event.series is not None:
            event.series.touch(now)
    event.updated_at = now
    return True


def apply_community_changes(community: Community, values: Mapping) -> bool:
    """Set a community's fields from ``values`` and return whether anything changed.

    :raise KeyError: for a key that is not a community field.
    """
    unknown = set(values) - COMMUNITY_FIELDS
    if unknown:
        raise KeyError(f"not community fields: {', '.join(sorted(unknown))}")

    return _set_fields(community, values, COMMUNITY_FIELDS)


def _set_fields(target, values: Mapping, names: Iterable[str]) -> bool:
    changed = False
    for name in names:
        if name in values and getattr(target, name) != values[name]:
            setattr(target, name, values[name])
            changed = True
    return changed


def _set_sectors(event: Event, slugs: Iterable[str]) -> bool:
    slugs = list(dict.fromkeys(slugs))
    if set(slugs) == set(event.sector_slugs):
        return False

    sectors = [db.session.get(Sector, slug) for slug in slugs]
    missing = [slug for slug, sector in zip(slugs, sectors) if sector is None]
    if missing:
        raise ValueError(f"unknown sectors: {', '.join(missing)}")
    event.sectors = sorted(sectors, key=lambda sector: sector.position)
    return True


def _set_languages(event: Event, codes: Iterable[str]) -> bool:
    codes = list(dict.fromkeys(codes))
    if codes == event.language_codes:
        return False

    missing = [code for code in codes if code not in LANGUAGES]
    if missing:
        raise ValueError(f"unknown languages: {', '.join(missing)}")

    # Rows for languages the event keeps are updated in place rather than replaced,
    # since a new row with the same key as a deleted one would clash on flush.
    kept = {language.code: language for language in event.languages}
    languages = []
    for position, code in enumerate(codes):
        language = kept.get(code) or EventLanguage(code=code)
        language.position = position
        languages.append(language)
    event.languages = languages
    return True

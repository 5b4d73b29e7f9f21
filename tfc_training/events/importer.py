"""Importing communities and events from a YAML file.

The file is a mapping with two lists, both optional::

    communities:
      - slug: koreatown              # required; lower-case letters, digits, hyphens
        name: TraffickFree Koreatown # required
        area: Koreatown              # required: the part of Los Angeles it serves
        description: |               # optional, plain text
          A group of residents, business owners and congregations ...

    events:
      - slug: koreatown-listening-group    # required, unique among events
        title: Listening group             # required
        type: listening-group              # required, see below
        community: koreatown               # optional; omit for a network-wide event
        sectors: [schools, law-enforcement]  # required, at least one
        languages: [en, es]                # required, the main language first
        description: |                     # optional, Markdown
          Who it is for and what to expect.
        timezone: America/Los_Angeles      # optional, this is the default
        start: 2027-02-03 17:00            # local date and time in that zone
        end: 2027-02-03 19:00
        venue:                             # a venue, an online_url, or both
          name: Boyle Heights Youth Center
          address: 2100 E 1st St, Los Angeles, CA 90033
        online_url: https://meet.example.org/room   # http or https only
        capacity: 30                       # optional; omit for no limit
        registration_opens: 2027-01-15 09:00    # optional, local time
        registration_closes: 2027-02-02 17:00   # optional, local time
        status: published                  # optional: draft, published (the
                                           # default) or cancelled

An all-day event gives dates instead of times: ``all_day: true`` with
``start_date: 2027-02-06`` and ``end_date: 2027-02-07``, the last day included;
``end_date`` may be left out for a single day.

An event that repeats has a ``repeat`` entry, ``start`` and ``end`` then giving its
first date: ``{every: 2 weeks, on: [wednesday], until: 2027-06-30}``, ``{every:
month, on: second tuesday, count: 6}`` or ``{every: month, day: 15, until: ...}``
(see :func:`~.recurrence.rule_from_mapping`). Each date becomes an event whose slug
is the entry's slug and the date; at most 104 dates within two years.

Event types are the keys of :data:`~tfc_training.vocabulary.EVENT_TYPES`, sectors
the keys of :data:`~tfc_training.vocabulary.SECTORS`, languages the codes of
:data:`~tfc_training.vocabulary.LANGUAGES`. An event names its community by slug:
one in the same file or one already in the database.

Communities and events are matched by slug: a new slug is created, a known one is
updated to exactly what the file says (a field left out takes its default), and an
entry that already matches the database is left alone. Importing the same file
twice therefore changes nothing the second time.

Dates fall between the years 2000 and 2100, an event lasts at most 31 days, sign-up
opens before the event starts and closes by the time it ends, and a description
holds at most 20,000 characters: the same rules as the organiser's event form.

The whole file is checked before anything is written. Every problem is reported as
``FILE:LINE: field: message`` and, if there is any, nothing is written at all.

This module reads and checks files. People's imports are written by
:mod:`tfc_training.organise.importing`, which keeps to the organiser rules for
events that already exist: their changes are audited and told to registrants, a
capacity never drops below the people already confirmed, and an event with people
signed up is never cancelled or turned back into a draft by a file.
"""

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones

import yaml
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..communities.models import Community
from ..database import begin_write, utcnow
from ..extensions import db
from ..plain_text import text_problem
from ..registration.services import promote_waiting
from ..slugs import SLUG_PATTERN
from ..vocabulary import EVENT_TYPES, LANGUAGES, SECTORS
from ..yaml_errors import describe_yaml_error
from .models import EVENT_STATUSES, Event
from .recurrence import (
    Rule,
    RuleError,
    local_starts,
    rule_from_mapping,
    rule_from_rrule,
)
from .services import (
    DESCRIPTION_LIMIT,
    EARLIEST_YEAR,
    LATEST_YEAR,
    LONGEST_EVENT,
    apply_community_changes,
    apply_event_changes,
    in_year_range,
)

logger = logging.getLogger(__name__)


#: Accepted spellings of a local date and time, the first being the documented one.
DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S")

COMMUNITY_KEYS = ("slug", "name", "area", "description")
EVENT_KEYS = (
    "slug",
    "title",
    "type",
    "community",
    "sectors",
    "languages",
    "description",
    "timezone",
    "all_day",
    "start",
    "end",
    "start_date",
    "end_date",
    "venue",
    "online_url",
    "capacity",
    "registration_opens",
    "registration_closes",
    "status",
    "repeat",
)
VENUE_KEYS = ("name", "address")
TOP_LEVEL_KEYS = ("communities", "events")


def _column_length(model, name: str) -> int:
    return model.__table__.c[name].type.length


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import file, located by line and field."""

    source: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        place = self.source if self.line is None else f"{self.source}:{self.line}"
        if self.field:
            return f"{place}: {self.field}: {self.message}"
        return f"{place}: {self.message}"


class ImportFailed(Exception):
    """The file has problems; nothing was written. ``problems`` lists every one."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class CommunityRecord:
    """A community as the file describes it."""

    line: int
    slug: str
    name: str
    area: str
    description: str

    def values(self) -> dict:
        """The fields to give :func:`apply_community_changes`."""
        return {
            "slug": self.slug,
            "name": self.name,
            "area": self.area,
            "description": self.description,
        }


@dataclass(frozen=True)
class EventRecord:
    """An event as the file describes it, its times still local to its own zone.

    For an all-day event ``start`` and ``end`` are the local midnights that begin
    the first day and end the last one.
    """

    line: int
    slug: str
    title: str
    type: str
    community: str | None
    sectors: tuple[str, ...]
    languages: tuple[str, ...]
    description: str
    timezone: str
    all_day: bool
    start: datetime
    end: datetime
    venue_name: str | None
    venue_address: str | None
    online_url: str | None
    capacity: int | None
    registration_opens: datetime | None
    registration_closes: datetime | None
    status: str
    #: The line each field was written on, where it differs from ``line``.
    key_lines: Mapping[str, int] = field(default_factory=dict, compare=False)
    #: How the event repeats, for a series; ``slug`` then starts each date's slug.
    repeat: Rule | None = None

    def line_of(self, key: str) -> int:
        """The line a field was written on, or the entry's first line."""
        return self.key_lines.get(key, self.line)

    def shifted(self, weeks: int) -> "EventRecord":
        """The same event ``weeks`` later, on the same weekday and local time."""
        delta = timedelta(weeks=weeks)

        def move(moment):
            return None if moment is None else moment + delta

        repeat = self.repeat
        if repeat is not None and repeat.until is not None:
            repeat = repeat.with_end(until=repeat.until + delta)
        return replace(
            self,
            start=self.start + delta,
            end=self.end + delta,
            registration_opens=move(self.registration_opens),
            registration_closes=move(self.registration_closes),
            repeat=repeat,
        )

    def values(self, community: Community | None) -> dict:
        """The fields to give :func:`apply_event_changes`, instants in UTC."""
        zone = ZoneInfo(self.timezone)
        return {
            "slug": self.slug,
            "title": self.title,
            "type": self.type,
            "community": community,
            "sectors": list(self.sectors),
            "languages": list(self.languages),
            "description": self.description,
            "timezone": self.timezone,
            "all_day": self.all_day,
            "starts_at": _to_utc(self.start, zone),
            "ends_at": _to_utc(self.end, zone),
            "venue_name": self.venue_name,
            "venue_address": self.venue_address,
            "online_url": self.online_url,
            "capacity": self.capacity,
            "registration_opens_at": _to_utc(self.registration_opens, zone),
            "registration_closes_at": _to_utc(self.registration_closes, zone),
            "status": self.status,
        }


@dataclass
class ImportData:
    """What a file holds: the entries that read cleanly, and the problems found.

    ``references`` keeps every community slug the events name, with its line, so
    that names not defined in the file can be looked up in the database.
    """

    source: str
    communities: list[CommunityRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    references: list[tuple[str, int]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def shifted(self, weeks: int) -> "ImportData":
        """A copy with every event moved by the same whole number of weeks."""
        return replace(self, events=[event.shifted(weeks) for event in self.events])


@dataclass
class Tally:
    """How many entries of one kind were created, updated and left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1


@dataclass
class ImportResult:
    """The outcome of an import, per kind of entry."""

    communities: Tally = field(default_factory=Tally)
    events: Tally = field(default_factory=Tally)


def read_import_file(path: str | Path) -> ImportData:
    """Read and check a file without touching the database."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problem = Problem(source, None, None, _("the file is not UTF-8 text"))
        return ImportData(source, problems=[problem])
    except OSError as error:
        problem = Problem(source, None, None, error.strerror or str(error))
        return ImportData(source, problems=[problem])
    return parse_import(text, source)


def parse_import(text: str, source: str) -> ImportData:
    """Check the YAML ``text`` and turn it into records; problems are collected."""
    data = ImportData(source)
    loader = None
    try:
        # The loader checks every character as it is made: a control character in
        # the file is refused here, as a problem like any other.
        loader = _LocatingLoader(text)
        document = loader.get_single_data()
    except yaml.YAMLError as error:
        data.problems.append(_syntax_problem(source, error, text))
        return data
    finally:
        if loader is not None:
            loader.dispose()

    for key, line in loader.repeated_keys:
        data.problems.append(
            Problem(source, line, str(key), _("appears twice in the same entry"))
        )

    if document is None:
        message = _("the file is empty; expected “communities:” and “events:” lists")
        data.problems.append(Problem(source, 1, None, message))
        return data
    if not isinstance(document, _Mapping):
        message = _("expected a mapping with “communities:” and “events:” lists")
        data.problems.append(Problem(source, 1, None, message))
        return data

    top = _Entry(document, "", data)
    top.reject_unknown_keys(TOP_LEVEL_KEYS)
    default_zone = current_app.config["DEFAULT_TIMEZONE"]
    zones = available_timezones()

    community_lines: dict[str, int] = {}
    for entry in top.entries("communities"):
        record = _read_community(entry, community_lines)
        if record is not None:
            data.communities.append(record)

    event_lines: dict[str, int] = {}
    for entry in top.entries("events"):
        record = _read_event(entry, event_lines, default_zone, zones)
        if record is not None:
            data.events.append(record)

    data.problems.sort(key=lambda problem: problem.line or 0)
    return data


def apply_import(data: ImportData) -> ImportResult:
    """Write checked records as they are: the shipped sample, loaded for a demo.

    New slugs are created and changed ones updated as the file says, without the
    organiser rules, the audit of each change or the e-mail about it: this is for
    sample data only. Imports of real events go through
    :func:`tfc_training.organise.importing.import_events`, which keeps to those
    rules. Takes the write lock first, so that the database checks and the writes
    see the same rows. Flushes only.

    :raise ImportFailed: when the data or its community references have problems.
    """
    begin_write()
    communities = communities_by_slug(data)
    problems = data.problems + unknown_communities(data, communities)
    problems.sort(key=lambda problem: problem.line or 0)
    if problems:
        raise ImportFailed(problems)

    result = ImportResult()
    write_communities(data, communities, result)

    events = _events_by_slug(data)
    now = utcnow()
    more_places = []
    for record in data.events:
        if record.repeat is not None:
            # A series makes one event per date, by the organiser rules: the
            # caller writes it (see ``tfc_training.organise.importing``).
            continue
        event = events.get(record.slug)
        created = event is None
        if created:
            event = Event()
            db.session.add(event)
        old_capacity = event.capacity
        community = communities[record.community] if record.community else None
        changed = apply_event_changes(event, record.values(community))
        result.events.count(created, changed)
        if not created and _has_more_places(old_capacity, event.capacity):
            more_places.append(event)

    db.session.flush()
    for event in more_places:
        # People on a waiting list get the places a larger capacity makes.
        if event.status == "published" and event.ends_at > now:
            promote_waiting(event, now=now)
    logger.info(
        "imported %s: created/updated/unchanged communities %s/%s/%s, events %s/%s/%s",
        data.source,
        result.communities.created,
        result.communities.updated,
        result.communities.unchanged,
        result.events.created,
        result.events.updated,
        result.events.unchanged,
    )
    return result


def _has_more_places(old: int | None, new: int | None) -> bool:
    return old is not None and (new is None or new > old)


def write_communities(
    data: ImportData, communities: dict[str, Community], result: ImportResult
) -> None:
    """Create or update the communities of ``data``, adding new ones to
    ``communities`` and counting them in ``result``."""
    for record in data.communities:
        community = communities.get(record.slug)
        created = community is None
        if created:
            community = Community()
            db.session.add(community)
            communities[record.slug] = community
        changed = apply_community_changes(community, record.values())
        result.communities.count(created, changed)


def communities_by_slug(data: ImportData) -> dict[str, Community]:
    """Lock and return the communities that ``data`` defines or names, by slug."""
    slugs = {record.slug for record in data.communities}
    slugs.update(slug for slug, _line in data.references)
    if not slugs:
        return {}
    rows = db.session.scalars(
        select(Community).where(Community.slug.in_(slugs)).with_for_update()
    )
    return {community.slug: community for community in rows}


def _events_by_slug(data: ImportData) -> dict[str, Event]:
    slugs = [record.slug for record in data.events]
    if not slugs:
        return {}
    rows = db.session.scalars(
        select(Event).where(Event.slug.in_(slugs)).with_for_update(of=Event)
    ).unique()
    return {event.slug: event for event in rows}


def unknown_communities(data: ImportData, known: Mapping) -> list[Problem]:
    """A problem for each community named by an event but defined nowhere."""
    defined = {record.slug for record in data.communities} | set(known)
    return [
        Problem(
            data.source,
            line,
            "community",
            _(
                "there is no community “%(slug)s” in this file or in the database",
                slug=slug,
            ),
        )
        for slug, line in data.references
        if slug not in defined
    ]


def _syntax_problem(source: str, error: yaml.YAMLError, text: str) -> Problem:
    line, message = describe_yaml_error(error, text)
    return Problem(source, line, None, _("not valid YAML: %(error)s", error=message))


def _to_utc(local: datetime | None, zone: ZoneInfo) -> datetime | None:
    if local is None:
        return None
    return local.replace(tzinfo=zone).astimezone(UTC)


def _exists_in_zone(local: datetime, zone: ZoneInfo) -> bool:
    """Whether a wall-clock time happens at all (it does not when clocks skip it)."""
    there_and_back = _to_utc(local, zone).astimezone(zone).replace(tzinfo=None)
    return there_and_back == local


def _read_community(entry: "_Entry", seen: dict[str, int]) -> CommunityRecord | None:
    entry.reject_unknown_keys(COMMUNITY_KEYS)
    values = {
        "slug": entry.slug(_column_length(Community, "slug"), seen),
        "name": entry.text("name", _column_length(Community, "name")),
        "area": entry.text("area", _column_length(Community, "area")),
        "description": entry.description(),
    }
    if entry.has_problems:
        return None
    return CommunityRecord(line=entry.line, **values)


def _read_event(
    entry: "_Entry", seen: dict[str, int], default_zone: str, zones: set[str]
) -> EventRecord | None:
    entry.reject_unknown_keys(EVENT_KEYS)
    values = {
        "slug": entry.slug(_column_length(Event, "slug"), seen),
        "title": entry.text("title", _column_length(Event, "title")),
        "type": entry.choice("type", EVENT_TYPES, _("event type")),
        "community": entry.community(),
        "sectors": entry.choices("sectors", SECTORS, _("sector")),
        "languages": entry.choices("languages", LANGUAGES, _("language")),
        "description": entry.description(),
        "capacity": entry.capacity(),
        "status": entry.choice("status", EVENT_STATUSES, _("status"), "published"),
    }
    values.update(entry.place())
    values.update(entry.schedule(default_zone, zones))
    values["repeat"] = entry.repeat(values)
    if entry.has_problems:
        return None
    key_lines = dict(entry.mapping.key_lines)
    return EventRecord(line=entry.line, key_lines=key_lines, **values)


class _Mapping(dict):
    """A YAML mapping that remembers the line it starts on and each key's line."""

    line: int
    key_lines: dict


class _Sequence(list):
    """A YAML sequence that remembers the line of each item."""

    line: int
    item_lines: list


class _LocatingLoader(yaml.SafeLoader):
    """PyYAML's safe loader, keeping line numbers and noting keys given twice."""

    def __init__(self, stream):
        super().__init__(stream)
        self.repeated_keys: list[tuple[object, int]] = []


def _construct_mapping(loader: _LocatingLoader, node: yaml.MappingNode) -> _Mapping:
    loader.flatten_mapping(node)
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                "found a key that is not a single value",
                key_node.start_mark,
            ) from None
        if key in mapping:
            loader.repeated_keys.append((key, line))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = line
    return mapping


def _construct_sequence(loader: _LocatingLoader, node: yaml.SequenceNode) -> _Sequence:
    sequence = _Sequence(
        loader.construct_object(item, deep=True) for item in node.value
    )
    sequence.line = node.start_mark.line + 1
    sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
    return sequence


_LocatingLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LocatingLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


class _Entry:
    """Reads the fields of one mapping, recording a located problem for each mistake.

    A reader that finds a mistake records it and returns an empty value rather than
    stopping, so that one entry reports all of its mistakes at once.
    """

    def __init__(self, mapping: _Mapping, prefix: str, data: ImportData):
        self.mapping = mapping
        self.prefix = prefix
        self.data = data
        self.line = mapping.line
        self.problem_keys: set[str] = set()
        self.problem_count = 0

    @property
    def has_problems(self) -> bool:
        return self.problem_count > 0

    def line_of(self, key: str) -> int:
        return self.mapping.key_lines.get(key, self.line)

    def problem(self, key: str, message: str, line: int | None = None) -> None:
        line = line or self.line_of(key)
        self.data.problems.append(
            Problem(self.data.source, line, f"{self.prefix}{key}", message)
        )
        self.problem_keys.add(key)
        self.problem_count += 1

    def reject_unknown_keys(self, known: tuple[str, ...]) -> None:
        for key in self.mapping:
            if key not in known:
                self.problem(
                    str(key),
                    _(
                        "unknown field; expected one of: %(known)s",
                        known=", ".join(known),
                    ),
                    self.mapping.key_lines[key],
                )

    def entries(self, key: str) -> Iterator["_Entry"]:
        """Each mapping in the list under ``key``; a missing list is an empty one."""
        items = self.mapping.get(key)
        if items is None:
            return
        if not isinstance(items, _Sequence):
            self.problem(key, _("must be a list of entries, each starting with “-”"))
            return
        for item, line in zip(items, items.item_lines):
            if isinstance(item, _Mapping):
                yield _Entry(item, "", self.data)
            else:
                message = _("each entry must be a set of “field: value” lines")
                self.problem(key, message, line)

    def _value(self, key: str, required: bool):
        value = self.mapping.get(key)
        if value is None and required:
            self.problem(key, _("is required"))
        return value

    def text(
        self,
        key: str,
        limit: int | None,
        *,
        required: bool = True,
        one_line: bool = True,
    ) -> str | None:
        """Read text, trimmed; names and titles must fit on one line."""
        value = self._value(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(key, _("must be text; put it in quotes"))
            return None

        value = value.strip()
        if not value and required:
            self.problem(key, _("must not be empty"))
            return None
        problem = text_problem(value, limit, one_line=one_line)
        if problem:
            self.problem(key, problem)
            return None
        return value

    def description(self) -> str:
        """Read the optional description, which may run over several paragraphs."""
        text = self.text(
            "description", DESCRIPTION_LIMIT, required=False, one_line=False
        )
        return text or ""

    def slug(self, limit: int, seen: dict[str, int]) -> str | None:
        """Read the slug, which must not repeat one in ``seen`` (slug to line)."""
        value = self.text("slug", limit)
        if value is None:
            return None

        if not SLUG_PATTERN.fullmatch(value):
            self.problem(
                "slug",
                _(
                    "“%(value)s” is not a slug: use lower-case letters, digits and single"
                    " hyphens",
                    value=value,
                ),
            )
            return None
        if value in seen:
            self.problem(
                "slug",
                _(
                    "“%(slug)s” is already used on line %(line)d",
                    slug=value,
                    line=seen[value],
                ),
            )
            return None
        seen[value] = self.line_of("slug")
        return value

    def community(self) -> str | None:
        value = self.text("community", None, required=False)
        if value:
            self.data.references.append((value, self.line_of("community")))
        return value or None

    def choice(self, key: str, known, kind: str, default: str | None = None):
        value = self._value(key, default is None)
        if value is None:
            return default
        if not isinstance(value, str) or value not in known:
            self.problem(
                key,
                _(
                    "unknown %(kind)s “%(value)s”; expected one of: %(known)s",
                    kind=kind,
                    value=value,
                    known=", ".join(known),
                ),
            )
            return None
        return value

    def choices(self, key: str, known, kind: str) -> tuple[str, ...] | None:
        value = self._value(key, True)
        if value is None:
            return None
        if isinstance(value, str):
            value, lines = [value], [self.line_of(key)]
        elif isinstance(value, _Sequence):
            lines = value.item_lines
        else:
            self.problem(
                key,
                _(
                    "must be a list, such as [%(example)s]",
                    example=", ".join(list(known)[:2]),
                ),
            )
            return None
        if not value:
            self.problem(key, _("must name at least one %(kind)s", kind=kind))
            return None

        chosen = []
        for item, line in zip(value, lines):
            if not isinstance(item, str) or item not in known:
                self.problem(
                    key,
                    _(
                        "unknown %(kind)s “%(value)s”; expected one of: %(known)s",
                        kind=kind,
                        value=item,
                        known=", ".join(known),
                    ),
                    line,
                )
            elif item in chosen:
                self.problem(key, _("“%(value)s” is listed twice", value=item), line)
            else:
                chosen.append(item)
        if len(chosen) != len(value):
            return None
        return tuple(chosen)

    def capacity(self) -> int | None:
        value = self.mapping.get("capacity")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.problem(
                "capacity",
                _("must be a whole number above 0, or left out for no limit"),
            )
            return None
        return value

    def flag(self, key: str) -> bool:
        value = self.mapping.get(key, False)
        if not isinstance(value, bool):
            self.problem(key, _("must be true or false"))
            return False
        return value

    def place(self) -> dict:
        """Read ``venue`` and ``online_url``; at least one of them is needed."""
        venue = self.mapping.get("venue")
        name = address = None
        if venue is not None:
            if isinstance(venue, _Mapping):
                reader = _Entry(venue, "venue.", self.data)
                reader.reject_unknown_keys(VENUE_KEYS)
                name = reader.text("name", _column_length(Event, "venue_name"))
                address = reader.text(
                    "address", _column_length(Event, "venue_address"), required=False
                )
                self.problem_count += reader.problem_count
            else:
                self.problem("venue", _("must have a “name:” and an “address:” line"))

        online_url = self.text(
            "online_url", _column_length(Event, "online_url"), required=False
        )
        if online_url and not _is_web_address(online_url):
            self.problem(
                "online_url",
                _("must be a web address starting with https:// or http://"),
            )
        elif venue is None and not online_url and "online_url" not in self.problem_keys:
            self.problem("venue", _("is required, unless the event has an online_url"))
        return {
            "venue_name": name,
            "venue_address": address or None,
            "online_url": online_url or None,
        }

    def schedule(self, default_zone: str, zones: set[str]) -> dict:
        """Read the time zone, start, end and registration window."""
        limit = _column_length(Event, "timezone")
        timezone = self.text("timezone", limit, required=False)
        if timezone is None:
            timezone = default_zone
        elif timezone not in zones:
            self.problem(
                "timezone",
                _(
                    "unknown time zone “%(value)s”; use an IANA name such as"
                    " America/Los_Angeles",
                    value=timezone,
                ),
            )
            timezone = None
        zone = ZoneInfo(timezone) if timezone else None

        all_day = self.flag("all_day")
        if all_day:
            start, end = self._days()
        else:
            start, end = self._times(zone)
        if (
            start
            and end
            and _instant(end, zone) - _instant(start, zone) > LONGEST_EVENT
        ):
            self.problem(
                "end_date" if all_day else "end",
                _(
                    "the event lasts more than %(days)d days; split it into several"
                    " events",
                    days=LONGEST_EVENT.days,
                ),
            )

        opens = self._local_time("registration_opens", zone, required=False)
        closes = self._local_time("registration_closes", zone, required=False)
        if opens and closes and closes <= opens:
            self.problem("registration_closes", _("must be after registration_opens"))
        if opens and start and _instant(opens, zone) >= _instant(start, zone):
            self.problem("registration_opens", _("must be before the start"))
        if closes and end and _instant(closes, zone) > _instant(end, zone):
            self.problem("registration_closes", _("must not be after the end"))
        return {
            "timezone": timezone,
            "all_day": all_day,
            "start": start,
            "end": end,
            "registration_opens": opens,
            "registration_closes": closes,
        }

    def _times(self, zone: ZoneInfo | None) -> tuple[datetime | None, datetime | None]:
        for key in ("start_date", "end_date"):
            if key in self.mapping:
                self.problem(
                    key,
                    _(
                        "only all-day events take dates; add “all_day: true” or give"
                        " “start:” and “end:” times"
                    ),
                )
        start = self._local_time("start", zone, required=True)
        end = self._local_time("end", zone, required=True)
        if start and end:
            # Compared as instants where the zone is known, so that a night across
            # a change of the clocks is measured correctly.
            if zone is not None:
                start_instant, end_instant = _to_utc(start, zone), _to_utc(end, zone)
            else:
                start_instant, end_instant = start, end
            if end_instant <= start_instant:
                self.problem("end", _("must be after the start"))
        return start, end

    def _days(self) -> tuple[datetime | None, datetime | None]:
        for key in ("start", "end"):
            if key in self.mapping:
                self.problem(
                    key,
                    _("all-day events take “start_date:” and “end_date:” instead"),
                )
        first = self._date("start_date", required=True)
        last = self._date("end_date", required=False) or first
        if first and last and last < first:
            self.problem("end_date", _("must not be before start_date"))
            return None, None
        if first is None or last is None:
            return None, None
        return (
            datetime.combine(first, time()),
            datetime.combine(last + timedelta(days=1), time()),
        )

    def _date(self, key: str, required: bool) -> date | None:
        value = self._value(key, required)
        if value is None:
            return None
        day = None
        if isinstance(value, date) and not isinstance(value, datetime):
            day = value
        elif isinstance(value, str):
            try:
                day = date.fromisoformat(value.strip())
            except ValueError:
                pass
        if day is None:
            self.problem(
                key,
                _("“%(value)s” is not a date; write it like 2027-02-06", value=value),
            )
            return None
        if not in_year_range(day):
            self._out_of_range(key, day.isoformat())
            return None
        return day

    def _local_time(self, key: str, zone: ZoneInfo | None, required: bool):
        value = self._value(key, required)
        if value is None:
            return None

        moment = _parse_local_time(value)
        if moment is None:
            self.problem(
                key,
                _(
                    "“%(value)s” is not a local date and time; write it like"
                    " 2027-02-03 18:30",
                    value=value,
                ),
            )
            return None
        if moment.tzinfo is not None:
            self.problem(
                key,
                _(
                    "write the local time without a UTC offset; the zone comes from"
                    " “timezone:”"
                ),
            )
            return None
        if not in_year_range(moment):
            self._out_of_range(key, f"{moment:%Y-%m-%d %H:%M}")
            return None
        if zone is not None and not _exists_in_zone(moment, zone):
            self.problem(
                key,
                _(
                    "%(value)s does not exist in %(zone)s: the clocks skip that hour",
                    value=f"{moment:%Y-%m-%d %H:%M}",
                    zone=zone.key,
                ),
            )
            return None
        return moment

    def repeat(self, values: Mapping) -> Rule | None:
        """Read ``repeat``: keys in YAML, RRULE-like text in a CSV cell.

        The rule is expanded from the start, so that a series too long to hold is
        reported here with the rest.
        """
        value = self.mapping.get("repeat")
        if value is None or value == "":
            return None
        try:
            if isinstance(value, str):
                rule = rule_from_rrule(value)
            else:
                rule = rule_from_mapping(value)
        except RuleError as error:
            self.problem("repeat", str(error))
            return None

        if values.get("all_day"):
            self.problem("repeat", _("a repeating event needs start and end times"))
            return None
        if values.get("start") is not None:
            try:
                local_starts(rule, values["start"])
            except RuleError as error:
                self.problem("repeat", str(error))
                return None
        return rule

    def _out_of_range(self, key: str, value: str) -> None:
        self.problem(
            key,
            _(
                "“%(value)s” is outside the years %(first)d to %(last)d",
                value=value,
                first=EARLIEST_YEAR,
                last=LATEST_YEAR,
            ),
        )


def _instant(local: datetime, zone: ZoneInfo | None) -> datetime:
    """A local time as an instant where the zone is known, so that spans across a
    change of the clocks are measured correctly; as it is otherwise."""
    return local if zone is None else _to_utc(local, zone)


def _parse_local_time(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    for pattern in DATETIME_FORMATS:
        try:
            return datetime.strptime(value.strip(), pattern)
        except ValueError:
            continue
    return None


def _is_web_address(value: str) -> bool:
    if any(character.isspace() or ord(character) < 32 for character in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)

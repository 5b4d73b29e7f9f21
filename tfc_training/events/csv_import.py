"""Importing events from a CSV file, for organisers who plan in a spreadsheet.

The first line names the columns, in any order; each further line is one event::

    slug,title,type,community,sectors,languages,start,end,venue_name,capacity
    koreatown-listening,Listening group,listening-group,koreatown,schools;media,en|ko,...

The columns are the event fields of the YAML import (see
:mod:`tfc_training.events.importer`), with the venue in two columns, ``venue_name``
and ``venue_address``. Sectors and languages are separated by ``;`` or ``|``, the
main language first. ``all_day`` takes ``true`` or ``false`` (``yes``/``no`` and
``1``/``0`` too). ``repeat`` holds a repetition as RRULE-like text, such as
``FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;UNTIL=20270630`` (UNTIL being a local date; see
:func:`~.recurrence.rule_from_rrule`). A file saved by a spreadsheet with a
byte-order mark is read like any other UTF-8 file.

For a new event, an empty cell or a missing column is a field left out, which takes
its default (published, the default time zone, no limit on places). For an event
that already exists, a missing column leaves its field as it is, and so does an
empty ``timezone``, ``all_day`` or ``status`` cell; an empty cell of another optional
column clears that field. Times left as they are keep their instant, even when the
row names another time zone.

Each row is checked by exactly the rules of the YAML import, and the same
all-or-nothing rule holds: every problem is reported as ``FILE:LINE: field: message``,
where LINE is the line the row starts on, and if there is any, nothing is written.
"""

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import zip_longest
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app
from flask_babel import gettext as _

from .importer import (
    DATETIME_FORMATS,
    EVENT_KEYS,
    ImportData,
    Problem,
    _Entry,
    _Mapping,
    _read_event,
    _Sequence,
)
from .models import Event

#: Every column a file may have.
COLUMNS = (
    *(key for key in EVENT_KEYS if key != "venue"),
    "venue_name",
    "venue_address",
)

#: Columns without which no row could be right.
REQUIRED_COLUMNS = ("slug", "title", "type", "sectors", "languages")

LIST_COLUMNS = ("sectors", "languages")
LIST_SEPARATOR = re.compile(r"[;|]")

TRUE_WORDS = ("true", "yes", "y", "1")
FALSE_WORDS = ("false", "no", "n", "0")

#: Columns whose empty cell keeps an existing event's value: the field has a value
#: whatever happens, so an empty cell cannot mean "none".
KEPT_WHEN_EMPTY = ("timezone", "all_day", "status")

#: Looks up the events that rows may change, by slug: those the person importing
#: manages. Rows of other slugs are read as new events.
FindEvents = Callable[[list[str]], Mapping[str, Event]]

#: Problems about the venue are named after the column the organiser wrote in.
_FIELD_NAMES = {
    "venue": "venue_name",
    "venue.name": "venue_name",
    "venue.address": "venue_address",
}


@dataclass(frozen=True)
class EventRow:
    """What a row says about whose event it is, even when the row has mistakes."""

    line: int
    slug: str | None
    community: str | None


@dataclass
class CsvImportData(ImportData):
    """An import read from CSV: ``rows`` keeps each row's slug and community."""

    rows: list[EventRow] = field(default_factory=list)


def read_csv_file(
    path: str | Path, find_events: FindEvents | None = None
) -> CsvImportData:
    """Read and check a CSV file; see :func:`parse_csv` for ``find_events``."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        problem = Problem(source, None, None, error.strerror or str(error))
        return CsvImportData(source, problems=[problem])
    return decode_csv(raw, source, find_events)


def decode_csv(
    raw: bytes, source: str, find_events: FindEvents | None = None
) -> CsvImportData:
    """Check CSV bytes, which must be UTF-8, and turn them into records."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        problem = Problem(source, None, None, _("the file is not UTF-8 text"))
        return CsvImportData(source, problems=[problem])
    return parse_csv(text, source, find_events)


def parse_csv(
    text: str, source: str, find_events: FindEvents | None = None
) -> CsvImportData:
    """Check CSV ``text`` row by row; problems are collected, not raised.

    ``find_events`` gives the events that rows may change; the columns a file leaves
    out are then filled with their values as they are. Without it, no database is
    read and every row is read as a new event.
    """
    data = CsvImportData(source)
    reader = csv.reader(io.StringIO(text, newline=""))

    try:
        header = next(reader, None)
    except csv.Error as error:
        data.problems.append(_syntax_problem(source, reader.line_num, error))
        return data
    if header is None or not any(cell.strip() for cell in header):
        message = _("the file is empty; the first line must name the columns")
        data.problems.append(Problem(source, 1, None, message))
        return data

    columns = [cell.strip().lower() for cell in header]
    data.problems.extend(_header_problems(columns, source))
    if data.problems:
        return data

    default_zone = current_app.config["DEFAULT_TIMEZONE"]
    zones = available_timezones()
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            data.problems.append(_syntax_problem(source, line, error))
            break
        first_line, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue

        if len(row) > len(columns):
            data.problems.append(
                Problem(
                    source,
                    first_line,
                    None,
                    _(
                        "this row has %(cells)d cells but the first line names only"
                        " %(columns)d columns",
                        cells=len(row),
                        columns=len(columns),
                    ),
                )
            )
            continue
        # A row that stops early, as spreadsheets write them, has empty cells left.
        cells = [cell.strip() for cell in row]
        rows.append((first_line, dict(zip_longest(columns, cells, fillvalue=""))))

    slugs = [cells["slug"] for _line, cells in rows if cells.get("slug")]
    existing = find_events(slugs) if find_events and slugs else {}
    seen: dict[str, int] = {}
    for first_line, cells in rows:
        event = existing.get(cells.get("slug", ""))
        if event is not None:
            cells = _as_it_is(cells, event, zones)
        mapping = _row_mapping(cells, first_line)
        data.rows.append(
            EventRow(first_line, mapping.get("slug"), mapping.get("community"))
        )
        record = _read_event(_Entry(mapping, "", data), seen, default_zone, zones)
        if record is not None:
            data.events.append(record)

    data.problems = sorted(
        (replace(p, field=_FIELD_NAMES.get(p.field, p.field)) for p in data.problems),
        key=lambda problem: problem.line or 0,
    )
    return data


def _header_problems(columns: list[str], source: str) -> list[Problem]:
    problems = []
    for position, column in enumerate(columns):
        if column not in COLUMNS:
            problems.append(
                Problem(
                    source,
                    1,
                    column or _("column %(number)d", number=position + 1),
                    _(
                        "unknown column; expected some of: %(known)s",
                        known=", ".join(COLUMNS),
                    ),
                )
            )
        elif column in columns[:position]:
            problems.append(Problem(source, 1, column, _("is named twice")))
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            problems.append(Problem(source, 1, column, _("column is missing")))
    return problems


def _as_it_is(cells: dict[str, str], event: Event, zones) -> dict[str, str]:
    """The row's cells, with the columns it leaves out (and the empty cells that
    cannot mean "none") filled in from ``event`` as it is now."""
    timezone = cells.get("timezone") or event.timezone
    zone = ZoneInfo(timezone) if timezone in zones else event.zone
    all_day = _flag(cells["all_day"]) if cells.get("all_day") else event.all_day

    current = {
        "community": event.community.slug if event.community else "",
        "description": event.description or "",
        "timezone": event.timezone,
        "all_day": "true" if event.all_day else "false",
        "venue_name": event.venue_name or "",
        "venue_address": event.venue_address or "",
        "online_url": event.online_url or "",
        "capacity": str(event.capacity) if event.capacity else "",
        "registration_opens": _local_text(event.registration_opens_at, zone),
        "registration_closes": _local_text(event.registration_closes_at, zone),
        "status": event.status,
    }
    # Days can be kept whatever the event was; times only when it had times.
    if all_day is True:
        current["start_date"] = event.start_date.isoformat()
        current["end_date"] = event.last_date.isoformat()
    elif all_day is False and not event.all_day:
        current["start"] = _local_text(event.starts_at, zone)
        current["end"] = _local_text(event.ends_at, zone)

    filled = dict(cells)
    for column, value in current.items():
        if column not in cells or (column in KEPT_WHEN_EMPTY and not cells[column]):
            filled[column] = value
    return filled


def _local_text(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    # Seconds are written only when there are some, in a spelling the file may use.
    return local.strftime(DATETIME_FORMATS[2] if local.second else DATETIME_FORMATS[0])


def _row_mapping(cells: Mapping[str, str], line: int) -> _Mapping:
    """Turn one row into the mapping a YAML entry would have given."""
    mapping = _new_mapping(line)
    venue = _new_mapping(line)
    for column, value in cells.items():
        if not value:
            continue
        if column in ("venue_name", "venue_address"):
            _put(venue, column.removeprefix("venue_"), value)
        elif column in LIST_COLUMNS:
            items = [item.strip() for item in LIST_SEPARATOR.split(value)]
            sequence = _Sequence(item for item in items if item)
            sequence.line = line
            sequence.item_lines = [line] * len(sequence)
            _put(mapping, column, sequence)
        elif column == "all_day":
            _put(mapping, column, _flag(value))
        elif column == "capacity":
            _put(mapping, column, int(value) if value.isdigit() else value)
        else:
            _put(mapping, column, value)
    if venue:
        _put(mapping, "venue", venue)
    return mapping


def _new_mapping(line: int) -> _Mapping:
    mapping = _Mapping()
    mapping.line = line
    mapping.key_lines = {}
    return mapping


def _put(mapping: _Mapping, key: str, value) -> None:
    mapping[key] = value
    mapping.key_lines[key] = mapping.line


def _flag(value: str):
    """A yes/no cell as a boolean; anything else is kept for the check to refuse."""
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return value


def _syntax_problem(source: str, line: int, error: csv.Error) -> Problem:
    return Problem(source, line, None, _("not valid CSV: %(error)s", error=str(error)))

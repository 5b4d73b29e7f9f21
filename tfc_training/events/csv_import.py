"""Importing events from a CSV file, for organisers who plan in a spreadsheet.

The first line names the columns, in any order; each further line is one event::

    slug,title,type,community,sectors,languages,start,end,venue_name,capacity
    koreatown-listening,Listening group,listening-group,koreatown,schools;media,en|ko,...

The columns are the event fields of the YAML import (see
:mod:`tfc_training.events.importer`), with the venue in two columns, ``venue_name``
and ``venue_address``. Sectors and languages are separated by ``;`` or ``|``, the
main language first. ``all_day`` takes ``true`` or ``false`` (``yes``/``no`` and
``1``/``0`` too). An empty cell is a field left out. A file saved by a spreadsheet
with a byte-order mark is read like any other UTF-8 file.

Each row is checked by exactly the rules of the YAML import, and the same
all-or-nothing rule holds: every problem is reported as ``FILE:LINE: field: message``,
where LINE is the line the row starts on, and if there is any, nothing is written.
"""

import csv
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import available_timezones

from flask import current_app
from flask_babel import gettext as _

from .importer import (
    EVENT_KEYS,
    ImportData,
    ImportResult,
    Problem,
    _Entry,
    _Mapping,
    _read_event,
    _Sequence,
    apply_import,
)

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


def import_csv_file(path: str | Path) -> ImportResult:
    """Read a CSV file and write its events; flushes, the caller commits.

    :raise ImportFailed: when the file has any problem; nothing is written.
    """
    return apply_import(read_csv_file(path))


def read_csv_file(path: str | Path) -> CsvImportData:
    """Read and check a CSV file without touching the database."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        problem = Problem(source, None, None, error.strerror or str(error))
        return CsvImportData(source, problems=[problem])
    return decode_csv(raw, source)


def decode_csv(raw: bytes, source: str) -> CsvImportData:
    """Check CSV bytes, which must be UTF-8, and turn them into records."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        problem = Problem(source, None, None, _("the file is not UTF-8 text"))
        return CsvImportData(source, problems=[problem])
    return parse_csv(text, source)


def parse_csv(text: str, source: str) -> CsvImportData:
    """Check CSV ``text`` row by row; problems are collected, not raised."""
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
    seen: dict[str, int] = {}
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

        mapping = _row_mapping(columns, row, first_line)
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


def _row_mapping(columns: list[str], row: list[str], line: int) -> _Mapping:
    """Turn one row into the mapping a YAML entry would have given."""
    mapping = _new_mapping(line)
    venue = _new_mapping(line)
    for column, cell in zip(columns, row):
        value = cell.strip()
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

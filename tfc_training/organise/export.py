"""The registrant list as a CSV file, safe to open in a spreadsheet."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from ..audit.services import STATUS_LABELS
from ..events.models import Event
from ..vocabulary import LANGUAGES, SECTORS
from .services import RegistrantRow

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def registrant_columns() -> list[str]:
    """The column headings, the same as on the registrant list page."""
    return [
        _("Name"),
        _("E-mail"),
        _("Status"),
        _("Waiting position"),
        _("Sector"),
        _("Language"),
        _("Accessibility needs"),
        _("Signed up"),
        _("Checked in"),
    ]


def registrants_csv(event: Event, rows: list[RegistrantRow]) -> str:
    """Write the registrants of ``event`` as CSV text, one row each.

    Times are written in the event's own zone with their offset. Erased registrants
    keep their row, with the personal cells empty, so that the counts still add up.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(registrant_columns())
    for row in rows:
        registration = row.registration
        writer.writerow(
            safe_cell(value)
            for value in (
                registration.name or "",
                registration.email or "",
                str(STATUS_LABELS.get(registration.status, registration.status)),
                row.position or "",
                str(SECTORS.get(registration.sector_slug, "")),
                LANGUAGES.get(registration.language, registration.language),
                registration.accessibility or "",
                _moment(registration.created_at, event.zone),
                _moment(registration.attended_at, event.zone),
            )
        )
    return buffer.getvalue()


def safe_cell(value) -> str:
    """Keep a cell from being run as a formula: prefix risky text with ``'``.

    Names and accessibility notes are typed by the public, and a spreadsheet would
    otherwise evaluate "=HYPERLINK(...)" as soon as an organiser opens the file.
    """
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _moment(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return ""
    return moment.astimezone(zone).isoformat(timespec="minutes")

"""The stretch of time a report covers: a half year or a custom range of days.

Periods are local dates in the network's zone (Los Angeles); queries compare
instants against the UTC bounds of those local days, and dates against the days.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

#: ``2026-H1`` is January to June 2026, ``2026-H2`` July to December.
HALF_PATTERN = re.compile(r"(\d{4})-H([12])")

#: Years a report may name; outside them a date is almost surely a typing mistake.
FIRST_YEAR = 2000
LAST_YEAR = 2100

#: Longest custom range, in days: a little over three years. The report splits its
#: periods by month, and a bound keeps that split small.
LONGEST_RANGE_DAYS = 1100


class PeriodError(ValueError):
    """The period asked for cannot be read; the message says what to write."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Period:
    """Days from ``start`` to ``end``, both included."""

    start: date
    end: date
    #: ``2026-H1`` for a half year, empty for a custom range.
    half: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.half:
            year, half = self.half.split("-H")
            if half == "1":
                return _("January–June %(year)s", year=year)
            return _("July–December %(year)s", year=year)
        return _(
            "%(start)s to %(end)s",
            start=self.start.isoformat(),
            end=self.end.isoformat(),
        )

    def previous(self) -> "Period":
        """The half year before, or for a custom range the same number of days
        just before it."""
        if self.half:
            if self.half.endswith("H1"):
                return half_year(self.start.year - 1, 2)
            return half_year(self.start.year, 1)
        end = self.start - timedelta(days=1)
        return Period(start=end - timedelta(days=self.days - 1), end=end)

    def months(self) -> list[tuple[int, int]]:
        """The calendar months the period touches, as (year, month), in order."""
        months = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def utc_bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The first instant of the period and the first instant after it, in UTC."""
        return local_midnight(self.start, zone), local_midnight(
            self.end + timedelta(days=1), zone
        )

    def query_args(self) -> dict[str, str]:
        """The period as query-string arguments, for links that keep it."""
        if self.half:
            return {"period": self.half}
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a local day begins, in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def half_year(year: int, half: int) -> Period:
    """January–June (``half`` 1) or July–December (``half`` 2) of ``year``."""
    if half == 1:
        return Period(date(year, 1, 1), date(year, 6, 30), f"{year}-H1")
    return Period(date(year, 7, 1), date(year, 12, 31), f"{year}-H2")


def current_half(today: date) -> Period:
    """The half year ``today`` falls in."""
    return half_year(today.year, 1 if today.month <= 6 else 2)


def parse_period(args, today: date) -> Period:
    """Read ``period=2026-H1``, or ``start`` and ``end`` dates, from request arguments.

    With neither, the half year of ``today``.

    :raise PeriodError: for anything that does not name a period, with a message
        that says how to write one.
    """
    half = (args.get("period") or "").strip()
    start = (args.get("start") or "").strip()
    end = (args.get("end") or "").strip()

    if start or end:
        return _custom_range(start, end)
    if half:
        return _half(half)
    return current_half(today)


def _half(text: str) -> Period:
    found = HALF_PATTERN.fullmatch(text.upper())
    if not found:
        raise PeriodError(
            _(
                "“%(value)s” is not a half year. Write the year, “-H1” for January"
                " to June or “-H2” for July to December, for example 2026-H1.",
                value=text[:40],
            )
        )
    year = int(found.group(1))
    _check_year(year)
    return half_year(year, int(found.group(2)))


def _custom_range(start_text: str, end_text: str) -> Period:
    if not (start_text and end_text):
        raise PeriodError(
            _("A custom range needs both a first and a last day, such as 2026-01-15.")
        )
    start = _day(start_text, _("first day"))
    end = _day(end_text, _("last day"))
    if end < start:
        raise PeriodError(_("The last day comes before the first day."))
    period = Period(start, end)
    if period.days > LONGEST_RANGE_DAYS:
        raise PeriodError(
            _(
                "A custom range may cover at most %(days)s days; choose a shorter one.",
                days=LONGEST_RANGE_DAYS,
            )
        )
    return period


def _day(text: str, name: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise PeriodError(
            _(
                "The %(name)s “%(value)s” is not a date. Write it as year-month-day,"
                " for example 2026-01-15.",
                name=name,
                value=text[:40],
            )
        ) from None
    _check_year(day.year)
    return day


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(
            _(
                "Reports cover the years %(first)s to %(last)s.",
                first=FIRST_YEAR,
                last=LAST_YEAR,
            )
        )

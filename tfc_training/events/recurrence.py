"""Repetition rules: reading, checking, expanding and describing them.

A rule is expanded in local wall time with :mod:`dateutil.rrule` (the RFC 5545
algorithm) and only then turned into instants, so a meeting at 18:30 stays at 18:30
when the clocks change. Every date a rule gives becomes an event of its own, so the
number of dates is capped: :data:`MAX_OCCURRENCES` dates within :data:`MAX_SPAN`.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

#: The most dates one series may have; a longer programme is made as a new series.
MAX_OCCURRENCES = 104

#: The longest time from the first date of a series to its last.
MAX_SPAN = timedelta(days=2 * 366)

#: RFC 5545 weekday codes, Monday first, as ``date.weekday()`` numbers them.
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

WEEKDAY_NAMES = {
    "MO": _l("Monday"),
    "TU": _l("Tuesday"),
    "WE": _l("Wednesday"),
    "TH": _l("Thursday"),
    "FR": _l("Friday"),
    "SA": _l("Saturday"),
    "SU": _l("Sunday"),
}

#: Places of a weekday in its month, as the rule and the form name them.
WEEK_OF_MONTH_NAMES = {
    1: _l("first"),
    2: _l("second"),
    3: _l("third"),
    4: _l("fourth"),
    -1: _l("last"),
}

_RRULE_WEEKDAYS = dict(zip(WEEKDAY_CODES, rrule.weekdays, strict=True))


class RuleError(ValueError):
    """A repetition that cannot be used; the message says what to change."""


@dataclass(frozen=True)
class Rule:
    """How a series repeats, in the terms of an RFC 5545 RRULE.

    ``weekdays`` are two-letter codes. A monthly rule has either ``month_day`` or
    ``week_of_month`` with exactly one weekday. Exactly one of ``until`` (a local
    date, inclusive) and ``count`` ends it.
    """

    freq: str
    every: int = 1
    weekdays: tuple[str, ...] = ()
    month_day: int | None = None
    week_of_month: int | None = None
    until: date | None = None
    count: int | None = None

    def with_end(self, *, until: date | None = None, count: int | None = None):
        """The same rule with another end."""
        return Rule(
            self.freq,
            self.every,
            self.weekdays,
            self.month_day,
            self.week_of_month,
            until,
            count,
        )


def check_rule(rule: Rule) -> None:
    """Refuse a rule whose parts do not fit together.

    :raise RuleError: saying what to change.
    """
    if rule.freq not in ("weekly", "monthly"):
        raise RuleError(_l("Repeat weekly or monthly."))
    if not 1 <= rule.every <= 12:
        raise RuleError(_l("Repeat every 1 to 12 weeks or months."))
    unknown = [code for code in rule.weekdays if code not in WEEKDAY_CODES]
    if unknown:
        raise RuleError(_l("Name weekdays such as monday or tuesday."))
    if rule.freq == "weekly":
        if not rule.weekdays:
            raise RuleError(_l("Choose the days of the week it repeats on."))
        if rule.month_day is not None or rule.week_of_month is not None:
            raise RuleError(_l("A weekly repetition takes weekdays only."))
    else:
        if (rule.month_day is None) == (rule.week_of_month is None):
            raise RuleError(
                _l("Repeat monthly either on a day of the month or on a weekday.")
            )
        if rule.month_day is not None and (
            rule.weekdays or not 1 <= rule.month_day <= 31
        ):
            raise RuleError(_l("Give a day of the month from 1 to 31."))
        if rule.week_of_month is not None:
            if rule.week_of_month not in WEEK_OF_MONTH_NAMES:
                raise RuleError(_l("Choose the first to fourth, or the last, weekday."))
            if len(rule.weekdays) != 1:
                raise RuleError(_l("Choose one weekday for a monthly repetition."))
    if (rule.until is None) == (rule.count is None):
        raise RuleError(_l("End the repetition on a date or after a number of dates."))
    if rule.count is not None and not 1 <= rule.count <= MAX_OCCURRENCES:
        raise RuleError(
            _l(
                "Repeat at most %(max)d times; make a new series after that.",
                max=MAX_OCCURRENCES,
            )
        )


def local_starts(rule: Rule, first: datetime) -> list[datetime]:
    """The local start times of a rule's dates, from ``first`` (naive, local) on.

    ``first`` itself is included only if the rule gives it, as the first date of
    a series is always one of its dates.

    :raise RuleError: for a rule that gives no date, or more dates or a longer time
        than a series may hold.
    """
    check_rule(rule)
    if rule.until is not None:
        if rule.until < first.date():
            raise RuleError(_l("The repetition must end after its first date."))
        if rule.until - first.date() > MAX_SPAN:
            raise RuleError(_too_many_message())

    starts = list(
        _rrule(rule, first).xafter(first, count=MAX_OCCURRENCES + 1, inc=True)
    )
    if not starts:
        raise RuleError(_l("This repetition gives no date; check its end."))
    if len(starts) > MAX_OCCURRENCES or starts[-1] - starts[0] > MAX_SPAN:
        raise RuleError(_too_many_message())
    return starts


def to_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """A local wall time as a UTC instant, as RFC 5545 reads it.

    A time skipped when the clocks go forward takes the offset from before the
    change, and a repeated one its first occurrence, which is what ``fold=0`` does.
    """
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def rrule_value(rule: Rule, start_time: time, zone: ZoneInfo) -> dict:
    """The rule as the parts of an RRULE, UNTIL being the last start in UTC."""
    parts: dict = {"FREQ": rule.freq.upper()}
    if rule.every != 1:
        parts["INTERVAL"] = rule.every
    if rule.week_of_month is not None:
        parts["BYDAY"] = [f"{rule.week_of_month}{rule.weekdays[0]}"]
    elif rule.weekdays:
        parts["BYDAY"] = list(rule.weekdays)
    if rule.month_day is not None:
        parts["BYMONTHDAY"] = [rule.month_day]
    if rule.until is not None:
        parts["UNTIL"] = to_instant(datetime.combine(rule.until, start_time), zone)
    else:
        parts["COUNT"] = rule.count
    return parts


def describe(rule: Rule) -> str:
    """The rule in words, such as "Every 2 weeks on Wednesday, until 2027-06-30"."""
    days = ", ".join(str(WEEKDAY_NAMES[code]) for code in rule.weekdays)
    if rule.freq == "weekly":
        if rule.every == 1:
            text = str(_l("Every week on %(days)s", days=days))
        else:
            text = str(_l("Every %(n)d weeks on %(days)s", n=rule.every, days=days))
    else:
        if rule.month_day is not None:
            where = str(_l("day %(day)d", day=rule.month_day))
        else:
            where = str(
                _l(
                    "the %(nth)s %(day)s",
                    nth=WEEK_OF_MONTH_NAMES[rule.week_of_month],
                    day=days,
                )
            )
        if rule.every == 1:
            text = str(_l("Every month on %(where)s", where=where))
        else:
            text = str(_l("Every %(n)d months on %(where)s", n=rule.every, where=where))
    if rule.until is not None:
        return str(
            _l("%(rule)s, until %(date)s", rule=text, date=rule.until.isoformat())
        )
    return str(
        lazy_ngettext(
            "%(rule)s, %(num)d time", "%(rule)s, %(num)d times", rule.count, rule=text
        )
    )


# --- Reading rules from files ----------------------------------------------------

_EVERY = re.compile(r"^(?:(\d+)\s+)?(week|weeks|month|months)$")
_POSITIONS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_DAY_NAMES = {
    "monday": "MO",
    "tuesday": "TU",
    "wednesday": "WE",
    "thursday": "TH",
    "friday": "FR",
    "saturday": "SA",
    "sunday": "SU",
}


def rule_from_mapping(value: Mapping) -> Rule:
    """Read the ``repeat`` entry of an import file.

    ``{every: 2 weeks, on: [wednesday], until: 2027-06-30}``, ``{every: month, on:
    second tuesday, count: 12}`` or ``{every: month, day: 15, until: ...}``.

    :raise RuleError: saying which key is wrong and what it should hold.
    """
    if not isinstance(value, Mapping):
        raise RuleError(
            _l(
                "Write the repetition as keys, such as {every: 2 weeks, on: [wednesday],"
                " until: 2027-06-30}."
            )
        )
    # YAML 1.1, which PyYAML reads, takes a bare ``on`` key for the boolean true.
    value = {"on" if key is True else key: item for key, item in value.items()}
    unknown = sorted(set(map(str, value)) - {"every", "on", "day", "until", "count"})
    if unknown:
        raise RuleError(
            _l(
                "Unknown key %(key)s; use every, on, day, until and count.",
                key=unknown[0],
            )
        )

    match = _EVERY.match(str(value.get("every", "")).strip().lower())
    if match is None:
        raise RuleError(
            _l("Say how often in “every”, such as “week”, “2 weeks” or “month”.")
        )
    every = int(match.group(1) or 1)
    freq = "weekly" if match.group(2).startswith("week") else "monthly"

    weekdays: tuple[str, ...] = ()
    week_of_month = None
    on = value.get("on")
    if on is not None:
        words = on if isinstance(on, list) else [on]
        if freq == "monthly" and len(words) == 1 and isinstance(words[0], str):
            parts = words[0].lower().split()
            if len(parts) == 2 and parts[0] in _POSITIONS:
                week_of_month = _POSITIONS[parts[0]]
                words = [parts[1]]
        codes = [_DAY_NAMES.get(str(word).strip().lower()) for word in words]
        if None in codes or not codes:
            raise RuleError(
                _l(
                    "Name weekdays in “on”, such as [monday, wednesday] or “second tuesday”."
                )
            )
        weekdays = tuple(dict.fromkeys(codes))

    month_day = value.get("day")
    if month_day is not None and (
        isinstance(month_day, bool) or not isinstance(month_day, int)
    ):
        raise RuleError(_l("Give “day” as a day of the month from 1 to 31."))

    until = value.get("until")
    if until is not None and (
        isinstance(until, datetime) or not isinstance(until, date)
    ):
        raise RuleError(_l("Give “until” as a date like 2027-06-30."))
    count = value.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
        raise RuleError(_l("Give “count” as a whole number of dates."))

    rule = Rule(freq, every, weekdays, month_day, week_of_month, until, count)
    check_rule(rule)
    return rule


def rule_from_rrule(text: str) -> Rule:
    """Read an RRULE-like text, as the CSV ``repeat`` column holds it.

    ``FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;UNTIL=20270630`` or
    ``FREQ=MONTHLY;BYDAY=2TU;COUNT=12``. UNTIL is a local date.

    :raise RuleError: saying which part is wrong.
    """
    parts = {}
    for piece in text.strip().strip(";").split(";"):
        name, sep, part = piece.partition("=")
        name = name.strip().upper()
        if not sep or not name or name in parts:
            raise RuleError(
                _l("Write the repetition as FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630.")
            )
        parts[name] = part.strip().upper()

    unknown = sorted(
        set(parts) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "UNTIL", "COUNT"}
    )
    if unknown:
        raise RuleError(
            _l(
                "Unknown part %(part)s; use FREQ, INTERVAL, BYDAY, BYMONTHDAY, UNTIL"
                " and COUNT.",
                part=unknown[0],
            )
        )
    freq = {"WEEKLY": "weekly", "MONTHLY": "monthly"}.get(parts.get("FREQ", ""))
    if freq is None:
        raise RuleError(_l("FREQ must be WEEKLY or MONTHLY."))

    try:
        every = int(parts.get("INTERVAL", "1"))
        month_day = int(parts["BYMONTHDAY"]) if "BYMONTHDAY" in parts else None
        count = int(parts["COUNT"]) if "COUNT" in parts else None
    except ValueError:
        raise RuleError(
            _l("INTERVAL, BYMONTHDAY and COUNT take whole numbers.")
        ) from None

    weekdays: list[str] = []
    week_of_month = None
    for day in filter(None, parts.get("BYDAY", "").split(",")):
        found = re.fullmatch(r"([+-]?\d)?([A-Z]{2})", day.strip())
        if found is None:
            raise RuleError(
                _l("BYDAY takes weekdays such as WE, or 2TU for a monthly rule.")
            )
        if found.group(1):
            week_of_month = int(found.group(1))
        weekdays.append(found.group(2))

    until = None
    if "UNTIL" in parts:
        try:
            until = datetime.strptime(parts["UNTIL"][:8], "%Y%m%d").date()
        except ValueError:
            raise RuleError(_l("UNTIL takes a date like 20270630.")) from None

    rule = Rule(freq, every, tuple(weekdays), month_day, week_of_month, until, count)
    check_rule(rule)
    return rule


def rule_to_text(rule: Rule) -> str:
    """The rule as the CSV ``repeat`` column writes it; read back by ``rule_from_rrule``."""
    parts = [f"FREQ={rule.freq.upper()}"]
    if rule.every != 1:
        parts.append(f"INTERVAL={rule.every}")
    if rule.week_of_month is not None:
        parts.append(f"BYDAY={rule.week_of_month}{rule.weekdays[0]}")
    elif rule.weekdays:
        parts.append(f"BYDAY={','.join(rule.weekdays)}")
    if rule.month_day is not None:
        parts.append(f"BYMONTHDAY={rule.month_day}")
    if rule.until is not None:
        parts.append(f"UNTIL={rule.until:%Y%m%d}")
    else:
        parts.append(f"COUNT={rule.count}")
    return ";".join(parts)


def _rrule(rule: Rule, first: datetime) -> rrule.rrule:
    freq = rrule.WEEKLY if rule.freq == "weekly" else rrule.MONTHLY
    byweekday = None
    if rule.weekdays:
        days = [_RRULE_WEEKDAYS[code] for code in rule.weekdays]
        if rule.week_of_month is not None:
            days = [day(rule.week_of_month) for day in days]
        byweekday = days
    until = None
    if rule.until is not None:
        until = datetime.combine(rule.until, first.time())
    return rrule.rrule(
        freq,
        dtstart=first,
        interval=rule.every,
        wkst=rrule.MO,
        byweekday=byweekday,
        bymonthday=rule.month_day,
        until=until,
        count=rule.count,
    )


def _too_many_message():
    return _l(
        "A series can have at most %(count)d dates within two years. End it sooner,"
        " and make a new series for later dates.",
        count=MAX_OCCURRENCES,
    )

"""The calendar conformance suite's dataset, its three parsers and its structural checks.

Every feed the site serves is read by three parsers that share no code: icalendar
with recurring-ical-events, the ``ical`` package, and Mozilla's ical.js (the parser
inside Thunderbird) run under Node. Each one turns a feed into the list of
occurrences a calendar app would show; the lists must agree with each other and
with the database.

The dataset is a list of cases (:data:`CASES`), each a function that adds the rows
of one hard case and returns nothing; adding a case is adding a function to the list.
How an event row becomes the occurrences a reader should see is
:func:`expected_occurrences`, the one place that needs to learn about new kinds of
event (as it did for series, which public feeds write as one recurring event).
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from filelock import FileLock
from ical.calendar_stream import IcsCalendarStream

from tfc_training.events.models import Event
from tfc_training.events.recurrence import Rule
from tfc_training.organise.series import create_series
from tfc_training.organise.services import cancel_event, update_event

#: Occurrences are expanded between these instants by every parser.
EXPAND_FROM = datetime(2000, 1, 1, tzinfo=UTC)
EXPAND_UNTIL = datetime(2100, 1, 1, tzinfo=UTC)

#: Days of past events the feeds keep in this suite: the dataset's fixed dates must
#: stay in the feeds for as long as the suite is run.
FEED_PAST_DAYS = 365 * 100

#: When every event of the dataset was last changed: a DTSTAMP equal to it shows
#: that the feed does not stamp the time of the request.
LAST_CHANGED = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)

LOS_ANGELES = "America/Los_Angeles"

ICALJS_FOLDER = Path(__file__).parent / "conformance" / "icaljs"


@dataclass(frozen=True, order=True)
class Occurrence:
    """One occurrence as a reader sees it: UTC instants, or dates for whole days."""

    uid: str
    start: str
    end: str
    summary: str
    status: str


# --- The dataset -------------------------------------------------------------


@dataclass
class Dataset:
    """What the cases built, for the feeds to be fetched and checked against."""

    make_community: Callable
    make_event: Callable
    make_user: Callable
    #: ``register(event, email, status="confirmed")`` returns the registration.
    register: Callable
    #: The address of an account's feed, and of a registration's.
    account_feed: Callable
    registrant_feed: Callable
    communities: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)
    series: dict = field(default_factory=dict)
    personal_feeds: dict[str, "PersonalFeed"] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonalFeed:
    """A personal feed's address, which events it holds, and which its reader left
    (those are written as cancelled)."""

    address: str
    holds: Callable[[Event], bool]
    left: frozenset[str] = frozenset()


def local(year, month, day, hour=0, minute=0, *, zone=LOS_ANGELES, fold=0) -> datetime:
    """A wall time in ``zone`` as a UTC instant; ``fold=1`` picks a repeated hour's
    second pass."""
    wall = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone), fold=fold)
    return wall.astimezone(UTC)


def case_communities(data: Dataset) -> None:
    """A community whose name needs escaping, and a plain one."""
    data.communities["koreatown"] = data.make_community(
        slug="koreatown",
        name="Koreatown, Wilshire; TFC \\ 한인타운",
        area="Koreatown",
    )
    data.communities["harbor"] = data.make_community(slug="harbor", name="Harbor TFC")


def case_whole_days(data: Dataset) -> None:
    """An all-day event, and one over three days."""
    data.events["fair"] = data.make_event(
        slug="fair",
        title="Fair-trade market day",
        type="campaign",
        community=data.communities["koreatown"],
        all_day=True,
        starts_at=local(2026, 12, 12),
        ends_at=local(2026, 12, 13),
    )
    data.events["bus-bench"] = data.make_event(
        slug="bus-bench",
        title="Bus-bench campaign weekend",
        type="campaign",
        community=data.communities["harbor"],
        sectors=("consumers", "media"),
        all_day=True,
        starts_at=local(2026, 12, 18),
        ends_at=local(2026, 12, 21),
    )


def case_multi_day_timed(data: Dataset) -> None:
    """A timed event over three days, crossing midnight twice."""
    data.events["retreat"] = data.make_event(
        slug="retreat",
        title="Leadership retreat",
        type="workshop",
        starts_at=local(2027, 1, 15, 18),
        ends_at=local(2027, 1, 17, 13),
    )


def case_autumn_clock_change(data: Dataset) -> None:
    """Both passes of 01:30 on the night clocks go back in Los Angeles."""
    first = local(2026, 11, 1, 1, 30)
    second = local(2026, 11, 1, 1, 30, fold=1)
    data.events["first-1-30"] = data.make_event(
        slug="first-1-30",
        title="Night shift briefing (first 1:30)",
        type="stakeholder-training",
        sectors=("first-responders",),
        starts_at=first,
        ends_at=first + timedelta(hours=1),
    )
    data.events["second-1-30"] = data.make_event(
        slug="second-1-30",
        title="Night shift briefing (second 1:30)",
        type="stakeholder-training",
        sectors=("first-responders",),
        starts_at=second,
        ends_at=second + timedelta(hours=1),
    )


def case_cancelled(data: Dataset) -> None:
    """A cancelled event stays in the feeds, marked so; a draft never appears."""
    data.events["cancelled"] = data.make_event(
        slug="cancelled",
        title="Police and youth listening group",
        type="listening-group",
        community=data.communities["koreatown"],
        sectors=("law-enforcement", "schools"),
        languages=("en", "es"),
        status="cancelled",
        starts_at=local(2026, 12, 8, 18),
        ends_at=local(2026, 12, 8, 20),
    )
    data.events["draft"] = data.make_event(
        slug="draft", status="draft", starts_at=local(2026, 12, 9, 18)
    )


def case_hard_text(data: Dataset) -> None:
    """Text with every character iCalendar escapes, emoji, and folded Chinese."""
    data.events["punctuation"] = data.make_event(
        slug="punctuation",
        title="Schools, parents; teachers \\ students\nand a second line",
        type="listening-group",
        community=data.communities["koreatown"],
        sectors=("schools",),
        languages=("es",),
        venue_name="Hall A, room 2; side door \\ ramp",
        venue_address="1 Main St\nSecond floor",
        starts_at=local(2026, 12, 10, 17),
        ends_at=local(2026, 12, 10, 19),
    )
    data.events["chinese"] = data.make_event(
        slug="chinese",
        title="🚫 人口贩卖认知培训：识别危险信号，了解在洛杉矶何处求助与转介 🤝✊🏽",
        type="awareness",
        community=data.communities["harbor"],
        sectors=("schools", "faith-ngo"),
        languages=("zh", "en"),
        venue_name="中华会馆礼堂（二楼），洛杉矶唐人街社区服务中心",
        venue_address="925 N Broadway, Los Angeles, CA",
        description="欢迎所有人参加。" * 20,
        starts_at=local(2026, 12, 11, 10),
        ends_at=local(2026, 12, 11, 12),
    )


def case_other_zones(data: Dataset) -> None:
    """Events held in UTC, in another zone than the site's, and in summer time."""
    data.events["summer"] = data.make_event(
        slug="summer",
        title="Summer outreach evening",
        starts_at=local(2027, 6, 15, 18),
        ends_at=local(2027, 6, 15, 20),
    )
    data.events["online-utc"] = data.make_event(
        slug="online-utc",
        title="Network call",
        type="tfc-meeting",
        timezone="UTC",
        venue_name=None,
        venue_address=None,
        online_url="https://meet.test/network",
        starts_at=datetime(2027, 2, 1, 17, tzinfo=UTC),
        ends_at=datetime(2027, 2, 1, 18, tzinfo=UTC),
    )
    data.events["new-york"] = data.make_event(
        slug="new-york",
        title="Coast-to-coast stakeholder meeting",
        type="stakeholder-meeting",
        timezone="America/New_York",
        sectors=("legislatures", "local-business"),
        starts_at=local(2027, 3, 14, 12, zone="America/New_York"),
        ends_at=local(2027, 3, 14, 14, zone="America/New_York"),
    )


def case_weekly_series(data: Dataset) -> None:
    """A weekly meeting at 18:30 across both clock changes of 2026-27, with one
    date cancelled and one moved to another day, time and place."""
    admin = data.make_user(is_admin=True)
    start = local(2026, 10, 21, 18, 30)
    values = {
        "slug": "harbor-weekly",
        "title": "Harbor TFC weekly meeting; all welcome",
        "type": "tfc-meeting",
        "community": data.communities["harbor"],
        "sectors": ["faith-ngo"],
        "languages": ["en", "es"],
        "description": "",
        "timezone": LOS_ANGELES,
        "all_day": False,
        "starts_at": start,
        "ends_at": start + timedelta(hours=1, minutes=30),
        "venue_name": "Harbor church hall",
        "venue_address": "100 Harbor Blvd, San Pedro, CA",
        "online_url": None,
        "capacity": 30,
        "registration_opens_at": None,
        "registration_closes_at": None,
        "requires_approval": False,
        "status": "published",
    }
    rule = Rule("weekly", weekdays=("WE",), until=date(2027, 3, 31))
    series = create_series(values, rule, actor=admin, now=LAST_CHANGED)
    dates = {event.local_start.date(): event for event in series.occurrences}

    cancel_event(dates[date(2026, 11, 4)], actor=admin, now=LAST_CHANGED)
    moved_start = local(2027, 3, 18, 19)
    update_event(
        dates[date(2027, 3, 17)],
        {
            "starts_at": moved_start,
            "ends_at": moved_start + timedelta(hours=2),
            "venue_name": "San Pedro library, room 2",
        },
        actor=admin,
        now=LAST_CHANGED,
    )
    data.series["harbor-weekly"] = series
    data.events["weekly-after-autumn"] = dates[date(2026, 11, 11)]
    data.events["weekly-after-spring"] = dates[date(2027, 3, 24)]


def case_personal_feeds(data: Dataset) -> None:
    """An organiser's account feed, and the feeds of two registrants, each holding
    dates of the weekly series as events of their own."""
    koreatown = data.communities["koreatown"]
    organiser = data.make_user(organises=[koreatown])
    data.register(data.events["chinese"], organiser.email)
    data.register(data.events["retreat"], organiser.email, status="cancelled")
    data.register(data.events["weekly-after-spring"], organiser.email)
    data.personal_feeds["account"] = PersonalFeed(
        data.account_feed(organiser),
        lambda event: (
            event.community_id == koreatown.id
            or event.slug in ("chinese", data.events["weekly-after-spring"].slug)
        ),
    )

    kept = data.register(data.events["second-1-30"], "guest@example.org")
    data.register(data.events["weekly-after-autumn"], "guest@example.org")
    left = data.register(data.events["bus-bench"], "guest@example.org", "cancelled")
    data.personal_feeds["registrant"] = PersonalFeed(
        data.registrant_feed(kept), lambda event: event.slug == "second-1-30"
    )
    data.personal_feeds["registrant-left"] = PersonalFeed(
        data.registrant_feed(left),
        lambda event: event.slug == "bus-bench",
        frozenset({"bus-bench"}),
    )


#: The hard cases, in the order they are built; later ones may use earlier rows.
CASES: list[Callable[[Dataset], None]] = [
    case_communities,
    case_whole_days,
    case_multi_day_timed,
    case_autumn_clock_change,
    case_cancelled,
    case_hard_text,
    case_other_zones,
    case_weekly_series,
    case_personal_feeds,
]


def expected_occurrences(
    event: Event, uid: str, *, withdrawn: bool = False, as_series: bool = False
) -> list[Occurrence]:
    """What a reader of a feed holding ``event`` should see, from the database.

    With ``as_series``, a date of a series stands for the whole series, as public
    feeds write it: every published date under the series' UID, and nothing for
    cancelled ones, which the series leaves out. Otherwise each date is an event
    of its own, as in personal and single-event feeds.
    """
    if as_series and event.series is not None:
        return [
            occurrence
            for date_ in event.series.occurrences
            if date_.status == "published"
            for occurrence in expected_occurrences(date_, event.series.uid)
        ]

    if event.all_day:
        start, end = (
            event.start_date.isoformat(),
            (event.last_date + timedelta(days=1)).isoformat(),
        )
    else:
        start, end = utc_text(event.starts_at), utc_text(event.ends_at)

    status = {"published": "CONFIRMED", "cancelled": "CANCELLED"}[event.status]
    if withdrawn:
        status = "CANCELLED"
    return [Occurrence(uid, start, end, event.title, status)]


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- The three parsers -------------------------------------------------------


def _moment_text(value) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise AssertionError(f"floating time {value} in a feed")
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    raise AssertionError(f"not a date or time: {value!r}")


def read_with_icalendar(body: bytes) -> list[Occurrence]:
    """Expand a feed with icalendar and recurring-ical-events."""
    calendar = icalendar.Calendar.from_ical(body)
    components = recurring_ical_events.of(calendar).between(EXPAND_FROM, EXPAND_UNTIL)
    return sorted(
        Occurrence(
            uid=str(component["UID"]),
            start=_moment_text(component["DTSTART"].dt),
            end=_moment_text(component["DTEND"].dt),
            summary=str(component.get("SUMMARY", "")),
            status=str(component.get("STATUS", "")),
        )
        for component in components
    )


def read_with_ical(body: bytes) -> list[Occurrence]:
    """Expand a feed with the ``ical`` package's timeline."""
    calendar = IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))
    timeline = calendar.timeline_tz(UTC)
    return sorted(
        Occurrence(
            uid=event.uid,
            start=_moment_text(event.dtstart),
            end=_moment_text(event.dtend),
            summary=event.summary or "",
            status=event.status.value if event.status else "",
        )
        for event in timeline.overlapping(EXPAND_FROM, EXPAND_UNTIL)
    )


class ICalJS:
    """Mozilla's ical.js under Node, installed from the npm registry by ``npm ci``."""

    def __init__(self, node: str):
        self.node = node

    def read(self, feeds: dict[str, bytes]) -> dict[str, list[Occurrence]]:
        """Expand several feeds in one Node process; a feed it cannot read fails."""
        request = {
            "until": EXPAND_UNTIL.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "feeds": {name: body.decode("utf-8") for name, body in feeds.items()},
        }
        completed = subprocess.run(
            [self.node, str(ICALJS_FOLDER / "expand.mjs")],
            input=json.dumps(request).encode(),
            capture_output=True,
            cwd=ICALJS_FOLDER,
            check=False,
        )
        if completed.returncode != 0:
            raise AssertionError(
                "ical.js failed:\n" + completed.stderr.decode(errors="replace")
            )

        result = {}
        for name, reading in json.loads(completed.stdout).items():
            if "error" in reading:
                raise AssertionError(f"ical.js cannot read {name}:\n{reading['error']}")
            result[name] = sorted(Occurrence(**o) for o in reading["occurrences"])
        return result


class NodeMissing(RuntimeError):
    """Node or npm is not installed, so ical.js cannot be run."""


def install_icaljs() -> ICalJS:
    """Install the locked ical.js with ``npm ci``, unless this lockfile already is.

    The digest of the lockfile is kept beside the installed packages, so that a
    changed lockfile installs again and an unchanged one costs nothing.

    :raise NodeMissing: when ``node`` or ``npm`` is not on the path.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise NodeMissing(
            "ical.js needs Node.js and npm on the PATH (Debian: apt-get install nodejs"
            " npm)"
        )

    lockfile = ICALJS_FOLDER / "package-lock.json"
    digest = hashlib.sha256(lockfile.read_bytes()).hexdigest()
    stamp = ICALJS_FOLDER / "node_modules" / ".tfc-lockfile-sha256"
    # Test processes running side by side would otherwise install into the same
    # folder at once; the second waits and then finds the first one's stamp.
    with FileLock(ICALJS_FOLDER / ".install.lock"):
        if not stamp.exists() or stamp.read_text() != digest:
            _npm_ci(npm, digest, stamp)
    return ICalJS(node)


def _npm_ci(npm: str, digest: str, stamp: Path) -> None:
    completed = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=ICALJS_FOLDER,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env={**os.environ, "npm_config_update_notifier": "false"},
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            "npm ci failed in "
            f"{ICALJS_FOLDER}:\n{completed.stdout.decode(errors='replace')}"
            f"{completed.stderr.decode(errors='replace')}"
        )
    stamp.write_text(digest)


# --- Structural checks -------------------------------------------------------


def physical_lines(body: bytes) -> list[bytes]:
    """The lines of a feed as sent, without their CRLF; each must end in one."""
    assert body.endswith(b"\r\n"), "the feed does not end with CRLF"
    return body[: -len(b"\r\n")].split(b"\r\n")


def content_lines(body: bytes) -> list[str]:
    """The unfolded content lines of a feed (RFC 5545, 3.1)."""
    # Folding may split a character, so lines are joined before they are decoded.
    unfolded = body.replace(b"\r\n ", b"").replace(b"\r\n\t", b"")
    return unfolded.decode("utf-8").split("\r\n")[:-1]


TZID_PARAMETER = re.compile(r";TZID=(\"[^\"]*\"|[^;:]*)")


def structural_problems(body: bytes, *, max_timezone_lines: int = 200) -> list[str]:
    """Everything wrong with the layout of a feed, as messages; empty when fine."""
    problems = []
    for number, line in enumerate(physical_lines(body), 1):
        if b"\r" in line or b"\n" in line:
            problems.append(f"line {number} holds a bare CR or LF")
        if len(line) > 75:
            problems.append(f"line {number} has {len(line)} octets: {line[:40]!r}")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"line {number} is not UTF-8 on its own: {line!r}")

    defined: set[str] = set()
    in_timezone, timezone_lines, timezone_id = False, 0, None
    for line in content_lines(body):
        if line == "BEGIN:VTIMEZONE":
            in_timezone, timezone_lines, timezone_id = True, 0, None
        if in_timezone:
            timezone_lines += 1
            if line.startswith("TZID:"):
                timezone_id = line[len("TZID:") :]
            if line == "END:VTIMEZONE":
                in_timezone = False
                defined.add(timezone_id)
                if timezone_lines >= max_timezone_lines:
                    problems.append(
                        f"VTIMEZONE {timezone_id} has {timezone_lines} lines"
                    )
            continue
        for match in TZID_PARAMETER.finditer(line.split(":", 1)[0] + ":"):
            tzid = match[1].strip('"')
            if tzid not in defined:
                problems.append(f"TZID {tzid} used before any VTIMEZONE defines it")

    uids = Counter(_instance_keys(body))
    problems += [f"{key} appears {n} times" for key, n in uids.items() if n > 1]
    return problems


def _instance_keys(body: bytes) -> Iterable[str]:
    """UID and RECURRENCE-ID of each VEVENT: together they must be unique."""
    calendar = icalendar.Calendar.from_ical(body)
    for component in calendar.walk("VEVENT"):
        recurrence = component.get("RECURRENCE-ID")
        suffix = f" {recurrence.to_ical().decode()}" if recurrence else ""
        yield f"UID {component['UID']}{suffix}"


def event_stamps(body: bytes) -> list[tuple[str, datetime, datetime]]:
    """The UID, DTSTAMP and LAST-MODIFIED of each VEVENT."""
    calendar = icalendar.Calendar.from_ical(body)
    return [
        (str(c["UID"]), c["DTSTAMP"].dt, c["LAST-MODIFIED"].dt)
        for c in calendar.walk("VEVENT")
    ]

"""Calendar conformance: every feed the site serves reads the same in three parsers.

The dataset and the parsers are in ``conformance_support``. ical.js is installed
from the npm registry the first time it is needed; without Node it is skipped
here and fails in CI.
"""

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from conformance_support import (
    CASES,
    FEED_PAST_DAYS,
    LAST_CHANGED,
    LOS_ANGELES,
    Dataset,
    NodeMissing,
    Occurrence,
    event_stamps,
    expected_occurrences,
    install_icaljs,
    read_with_ical,
    read_with_icalendar,
    structural_problems,
)

from tfc_training.calendar.feeds import event_uid
from tfc_training.calendar.personal import registration_feed_token, reset_feed_token
from tfc_training.events.models import Event, EventSeries
from tfc_training.extensions import db
from tfc_training.registration.models import ManageToken, Registration
from tfc_training.registration.tokens import hash_token

#: The endpoints that serve iCalendar; a new one must be added to :func:`feeds`.
FEED_ENDPOINTS = {
    "calendar.site_feed",
    "calendar.community_feed",
    "calendar.event_feed",
    "calendar.account_feed",
    "calendar.registration_feed",
}


@pytest.fixture
def app_config():
    return {"FEED_PAST_DAYS": FEED_PAST_DAYS}


@pytest.fixture(scope="session")
def icaljs():
    """ical.js ready to run; skipped without Node, except in CI, where it fails."""
    try:
        return install_icaljs()
    except NodeMissing as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run ical.js: {error}")
        pytest.skip(str(error))


@pytest.fixture
def dataset(app, make_community, make_event, make_user) -> Dataset:
    """Every hard case, each event last changed at :data:`LAST_CHANGED`."""

    def register(event, email, status="confirmed"):
        token = secrets.token_urlsafe(16)
        registration = Registration(
            event=event,
            name="Someone",
            email=email,
            language="en",
            status=status,
            consented_at=LAST_CHANGED,
            cancelled_at=LAST_CHANGED if status == "cancelled" else None,
        )
        db.session.add(registration)
        db.session.add(
            ManageToken(registration=registration, token_hash=hash_token(token))
        )
        db.session.commit()
        return token

    def account_feed(user):
        token = reset_feed_token(user)
        db.session.commit()
        return f"/feeds/{token}.ics"

    def registrant_feed(manage_token):
        return f"/r/{registration_feed_token(manage_token)}/calendar.ics"

    data = Dataset(
        make_community=make_community,
        make_event=make_event,
        make_user=make_user,
        register=register,
        account_feed=account_feed,
        registrant_feed=registrant_feed,
    )
    for case in CASES:
        case(data)

    rows = [
        *db.session.scalars(db.select(Event)),
        *db.session.scalars(db.select(EventSeries)),
    ]
    for row in rows:
        row.updated_at = LAST_CHANGED
    db.session.commit()
    return data


@dataclass(frozen=True)
class Feed:
    address: str
    expected: list[Occurrence]


def feeds(dataset: Dataset) -> dict[str, Feed]:
    """Every feed of the dataset, with the occurrences its reader should see."""
    events = list(db.session.scalars(db.select(Event).order_by(Event.id)))
    public = [event for event in events if event.status != "draft"]
    koreatown, harbor = dataset.communities["koreatown"], dataset.communities["harbor"]

    def expected(holds, left=frozenset(), *, as_series=True):
        found = set()
        for event in public:
            if holds(event):
                found.update(
                    expected_occurrences(
                        event,
                        event_uid(event),
                        withdrawn=event.slug in left,
                        as_series=as_series,
                    )
                )
        return sorted(found)

    found = {
        "site": Feed("/calendar.ics", expected(lambda e: True)),
        "community": Feed(
            "/communities/koreatown/calendar.ics",
            expected(lambda e: e.community_id == koreatown.id),
        ),
        "community-language": Feed(
            "/communities/harbor/calendar.ics?language=zh",
            expected(
                lambda e: e.community_id == harbor.id and "zh" in e.language_codes
            ),
        ),
        "type": Feed(
            "/calendar.ics?type=listening-group",
            expected(lambda e: e.type == "listening-group"),
        ),
        "sector-language": Feed(
            "/calendar.ics?sector=schools&language=es",
            expected(
                lambda e: "schools" in e.sector_slugs and "es" in e.language_codes
            ),
        ),
        "community-type": Feed(
            "/calendar.ics?community=harbor&type=campaign",
            expected(lambda e: e.community_id == harbor.id and e.type == "campaign"),
        ),
    }
    for event in public:
        found[f"event {event.slug}"] = Feed(
            f"/events/{event.slug}.ics",
            expected(lambda e, slug=event.slug: e.slug == slug, as_series=False),
        )
    for name, personal in dataset.personal_feeds.items():
        found[name] = Feed(
            personal.address,
            expected(personal.holds, personal.left, as_series=False),
        )
    return found


def fetch(client, address: str) -> bytes:
    response = client.get(address)
    assert response.status_code == 200, (address, response.get_data(as_text=True))
    return response.data


def differences(name: str, reader: str, got, wanted) -> list[str]:
    if got == wanted:
        return []
    missing = sorted(set(wanted) - set(got))
    extra = sorted(set(got) - set(wanted))
    return [f"{name}: {reader} lacks {o}" for o in missing] + [
        f"{name}: {reader} has more {o}" for o in extra
    ]


def test_every_feed_endpoint_is_in_the_suite(app, dataset):
    served = {rule.endpoint for rule in app.url_map.iter_rules() if ".ics" in rule.rule}
    adapter = app.url_map.bind("tfc.test")
    covered = {
        adapter.match(feed.address.split("?")[0])[0] for feed in feeds(dataset).values()
    }

    assert served == FEED_ENDPOINTS
    assert covered == FEED_ENDPOINTS


def test_the_dataset_holds_every_hard_case(app, client, dataset):
    names = set(feeds(dataset))
    site = feeds(dataset)["site"].expected
    lines = client.get("/calendar.ics").data.decode().replace("\r\n ", "").split("\r\n")

    assert {"event fair", "event bus-bench", "event retreat"} <= names
    assert any(o.status == "CANCELLED" for o in site)
    assert any(len(o.summary.encode()) > 75 for o in site)
    assert "event draft" not in names
    assert sum(line.startswith("RRULE:") for line in lines) == 1
    assert "EXDATE;TZID=America/Los_Angeles:20261104T183000" in lines
    assert "RECURRENCE-ID;TZID=America/Los_Angeles:20270317T183000" in lines
    local_times = {
        datetime.fromisoformat(o.start).astimezone(ZoneInfo(LOS_ANGELES)).time()
        for o in site
        if o.uid == dataset.series["harbor-weekly"].uid
    }
    assert local_times == {time(18, 30), time(19, 0)}


def test_three_parsers_agree_with_each_other_and_the_database(client, dataset, icaljs):
    served = {name: feed for name, feed in feeds(dataset).items()}
    bodies = {name: fetch(client, feed.address) for name, feed in served.items()}

    by_icaljs = icaljs.read(bodies)
    problems = []
    for name, feed in served.items():
        readings = {
            "icalendar": read_with_icalendar(bodies[name]),
            "ical": read_with_ical(bodies[name]),
            "ical.js": by_icaljs[name],
        }
        for reader, occurrences in readings.items():
            problems += differences(name, reader, occurrences, feed.expected)

    assert problems == [], "\n".join(problems)


def test_every_feed_is_well_formed(client, dataset):
    problems = []
    for name, feed in feeds(dataset).items():
        body = fetch(client, feed.address)
        problems += [f"{name}: {problem}" for problem in structural_problems(body)]

    assert problems == [], "\n".join(problems)


def test_stamps_are_the_last_change_not_the_request(client, dataset):
    problems = []
    for name, feed in feeds(dataset).items():
        for uid, stamp, modified in event_stamps(fetch(client, feed.address)):
            if stamp.astimezone(UTC) != modified.astimezone(UTC):
                problems.append(f"{name}: {uid} DTSTAMP {stamp} is not its change")
            if name != "registrant-left" and modified != LAST_CHANGED:
                problems.append(f"{name}: {uid} LAST-MODIFIED {modified}")

    assert problems == [], "\n".join(problems)


def test_bytes_and_uids_are_stable_across_requests(client, dataset):
    for feed in feeds(dataset).values():
        first = fetch(client, feed.address)
        second = fetch(client, feed.address)

        assert first == second
        assert [s[0] for s in event_stamps(first)] == [
            s[0] for s in event_stamps(second)
        ]


GOOD_FEED = (
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//test//EN",
    "BEGIN:VTIMEZONE",
    "TZID:America/Los_Angeles",
    "BEGIN:STANDARD",
    "DTSTART:20260101T000000",
    "TZOFFSETFROM:-0800",
    "TZOFFSETTO:-0800",
    "END:STANDARD",
    "END:VTIMEZONE",
    "BEGIN:VEVENT",
    "UID:one@test",
    "DTSTAMP:20260101T000000Z",
    "DTSTART;TZID=America/Los_Angeles:20261201T100000",
    "SUMMARY:人口贩卖",
    "END:VEVENT",
    "END:VCALENDAR",
)


def feed_of(lines) -> bytes:
    return "".join(line + "\r\n" for line in lines).encode()


def test_a_good_feed_has_no_structural_problems():
    assert structural_problems(feed_of(GOOD_FEED)) == []


def changed(replace, by):
    return [by if line == replace else line for line in GOOD_FEED]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (feed_of(GOOD_FEED).replace(b"\r\nVERSION", b"\nVERSION"), "bare CR or LF"),
        (feed_of(changed("SUMMARY:人口贩卖", "SUMMARY:" + "x" * 70)), "octets"),
        (
            feed_of(GOOD_FEED).replace(
                "SUMMARY:人".encode(),
                b"SUMMARY:" + "人".encode()[:2] + b"\r\n " + "人".encode()[2:],
            ),
            "not UTF-8 on its own",
        ),
        (
            feed_of(changed("TZID:America/Los_Angeles", "TZID:America/New_York")),
            "TZID America/Los_Angeles used before",
        ),
        (
            feed_of(GOOD_FEED[:5] + ("COMMENT:filler",) * 200 + GOOD_FEED[5:]),
            "VTIMEZONE America/Los_Angeles has 208 lines",
        ),
        (
            feed_of(GOOD_FEED[:-1] + GOOD_FEED[11:17] + GOOD_FEED[-1:]),
            "UID one@test appears 2 times",
        ),
    ],
    ids=[
        "bare-lf",
        "long-line",
        "split-character",
        "no-vtimezone",
        "long-vtimezone",
        "same-uid",
    ],
)
def test_structural_checks_find_each_problem(body, problem):
    assert any(problem in found for found in structural_problems(body))

"""The public iCalendar feeds: the whole site, a community, a filter, one event."""

import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

import icalendar
import pytest
from flask import render_template_string, url_for
from sql_support import count_queries, counting_queries
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

from tfc_training.calendar.feeds import EMPTY_FEED_MODIFIED, build_calendar
from tfc_training.calendar.links import feed_links, google_event_link
from tfc_training.events.text import markdown_to_text
from tfc_training.extensions import db
from tfc_training.registration.models import Registration

SITE_NAME = "TraffickFree Communities Los Angeles"

#: Every kind of feed, with the name its calendar should carry.
FEEDS = [
    ("/calendar.ics", SITE_NAME),
    ("/communities/koreatown/calendar.ics", f"Koreatown TFC – {SITE_NAME}"),
    ("/calendar.ics?type=listening-group", f"{SITE_NAME}: Listening group"),
    (
        "/calendar.ics?community=koreatown&language=es",
        f"{SITE_NAME}: Koreatown TFC · Español",
    ),
    ("/events/awareness-night.ics", "Awareness night, in two languages"),
]
FEED_PATHS = [path for path, _name in FEEDS]

#: The slugs of the events the ``catalogue`` fixture makes.
EVERY_EVENT = {"awareness-night", "police-youth", "fair-trade"}


@pytest.fixture
def catalogue(make_community, make_event, now):
    """One community and three coming events of different kinds."""
    koreatown = make_community(slug="koreatown", name="Koreatown TFC", area="Koreatown")
    return {
        "community": koreatown,
        "awareness-night": make_event(
            slug="awareness-night",
            title="Awareness night, in two languages",
            type="awareness",
            community=koreatown,
            sectors=("schools", "media"),
            languages=("en", "es"),
            description="Learn the **signs**. [Hotline](https://hotline.test)",
            starts_at=now + timedelta(days=3),
        ),
        "police-youth": make_event(
            slug="police-youth",
            title="Police and youth listening group",
            type="listening-group",
            sectors=("law-enforcement", "schools"),
            languages=("en",),
            starts_at=now + timedelta(days=5),
        ),
        "fair-trade": make_event(
            slug="fair-trade",
            title="Fair-trade town drive",
            type="campaign",
            community=koreatown,
            sectors=("local-business",),
            languages=("ko",),
            starts_at=now + timedelta(days=9),
        ),
    }


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)
    return icalendar.Calendar.from_ical(response.data)


def slug_of(component) -> str:
    """The slug in an event's page address."""
    return str(component["URL"]).rstrip("/").rsplit("/", 1)[1]


def slugs_in(calendar) -> set[str]:
    """The events in a feed, named by their slugs."""
    return {slug_of(component) for component in calendar.walk("VEVENT")}


ESCAPED_CHARACTER = re.compile(r"\\([\\;,nN])")


def text_of(value) -> str:
    """Read a TEXT value that icalendar leaves escaped, such as a calendar's name."""
    return ESCAPED_CHARACTER.sub(lambda m: "\n" if m[1] in "nN" else m[1], str(value))


def the_event(calendar):
    (component,) = calendar.walk("VEVENT")
    return component


# Headers and caching


@pytest.mark.parametrize("path", FEED_PATHS)
def test_served_as_utf8_calendar(client, catalogue, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"


@pytest.mark.parametrize("path", FEED_PATHS)
def test_etag_is_strong(client, catalogue, path):
    response = client.get(path)

    etag, weak = response.get_etag()
    assert not weak
    assert len(etag) == 32


@pytest.mark.parametrize("path", FEED_PATHS)
def test_same_data_gives_the_same_bytes(client, catalogue, path):
    first = client.get(path)
    second = client.get(path)

    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"]


@pytest.mark.parametrize("path", FEED_PATHS)
def test_if_none_match_answers_304_without_a_body(client, catalogue, path):
    etag = client.get(path).headers["ETag"]

    response = client.get(path, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert "max-age" in response.headers["Cache-Control"]


def test_a_different_etag_gets_the_feed(client, catalogue):
    response = client.get("/calendar.ics", headers={"If-None-Match": '"stale"'})

    assert response.status_code == 200
    assert b"BEGIN:VCALENDAR" in response.data


def test_a_change_gives_new_bytes_and_etag(client, catalogue, now):
    before = client.get("/calendar.ics")
    event = catalogue["police-youth"]
    event.title = "Police and youth listening group (new room)"
    event.sequence += 1
    event.updated_at = now + timedelta(minutes=1)
    db.session.commit()

    after = client.get(
        "/calendar.ics", headers={"If-None-Match": before.headers["ETag"]}
    )

    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]


def test_cache_control_lets_calendar_apps_revalidate(client, catalogue):
    cache_control = client.get("/calendar.ics").cache_control

    assert cache_control.public
    assert cache_control.must_revalidate
    assert 0 < cache_control.max_age <= 3600


def test_last_modified_is_when_the_newest_change_was_committed(client, catalogue):
    before = client.get("/calendar.ics").last_modified
    catalogue["fair-trade"].title = "Fair-trade town drive, second round"
    committed_after = datetime.now(UTC).replace(microsecond=0)
    db.session.commit()
    committed_before = datetime.now(UTC)

    last_modified = client.get("/calendar.ics").last_modified

    assert committed_after <= last_modified <= committed_before
    assert last_modified >= before


def test_empty_feed_has_a_stable_last_modified(client):
    first = client.get("/calendar.ics")
    second = client.get("/calendar.ics")

    assert parse(first).walk("VEVENT") == []
    assert first.headers["Last-Modified"] == second.headers["Last-Modified"]
    assert parsedate_to_datetime(first.headers["Last-Modified"]) == EMPTY_FEED_MODIFIED


# Calendar properties


@pytest.mark.parametrize(("path", "name"), FEEDS)
def test_calendar_properties(client, catalogue, path, name):
    calendar = parse(client.get(path))

    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    assert text_of(calendar["NAME"]) == name
    assert text_of(calendar["X-WR-CALNAME"]) == name
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT1H"
    assert "METHOD" not in calendar


def test_builder_writes_a_method_when_asked(app, catalogue):
    events = [catalogue["fair-trade"]]
    with app.test_request_context():
        plain = icalendar.Calendar.from_ical(build_calendar(events, "x"))
        published = icalendar.Calendar.from_ical(
            build_calendar(events, "x", method="PUBLISH")
        )

    assert "METHOD" not in plain
    assert published["METHOD"] == "PUBLISH"


def test_builder_refuses_a_draft(app, make_event):
    draft = make_event(status="draft")

    with app.test_request_context(), pytest.raises(ValueError):
        build_calendar([draft], "x")


# Event properties


def test_event_properties(app, client, catalogue):
    event = catalogue["awareness-night"]
    event.sequence = 3
    db.session.commit()

    component = the_event(parse(client.get("/events/awareness-night.ics")))

    updated = event.updated_at.replace(microsecond=0)
    assert component["UID"] == f"event-{event.id}@tfc.test"
    assert component["DTSTAMP"].dt == updated
    assert component["LAST-MODIFIED"].dt == updated
    assert component["SEQUENCE"] == 3
    assert component["STATUS"] == "CONFIRMED"
    assert component["SUMMARY"] == "Awareness night, in two languages"
    assert component["LOCATION"] == "Community hall, 100 Main St, Los Angeles, CA"
    assert component.categories == ["Awareness event", "Schools", "Media"]
    assert component["DTSTART"].dt == event.starts_at
    assert component["DTEND"].dt == event.ends_at
    assert component["DTSTART"].params["TZID"] == "America/Los_Angeles"
    with app.test_request_context():
        assert component["URL"] == url_for(
            "events.detail", slug="awareness-night", _external=True
        )


def test_description_is_plain_text(client, catalogue):
    component = the_event(parse(client.get("/events/awareness-night.ics")))

    description = str(component["DESCRIPTION"])
    source = catalogue["awareness-night"].description
    assert description.startswith(markdown_to_text(source))
    assert "**" not in description and "](" not in description
    assert "Koreatown TFC" in description
    assert "/events/awareness-night/" in description


def test_uid_never_changes_when_the_event_does(client, catalogue, now):
    before = the_event(parse(client.get("/events/fair-trade.ics")))
    event = catalogue["fair-trade"]
    event.title = "Fair-trade town drive, second weekend"
    event.starts_at += timedelta(days=7)
    event.ends_at += timedelta(days=7)
    event.sequence += 1
    event.updated_at = now + timedelta(minutes=5)
    db.session.commit()

    after = the_event(parse(client.get("/events/fair-trade.ics")))

    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after["SUMMARY"] == "Fair-trade town drive, second weekend"


@pytest.mark.parametrize(
    "title",
    [
        "Comma, semicolon; backslash \\ and a\nnew line",
        "Taller para niños — Koreatown 한인타운 «español»",
        "😀 Emoji and 中文 " + "防止人口贩卖社区培训" * 8,
        "🌍" * 40,
    ],
)
def test_text_round_trips_exactly(client, make_event, title):
    make_event(slug="special", title=title, venue_name=title, venue_address=None)

    component = the_event(parse(client.get("/events/special.ics")))

    assert component["SUMMARY"] == title
    assert component["LOCATION"] == title


def test_calendar_name_is_escaped_text(client, make_event):
    make_event(slug="named", title="Comma, semicolon; back\\slash\nand a line")

    body = client.get("/events/named.ics").data

    escaped = b"Comma\\, semicolon\\; back\\\\slash and a line\r\n"
    assert b"\r\nNAME:" + escaped in body
    assert b"\r\nX-WR-CALNAME:" + escaped in body


@pytest.mark.parametrize("path", FEED_PATHS + ["/events/long.ics"])
def test_lines_end_in_crlf_and_fold_at_75_octets(client, catalogue, make_event, path):
    make_event(
        slug="long",
        title="人口贩卖 ✊🏽 " * 20,
        description="Ünïcödé " * 40,
        type="listening-group",
        community=catalogue["community"],
        languages=("es",),
    )

    body = client.get(path).data

    assert body.endswith(b"\r\n")
    lines = body[: -len(b"\r\n")].split(b"\r\n")
    for line in lines:
        assert b"\n" not in line and b"\r" not in line
        assert len(line) <= 75, line
        line.decode("utf-8")
    assert any(line.startswith(b" ") for line in lines)


def test_all_day_event_uses_dates_with_an_exclusive_end(client, make_event):
    make_event(
        slug="bus-bench",
        all_day=True,
        timezone="America/Los_Angeles",
        starts_at=datetime(2026, 12, 19, 8, tzinfo=UTC),
        ends_at=datetime(2026, 12, 21, 8, tzinfo=UTC),
    )

    response = client.get("/events/bus-bench.ics")
    component = the_event(parse(response))

    assert b"DTSTART;VALUE=DATE:20261219\r\n" in response.data
    assert b"DTEND;VALUE=DATE:20261221\r\n" in response.data
    assert component["DTSTART"].dt == date(2026, 12, 19)
    assert component["DTEND"].dt == date(2026, 12, 21)
    assert b"BEGIN:VTIMEZONE" not in response.data


@pytest.mark.parametrize(
    ("starts_at", "written_as"),
    [
        (datetime(2026, 3, 8, 9, 30, tzinfo=UTC), "20260308T013000"),  # PST, before
        (datetime(2026, 3, 8, 10, 30, tzinfo=UTC), "20260308T033000"),  # PDT, after
        (datetime(2026, 3, 8, 17, 0, tzinfo=UTC), "20260308T100000"),
        # Both passes of 1:30, when clocks go back, are written as UTC instants.
        (datetime(2026, 11, 1, 8, 30, tzinfo=UTC), "20261101T083000Z"),  # first 1:30
        (datetime(2026, 11, 1, 9, 30, tzinfo=UTC), "20261101T093000Z"),  # second 1:30
        (datetime(2026, 11, 1, 10, 30, tzinfo=UTC), "20261101T023000"),
        (datetime(2026, 11, 1, 18, 0, tzinfo=UTC), "20261101T100000"),
    ],
)
def test_clock_change_days_keep_the_instant(client, make_event, starts_at, written_as):
    make_event(slug="dst", starts_at=starts_at, ends_at=starts_at + timedelta(hours=1))

    response = client.get("/events/dst.ics")
    calendar = parse(response)
    component = the_event(calendar)

    assert f":{written_as}\r\n".encode() in response.data
    # Aware datetimes in a repeated hour never compare equal across zones, so
    # both sides are brought to UTC first.
    assert component["DTSTART"].dt.astimezone(UTC) == starts_at
    assert component["DTEND"].dt.astimezone(UTC) == starts_at + timedelta(hours=1)


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [
        # From before the repeated hour into it, and from it to after it.
        (datetime(2026, 11, 1, 7, 30, tzinfo=UTC), datetime(2026, 11, 1, 9, 15)),
        (datetime(2026, 11, 1, 9, 15, tzinfo=UTC), datetime(2026, 11, 1, 11, 0)),
    ],
)
def test_an_end_in_the_repeated_hour_puts_both_ends_in_utc(
    client, make_event, starts_at, ends_at
):
    """Readers that add the length to a wall-time start must get a UTC start too."""
    ends_at = ends_at.replace(tzinfo=UTC)
    make_event(slug="dst", starts_at=starts_at, ends_at=ends_at)

    body = client.get("/events/dst.ics").data

    assert f"DTSTART:{starts_at:%Y%m%dT%H%M%SZ}\r\n".encode() in body
    assert f"DTEND:{ends_at:%Y%m%dT%H%M%SZ}\r\n".encode() in body
    assert b"TZID" not in body


@pytest.mark.parametrize(
    "starts_at",
    [
        datetime(2026, 3, 8, 10, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 10, 30, tzinfo=UTC),
        datetime(2027, 3, 14, 18, 0, tzinfo=UTC),
    ],
)
def test_the_feeds_own_vtimezone_gives_the_same_instants(client, make_event, starts_at):
    """A client that reads only the VTIMEZONE, not its own zone data, agrees."""
    make_event(slug="dst", starts_at=starts_at, ends_at=starts_at + timedelta(hours=1))

    calendar = parse(client.get("/events/dst.ics"))

    (vtimezone,) = calendar.walk("VTIMEZONE")
    own_zone = vtimezone.to_tz(lookup_tzid=False)
    component = the_event(calendar)
    instants = {"DTSTART": starts_at, "DTEND": starts_at + timedelta(hours=1)}
    for name, instant in instants.items():
        written = component[name].dt
        if "TZID" in component[name].params:
            written = written.replace(tzinfo=own_zone)
        assert written.astimezone(UTC) == instant


def test_each_onset_of_the_vtimezone_is_an_observance_of_its_own(
    client, make_event, now
):
    """ical.js ignores the DTSTART of an observance that also has RDATEs."""
    years = [now.year + 1, now.year + 2]
    for year in years:
        make_event(starts_at=datetime(year, 6, 1, 17, tzinfo=UTC))

    calendar = parse(client.get("/calendar.ics"))

    (zone,) = calendar.walk("VTIMEZONE")
    observances = zone.walk("STANDARD") + zone.walk("DAYLIGHT")
    assert all("RDATE" not in observance for observance in observances)
    onsets = sorted(observance.DTSTART for observance in observances)
    # The start of the first year, then spring and autumn of each year.
    assert [(onset.year, onset.month) for onset in onsets] == [
        (years[0], 1),
        (years[0], 3),
        (years[0], 11),
        (years[1], 3),
        (years[1], 11),
    ]


def test_vtimezone_covers_only_the_years_of_the_events(client, make_event, now):
    year = now.year + 1
    make_event(starts_at=datetime(year, 12, 30, 20, tzinfo=UTC))
    make_event(starts_at=datetime(year + 1, 1, 5, 20, tzinfo=UTC))
    make_event(
        timezone="America/New_York", starts_at=datetime(year, 7, 1, 16, tzinfo=UTC)
    )

    calendar = parse(client.get("/calendar.ics"))

    zones = {str(zone["TZID"]): zone for zone in calendar.walk("VTIMEZONE")}
    assert set(zones) == {"America/Los_Angeles", "America/New_York"}
    assert calendar.get_missing_tzids() == set()
    years = {"America/Los_Angeles": {year, year + 1}, "America/New_York": {year}}
    for tzid, zone in zones.items():
        for observance in zone.walk("STANDARD") + zone.walk("DAYLIGHT"):
            onsets = [observance.DTSTART, *(d for d, _ in observance.rdates)]
            assert {onset.year for onset in onsets} <= years[tzid]


# Which events a feed holds


def test_cancelled_event_stays_with_its_status(client, catalogue):
    catalogue["police-youth"].status = "cancelled"
    db.session.commit()

    calendar = parse(client.get("/calendar.ics"))

    statuses = {slug_of(e): str(e["STATUS"]) for e in calendar.walk("VEVENT")}
    assert statuses == {
        "awareness-night": "CONFIRMED",
        "police-youth": "CANCELLED",
        "fair-trade": "CONFIRMED",
    }


@pytest.mark.parametrize("path", FEED_PATHS[:4])
def test_drafts_never_appear(client, catalogue, make_event, path):
    make_event(
        slug="draft-meeting",
        status="draft",
        type="listening-group",
        community=catalogue["community"],
        languages=("es",),
    )

    assert "draft-meeting" not in slugs_in(parse(client.get(path)))


def test_a_draft_has_no_event_feed(client, make_event):
    make_event(slug="draft-meeting", status="draft")

    response = client.get("/events/draft-meeting.ics")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("ended_days_ago", "listed"), [(-7, True), (0, True), (29, True), (31, False)]
)
@pytest.mark.parametrize(
    "path", ["/calendar.ics", "/communities/koreatown/calendar.ics"]
)
def test_feeds_keep_thirty_days_of_past_events(
    client, make_community, make_event, now, path, ended_days_ago, listed
):
    community = make_community(slug="koreatown")
    ends_at = now - timedelta(days=ended_days_ago)
    make_event(
        slug="the-event",
        community=community,
        starts_at=ends_at - timedelta(hours=2),
        ends_at=ends_at,
    )

    assert ("the-event" in slugs_in(parse(client.get(path)))) is listed


def test_an_old_event_keeps_its_own_feed(client, make_event, now):
    make_event(
        slug="long-ago",
        starts_at=now - timedelta(days=400),
        ends_at=now - timedelta(days=400) + timedelta(hours=2),
    )

    assert slugs_in(parse(client.get("/events/long-ago.ics"))) == {"long-ago"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/calendar.ics", EVERY_EVENT),
        ("/calendar.ics?type=listening-group", {"police-youth"}),
        ("/calendar.ics?sector=schools", {"awareness-night", "police-youth"}),
        ("/calendar.ics?language=es", {"awareness-night"}),
        ("/calendar.ics?community=koreatown", {"awareness-night", "fair-trade"}),
        ("/calendar.ics?community=koreatown&sector=local-business", {"fair-trade"}),
        ("/calendar.ics?type=&sector=&language=", EVERY_EVENT),
        ("/communities/koreatown/calendar.ics", {"awareness-night", "fair-trade"}),
        ("/communities/koreatown/calendar.ics?type=campaign", {"fair-trade"}),
        ("/communities/koreatown/calendar.ics?sector=law-enforcement", set()),
        ("/events/police-youth.ics", {"police-youth"}),
    ],
)
def test_feeds_hold_the_right_events(client, catalogue, path, expected):
    assert slugs_in(parse(client.get(path))) == expected


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/calendar.ics?type=party", "party"),
        ("/calendar.ics?sector=pirates", "pirates"),
        ("/calendar.ics?language=klingon", "klingon"),
        ("/calendar.ics?community=atlantis", "atlantis"),
        ("/communities/koreatown/calendar.ics?type=party", "party"),
    ],
)
def test_unknown_filter_is_refused_with_a_message(client, catalogue, path, named):
    response = client.get(path)

    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert named in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/communities/atlantis/calendar.ics", "atlantis"),
        ("/events/nowhere.ics", "nowhere"),
    ],
)
def test_unknown_community_or_event_is_not_found(client, path, named):
    response = client.get(path)

    assert response.status_code == 404
    assert named in response.get_data(as_text=True)


# Cost, privacy and addresses


@pytest.mark.parametrize(
    "path",
    [
        "/calendar.ics",
        "/calendar.ics?community=koreatown&sector=schools&language=es",
        "/communities/koreatown/calendar.ics",
    ],
)
def test_feed_costs_the_same_queries_for_10_and_200_events(
    client, make_community, make_event, now, path
):
    community = make_community(slug="koreatown")
    sector_sets = [("schools",), ("schools", "media"), ("law-enforcement", "schools")]
    language_sets = [("en",), ("es", "en"), ("es",)]

    def add_events(count):
        for number in range(count):
            make_event(
                community=community if number % 2 else None,
                sectors=sector_sets[number % 3],
                languages=language_sets[number % 3],
                starts_at=now + timedelta(days=1, hours=number),
            )

    def fetch():
        db.session.remove()
        assert client.get(path).status_code == 200

    add_events(10)
    with_10 = count_queries(fetch)
    add_events(190)
    with_200 = count_queries(fetch)

    assert with_10 == with_200
    assert with_200 <= 6


@pytest.mark.parametrize(
    "path",
    [
        "/calendar.ics",
        "/communities/koreatown/calendar.ics",
        "/events/awareness-night.ics",
    ],
)
def test_feed_does_not_load_languages(client, catalogue, path):
    """A calendar shows no event's languages, so a feed leaves them unread."""
    db.session.remove()
    with counting_queries() as statements:
        assert client.get(path).status_code == 200

    assert statements
    assert not [s for s in statements if "event_language" in s]


@pytest.mark.parametrize("path", FEED_PATHS)
def test_registrants_never_appear_in_a_feed(client, catalogue, now, path):
    for number, slug in enumerate(sorted(EVERY_EVENT)):
        event = catalogue[slug]
        db.session.add(
            Registration(
                event_id=event.id,
                name=f"Zephyrine Quillfeather {number}",
                email=f"zephyrine.{number}@private.test",
                sector_slug="schools",
                language="es",
                accessibility="Needs a sign-language interpreter",
                consented_at=now,
                status="confirmed",
            )
        )
    db.session.commit()

    body = client.get(path).data.decode().replace("\r\n ", "").lower()

    for secret in ("zephyrine", "quillfeather", "private.test", "interpreter"):
        assert secret not in body


def test_feed_and_event_addresses_carry_a_mount_prefix(app, catalogue):
    mounted = Client(DispatcherMiddleware(NotFound(), {"/training": app}))

    response = mounted.get("/training/calendar.ics")

    calendar = icalendar.Calendar.from_ical(response.data)
    addresses = {str(e["URL"]) for e in calendar.walk("VEVENT")}
    assert addresses == {
        f"http://localhost/training/events/{slug}/" for slug in EVERY_EVENT
    }
    for path in ("/communities/koreatown/calendar.ics", "/events/fair-trade.ics"):
        assert mounted.get(f"/training{path}").status_code == 200


def test_feed_links_carry_a_mount_prefix(app, catalogue):
    template = (
        "{{ feed_links('calendar.community_feed', 'K', slug='koreatown').https }}"
        " {{ feed_links('calendar.site_feed', 'All').webcal }}"
        " {{ google_event_link(event) }}"
    )
    with app.test_request_context(base_url="http://localhost/training/"):
        rendered = render_template_string(template, event=catalogue["fair-trade"])

    https, webcal, google = rendered.split(" ")
    assert https == "http://localhost/training/communities/koreatown/calendar.ics"
    assert webcal == "webcal://localhost/training/calendar.ics"
    assert "localhost%2Ftraining%2Fevents%2Ffair-trade%2F" in google


def test_links_are_jinja_globals(app):
    assert app.jinja_env.globals["feed_links"] is feed_links
    assert app.jinja_env.globals["google_event_link"] is google_event_link


@pytest.mark.parametrize("app_config", [{"PROXY_FIX": 1}])
def test_addresses_follow_the_proxy(client, catalogue):
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "events.tfc.test",
        "X-Forwarded-Prefix": "/training",
    }

    component = the_event(parse(client.get("/events/fair-trade.ics", headers=headers)))

    assert component["URL"] == "https://events.tfc.test/training/events/fair-trade/"

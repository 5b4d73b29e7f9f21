"""The public pages: home, events list, event page, communities, notices and errors."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import abort

from tfc_training.events.formatting import format_short_when, format_when
from tfc_training.events.models import Event
from tfc_training.extensions import db
from tfc_training.registration.models import Registration


@pytest.fixture
def register(app, now):
    """Add registrations with a given status to an event."""

    def add(event, count, status="confirmed"):
        for number in range(count):
            db.session.add(
                Registration(
                    event_id=event.id,
                    name=f"Person {number}",
                    email=f"person-{event.id}-{status}-{number}@example.org",
                    language="en",
                    consented_at=now,
                    status=status,
                    cancelled_at=now if status == "cancelled" else None,
                )
            )
        db.session.commit()

    return add


def plain(text: str) -> str:
    """Replace the thin and narrow spaces Babel puts in times with ordinary ones."""
    return text.replace("\u2009", " ").replace("\u202f", " ")


def page_text(response) -> str:
    return plain(response.get_data(as_text=True))


# Home


def test_home_lists_upcoming_events_and_communities(
    client, make_community, make_event, now
):
    community = make_community(name="Koreatown TFC", area="Koreatown")
    make_event(title="Spotting the signs", community=community)
    make_event(title="Long gone", starts_at=now - timedelta(days=3))

    response = client.get("/")

    assert response.status_code == 200
    assert "Spotting the signs" in page_text(response)
    assert "Long gone" not in page_text(response)
    assert "Koreatown TFC" in page_text(response)
    assert "/communities/community-1/" in page_text(response)


@pytest.mark.parametrize(
    "path",
    ["/", "/events/", "/communities/", "/communities/pasadena/", "/events/?when=past"],
)
def test_drafts_are_never_listed(client, make_community, make_event, now, path):
    community = make_community(slug="pasadena")
    make_event(title="Not ready yet", status="draft", community=community)
    make_event(
        title="Not ready either",
        status="draft",
        community=community,
        starts_at=now - timedelta(days=2),
    )

    text = page_text(client.get(path))

    assert "Not ready" not in text
    assert "1 upcoming event" not in text


def test_home_links_to_the_subscription_guide(client):
    assert 'href="/calendar/"' in page_text(client.get("/"))


def test_html_names_its_language(client):
    assert '<html lang="en">' in page_text(client.get("/"))


# Events list


@pytest.mark.parametrize(
    ("query", "matching", "other"),
    [
        ("type=workshop", {"type": "workshop"}, {"type": "awareness"}),
        ("sector=media", {"sectors": ("media", "schools")}, {"sectors": ("schools",)}),
        ("language=es", {"languages": ("en", "es")}, {"languages": ("en",)}),
    ],
)
def test_events_list_filters(client, make_event, query, matching, other):
    make_event(title="Wanted event", **matching)
    make_event(title="Other event", **other)

    response = client.get(f"/events/?{query}")

    assert response.status_code == 200
    assert "Wanted event" in page_text(response)
    assert "Other event" not in page_text(response)


def test_events_list_filters_by_community(client, make_community, make_event):
    boyle_heights = make_community(slug="boyle-heights", name="Boyle Heights TFC")
    pasadena = make_community(slug="pasadena", name="Pasadena TFC")
    make_event(title="Wanted event", community=boyle_heights)
    make_event(title="Other event", community=pasadena)
    make_event(title="Network event")

    response = client.get("/events/?community=boyle-heights")

    assert "Wanted event" in page_text(response)
    assert "Other event" not in page_text(response)
    assert "Network event" not in page_text(response)


def test_events_list_keeps_the_chosen_filter_in_the_form(client, make_event):
    make_event(type="workshop")

    response = client.get("/events/?type=workshop")

    assert '<option value="workshop" selected>' in page_text(response)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("type=picnic", "type", "There is no event type “picnic”"),
        ("sector=bakers", "sector", "There is no sector “bakers”"),
        ("language=xx", "language", "There is no language “xx”"),
        ("community=atlantis", "community", "There is no community “atlantis”"),
    ],
)
def test_events_list_refuses_an_unknown_filter(
    client, make_event, query, field, message
):
    make_event(title="Any event")

    response = client.get(f"/events/?{query}")

    assert response.status_code == 400
    text = page_text(response)
    assert message in text
    assert f'id="filter-{field}-errors"' in text
    assert "Any event" not in text


def test_events_list_labels_every_filter(client):
    text = page_text(client.get("/events/"))

    for name in ("community", "type", "sector", "language"):
        assert f'<label for="filter-{name}">' in text
        assert f'id="filter-{name}"' in text


def test_events_list_paginates(app, client, make_event, now):
    app.config["EVENTS_PER_PAGE"] = 2
    for day in range(1, 6):
        make_event(title=f"Meeting on day {day}", starts_at=now + timedelta(days=day))

    first = page_text(client.get("/events/"))
    third = page_text(client.get("/events/?page=3"))

    assert "Meeting on day 1" in first and "Meeting on day 2" in first
    assert "Meeting on day 3" not in first
    assert "Page 1 of 3" in first
    assert 'href="/events/?page=2"' in first
    assert "Meeting on day 5" in third and "Meeting on day 4" not in third


def test_pagination_links_keep_the_filters(app, client, make_event):
    app.config["EVENTS_PER_PAGE"] = 1
    make_event(type="workshop")
    make_event(type="workshop")

    text = page_text(client.get("/events/?type=workshop"))

    assert 'href="/events/?page=2&amp;type=workshop"' in text


def test_events_list_page_past_the_end_is_not_found(client, make_event):
    make_event()

    assert client.get("/events/?page=9").status_code == 404


def test_past_events_are_reachable_newest_first(client, make_event, now):
    make_event(title="Last month", starts_at=now - timedelta(days=30))
    make_event(title="Last week", starts_at=now - timedelta(days=7))
    make_event(title="Next week", starts_at=now + timedelta(days=7))

    upcoming = page_text(client.get("/events/"))
    past = page_text(client.get("/events/?when=past"))

    assert "Last week" not in upcoming and 'href="/events/?when=past"' in upcoming
    assert "Next week" not in past
    assert past.index("Last week") < past.index("Last month")


def test_events_list_shows_an_event_that_is_still_running(client, make_event, now):
    make_event(
        title="All-day fair",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=3),
    )

    assert "All-day fair" in page_text(client.get("/events/"))


def test_events_list_shows_what_each_event_is(client, make_community, make_event, now):
    community = make_community(name="Long Beach TFC")
    make_event(
        title="Hotel staff training",
        type="stakeholder-training",
        community=community,
        sectors=("local-business", "first-responders"),
        languages=("en", "es"),
        venue_name="Harbour Hotel",
    )
    make_event(
        title="Network call", venue_name=None, online_url="https://meet.example.org/x"
    )

    text = page_text(client.get("/events/"))

    for expected in (
        "Stakeholder training",
        "Long Beach TFC",
        "Harbour Hotel",
        '<span lang="en">English</span>, <span lang="es">Español</span>',
        "Local business, First responders",
        "Network-wide",
        "Online",
    ):
        assert expected in text


@pytest.mark.parametrize(
    ("capacity", "confirmed", "badge"),
    [(10, 3, "7 places left"), (2, 2, "Full — waiting list"), (5, 4, "1 place left")],
)
def test_events_list_shows_places(
    client, make_event, register, capacity, confirmed, badge
):
    event = make_event(capacity=capacity)
    register(event, confirmed)
    register(event, 2, status="cancelled")

    assert badge in page_text(client.get("/events/"))


def test_events_list_marks_cancelled_events(client, make_event):
    make_event(title="Called off", status="cancelled")

    text = page_text(client.get("/events/"))

    assert "Called off" in text
    assert 'class="badge badge-cancelled">Cancelled<' in text


def test_events_list_groups_events_by_day(client, make_event):
    make_event(
        starts_at=datetime(2099, 1, 12, 18, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    )

    assert "Monday, January 12, 2099" in page_text(client.get("/events/"))


def test_events_list_offers_the_filtered_calendar(client, make_event):
    text = page_text(client.get("/events/?language=es"))

    assert 'href="webcal://localhost/calendar.ics?language=es"' in text
    assert "https://calendar.google.com/calendar/render?cid=" in text


# When an event takes place

PACIFIC = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("start", "end", "all_day", "expected"),
    [
        (
            datetime(2027, 1, 12, 18, 30),
            datetime(2027, 1, 12, 20, 0),
            False,
            "Tuesday, January 12, 2027, 6:30 – 8:00 PM PST",
        ),
        (
            datetime(2027, 7, 12, 9, 0),
            datetime(2027, 7, 12, 17, 0),
            False,
            "Monday, July 12, 2027, 9:00 AM – 5:00 PM PDT",
        ),
        (
            datetime(2027, 1, 12, 18, 0),
            datetime(2027, 1, 13, 0, 0),
            False,
            "Tuesday, January 12, 2027, 6:00 PM – 12:00 AM PST",
        ),
        (
            datetime(2027, 1, 12, 20, 0),
            datetime(2027, 1, 13, 2, 0),
            False,
            (
                "Tuesday, January 12, 2027, 8:00 PM PST – Wednesday, January 13, 2027,"
                " 2:00 AM PST"
            ),
        ),
        (
            datetime(2027, 3, 14, 1, 0),
            datetime(2027, 3, 14, 4, 0),
            False,
            "Sunday, March 14, 2027, 1:00 AM PST – Sunday, March 14, 2027, 4:00 AM PDT",
        ),
        (
            datetime(2027, 1, 16),
            datetime(2027, 1, 17),
            True,
            "Saturday, January 16, 2027",
        ),
        (
            datetime(2027, 1, 16),
            datetime(2027, 1, 19),
            True,
            "Sat, Jan 16 – Mon, Jan 18, 2027",
        ),
    ],
    ids=[
        "evening",
        "summer",
        "until-midnight",
        "overnight",
        "clocks-change",
        "day",
        "days",
    ],
)
def test_when_is_written_in_the_event_zone(app, start, end, all_day, expected):
    event = Event(
        timezone="America/Los_Angeles",
        all_day=all_day,
        starts_at=start.replace(tzinfo=PACIFIC).astimezone(UTC),
        ends_at=end.replace(tzinfo=PACIFIC).astimezone(UTC),
    )

    with app.test_request_context():
        written = format_when(event)

    assert plain(written) == expected


@pytest.mark.parametrize(
    ("start", "end", "all_day", "expected"),
    [
        (
            datetime(2027, 1, 12, 18, 30),
            datetime(2027, 1, 12, 20),
            False,
            "6:30 – 8:00 PM PST",
        ),
        (datetime(2027, 1, 16), datetime(2027, 1, 17), True, "All day"),
    ],
)
def test_short_when_leaves_out_the_date(app, start, end, all_day, expected):
    event = Event(
        timezone="America/Los_Angeles",
        all_day=all_day,
        starts_at=start.replace(tzinfo=PACIFIC).astimezone(UTC),
        ends_at=end.replace(tzinfo=PACIFIC).astimezone(UTC),
    )

    with app.test_request_context():
        written = format_short_when(event)

    assert plain(written) == expected


# Event page


def test_event_page_shows_the_time_in_the_event_zone(client, make_event):
    eastern = ZoneInfo("America/New_York")
    make_event(
        slug="nyc-visit",
        timezone="America/New_York",
        starts_at=datetime(2099, 1, 12, 18, 30, tzinfo=eastern).astimezone(UTC),
        ends_at=datetime(2099, 1, 12, 20, 0, tzinfo=eastern).astimezone(UTC),
    )

    text = page_text(client.get("/events/nyc-visit/"))

    assert "Monday, January 12, 2099, 6:30 – 8:00 PM EST" in text


def test_event_page_shows_an_all_day_event_as_days(client, make_event):
    pacific = ZoneInfo("America/Los_Angeles")
    make_event(
        slug="fair",
        all_day=True,
        starts_at=datetime(2099, 1, 17, tzinfo=pacific),
        ends_at=datetime(2099, 1, 19, tzinfo=pacific),
    )

    assert "Sat, Jan 17 – Sun, Jan 18, 2099" in page_text(client.get("/events/fair/"))


def test_event_page_shows_place_audience_and_languages(
    client, make_community, make_event
):
    community = make_community(slug="koreatown", name="Koreatown TFC")
    make_event(
        slug="listening",
        title="Police and youth listening group",
        type="listening-group",
        community=community,
        venue_name="Wilshire Library",
        venue_address="3480 Wilshire Blvd, Los Angeles",
        sectors=("schools", "law-enforcement"),
        languages=("ko", "en"),
        description="Bring **questions**.",
    )

    text = page_text(client.get("/events/listening/"))

    for expected in (
        "Police and youth listening group",
        "Listening group",
        "Wilshire Library",
        "3480 Wilshire Blvd, Los Angeles",
        "Schools, Law enforcement",
        '<span lang="ko">한국어</span>, <span lang="en">English</span>',
        "<strong>questions</strong>",
        'href="/communities/koreatown/"',
    ):
        assert expected in text


def test_event_page_shows_an_online_event_as_a_link(client, make_event):
    make_event(slug="call", venue_name=None, online_url="https://meet.example.org/tfc")

    assert (
        '<a class="external" href="https://meet.example.org/tfc">Online</a>'
        in page_text(client.get("/events/call/"))
    )


@pytest.mark.parametrize(
    ("capacity", "confirmed", "expected"),
    [
        (12, 0, "12 places left"),
        (3, 3, "Full — join the waiting list"),
        (None, 5, "Unlimited"),
    ],
)
def test_event_page_shows_places(
    client, make_event, register, capacity, confirmed, expected
):
    event = make_event(slug="counted", capacity=capacity)
    register(event, confirmed)

    assert expected in page_text(client.get("/events/counted/"))


def test_event_page_offers_sign_up_when_open(client, make_event):
    make_event(slug="open")

    assert 'href="/events/open/register"' in page_text(client.get("/events/open/"))


def test_event_page_offers_the_waiting_list_when_full(client, make_event, register):
    event = make_event(slug="full", capacity=1)
    register(event, 1)

    text = page_text(client.get("/events/full/"))

    assert "Join the waiting list" in text
    assert 'href="/events/full/register"' in text


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"registration_opens_at": timedelta(days=2)}, "Sign-up opens on"),
        (
            {"registration_closes_at": timedelta(days=-1)},
            "Sign-up for this event has closed.",
        ),
        ({"starts_at": timedelta(days=-2)}, "This event has ended."),
    ],
)
def test_event_page_explains_why_sign_up_is_not_possible(
    client, make_event, now, values, message
):
    make_event(slug="shut", **{name: now + delta for name, delta in values.items()})

    text = page_text(client.get("/events/shut/"))

    assert message in text
    assert "/events/shut/register" not in text


def test_event_page_offers_calendar_links(client, make_event):
    make_event(slug="save-me")

    text = page_text(client.get("/events/save-me/"))

    assert 'href="http://localhost/events/save-me.ics"' in text
    assert 'href="webcal://localhost/events/save-me.ics"' in text
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in text
    assert "https://outlook.live.com/calendar/0/addfromweb?url=" in text
    assert '<a class="feed-address" href="http://localhost/events/save-me.ics">' in text


def test_event_page_offers_its_communitys_calendar(client, make_community, make_event):
    pasadena = make_community(slug="pasadena", name="Pasadena TFC")
    make_event(slug="hosted", community=pasadena)
    make_event(slug="network", community=None)

    hosted = page_text(client.get("/events/hosted/"))
    network = page_text(client.get("/events/network/"))

    feed = "localhost/communities/pasadena/calendar.ics"
    assert "Follow Pasadena TFC in your calendar" in hosted
    assert f'href="webcal://{feed}"' in hosted
    assert f"cid=http%3A%2F%2F{feed.replace('/', '%2F')}" in hosted
    assert f"addfromweb?url=http%3A%2F%2F{feed.replace('/', '%2F')}" in hosted
    assert f'href="http://{feed}"' in hosted
    assert 'href="webcal://localhost/calendar.ics"' in network


def test_event_page_never_shows_registrants(client, make_event, register):
    event = make_event(slug="private", capacity=10)
    register(event, 2)

    text = page_text(client.get("/events/private/"))

    assert "Person 0" not in text
    assert "@example.org" not in text


def test_draft_event_is_not_found(client, make_event):
    make_event(slug="secret-plan", status="draft")

    response = client.get("/events/secret-plan/")

    assert response.status_code == 404
    assert "There is no event at this address." in page_text(response)


def test_unknown_event_is_not_found(client):
    assert client.get("/events/no-such-event/").status_code == 404


def test_cancelled_event_stays_visible_and_marked(client, make_event):
    make_event(slug="called-off", status="cancelled")

    response = client.get("/events/called-off/")

    assert response.status_code == 200
    assert "This event has been cancelled." in page_text(response)
    assert "/events/called-off/register" not in page_text(response)


def test_event_page_does_not_link_a_non_web_address(client, make_event):
    make_event(slug="odd", venue_name=None, online_url="javascript:alert(1)")

    assert "javascript:" not in page_text(client.get("/events/odd/"))


# Communities


def test_communities_list(client, make_community, make_event):
    community = make_community(slug="pasadena", name="Pasadena TFC", area="Pasadena")
    make_event(community=community)
    make_event(community=community)
    make_community(slug="glendale", name="Glendale TFC")

    text = page_text(client.get("/communities/"))

    assert 'href="/communities/pasadena/"' in text
    assert "2 upcoming events" in text
    assert "Glendale TFC" in text and "No upcoming events yet" in text


def test_community_page_shows_only_its_events(client, make_community, make_event, now):
    pasadena = make_community(
        slug="pasadena",
        name="Pasadena TFC",
        area="Pasadena",
        description="We meet *monthly*.",
    )
    glendale = make_community(slug="glendale", name="Glendale TFC")
    make_event(title="Pasadena meeting", community=pasadena)
    make_event(
        title="Pasadena history", community=pasadena, starts_at=now - timedelta(days=9)
    )
    make_event(title="Glendale meeting", community=glendale)
    make_event(title="Network meeting")

    text = page_text(client.get("/communities/pasadena/"))

    assert "Pasadena meeting" in text
    assert "<em>monthly</em>" in text
    for absent in ("Pasadena history", "Glendale meeting", "Network meeting"):
        assert absent not in text
    assert 'href="/events/?community=pasadena&amp;when=past"' in text


def test_community_page_offers_its_calendar(client, make_community):
    make_community(slug="pasadena")

    text = page_text(client.get("/communities/pasadena/"))

    assert 'href="webcal://localhost/communities/pasadena/calendar.ics"' in text
    feed = "http%3A%2F%2Flocalhost%2Fcommunities%2Fpasadena%2Fcalendar.ics"
    assert f"https://calendar.google.com/calendar/render?cid={feed}" in text
    assert f"https://outlook.live.com/calendar/0/addfromweb?url={feed}" in text
    assert 'href="http://localhost/communities/pasadena/calendar.ics"' in text


def test_unknown_community_is_not_found(client):
    response = client.get("/communities/atlantis/")

    assert response.status_code == 404
    assert "There is no community at this address." in page_text(response)


# Notices


def test_privacy_notice(client):
    text = page_text(client.get("/privacy"))

    for expected in (
        "e-mail address",
        "accessibility",
        "organisers",
        "never",
        "deleted",
    ):
        assert expected in text


def test_subscription_guide_names_the_apps_and_the_feed(client):
    text = page_text(client.get("/calendar/"))

    for expected in (
        "Google Calendar",
        "Apple Calendar",
        "Outlook on the web",
        "Thunderbird",
        "webcal://localhost/calendar.ics",
        "http://localhost/calendar.ics?language=es",
    ):
        assert expected in text


def test_subscription_guide_keeps_the_chosen_filters(client, make_community):
    make_community(slug="pasadena", name="Pasadena TFC")

    text = page_text(client.get("/calendar/?community=pasadena"))

    assert "webcal://localhost/calendar.ics?community=pasadena" in text
    assert "Pasadena TFC" in text


def test_subscription_guide_refuses_an_unknown_filter(client):
    response = client.get("/calendar/?sector=bakers")

    assert response.status_code == 400
    assert "There is no sector “bakers”" in page_text(response)


# Escaping

HOSTILE = "<script>alert(1)</script>"


@pytest.mark.parametrize(
    "path",
    ["/", "/events/", "/events/hostile/", "/communities/", "/communities/hostile/"],
)
def test_titles_are_escaped(client, make_community, make_event, path):
    community = make_community(slug="hostile", name=HOSTILE, area=HOSTILE)
    make_event(slug="hostile", title=HOSTILE, community=community, venue_name=HOSTILE)

    text = page_text(client.get(path))

    assert HOSTILE not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


# Errors


@pytest.fixture
def failing_views(app):
    """Views that fail in each way the error pages handle."""

    @app.get("/test-abort/<int:code>")
    def abort_with(code):
        abort(code, "A message from the view.")

    @app.get("/test-crash")
    def crash():
        raise RuntimeError("secret internals: password=hunter2")

    return app


@pytest.mark.parametrize(
    ("code", "title"),
    [
        (400, "The request could not be understood"),
        (403, "You may not see this page"),
        (404, "Page not found"),
        (409, "That could not be done"),
        (429, "Too many requests"),
    ],
)
def test_error_pages_show_the_message(failing_views, code, title):
    response = failing_views.test_client().get(f"/test-abort/{code}")

    assert response.status_code == code
    assert title in page_text(response)
    assert "A message from the view." in page_text(response)
    assert response.mimetype == "text/html"


def test_method_not_allowed_page_keeps_the_allow_header(client):
    response = client.delete("/events/")

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "This address does not accept that" in page_text(response)


def test_not_found_page_without_a_message_uses_the_site_wording(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert "There is nothing at this address." in page_text(response)


def test_server_error_page_hides_the_cause(failing_views):
    failing_views.config["PROPAGATE_EXCEPTIONS"] = False

    response = failing_views.test_client().get("/test-crash")

    assert response.status_code == 500
    assert "Something went wrong on our side" in page_text(response)
    assert "hunter2" not in page_text(response)
    assert "RuntimeError" not in page_text(response)

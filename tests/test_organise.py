"""The organiser's tools: the dashboard, the event form, publishing, cancelling,
deleting drafts, the registrant list, approval, cancelling for someone and erasing."""

import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from organise_support import (
    PASSWORD,
    add_registration,
    audit_actions,
    build_site,
    count,
    field_errors,
    form_data,
    fresh,
    log_in,
    new_event_data,
    outbox,
)
from series_support import LA, make_series
from sql_support import counting_queries
from sqlalchemy import select

from tfc_training.events.models import Event
from tfc_training.events.recurrence import Rule
from tfc_training.extensions import db
from tfc_training.mail.models import OutboxMessage
from tfc_training.registration.models import ManageToken, Registration
from tfc_training.registration.services import places_taken
from tfc_training.registration.tokens import issue_manage_token

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def app_config(tmp_path):
    return {"MAIL_FOLDER": str(tmp_path / "mail")}


@pytest.fixture
def site(make_community, make_user, make_event, now):
    return build_site(make_community, make_user, make_event, now)


@pytest.fixture
def organiser(client, site):
    """A client logged in as the organiser of the site's home community."""
    return log_in(client, site.organiser)


def edit(client, event, **changes):
    return client.post(
        f"/organise/events/{event.slug}/edit", data=form_data(event, **changes)
    )


def feed_event(body: str) -> dict:
    """SEQUENCE and STATUS of the only event in an iCalendar body."""
    return {
        "sequence": int(re.search(r"SEQUENCE:(\d+)", body).group(1)),
        "status": re.search(r"STATUS:(\w+)", body).group(1),
    }


# --- The dashboard ---------------------------------------------------------------


def test_dashboard_lists_the_events_of_ones_communities_with_counts(
    organiser, site, make_event, now
):
    add_registration(site.event, status="confirmed", attended_at=None)
    add_registration(site.event, status="waitlisted")
    add_registration(site.event, status="pending")
    make_event(
        slug="last-month",
        title="Last month",
        community=site.home,
        starts_at=now - timedelta(days=30),
        ends_at=now - timedelta(days=30, hours=-2),
    )

    html = organiser.get("/organise/").get_data(as_text=True)

    coming, drafts, past = re.split(r"<h2>(?:Drafts|Past)</h2>", html)
    assert "Listening group" in coming and "1/2" in coming
    assert "Draft workshop" in drafts
    assert "Last month" in past
    assert "Boyle Heights awareness" not in html
    assert 'href="/organise/events/new"' in html


def test_a_series_takes_one_line_of_the_dashboard_with_its_other_dates_folded(
    organiser, site, now
):
    weekly = Rule("weekly", weekdays=("TU",), count=6)
    first = (now + timedelta(days=10)).astimezone(LA).replace(tzinfo=None)
    start = first.replace(hour=18, minute=0, second=0, microsecond=0)
    series = make_series(
        site.home, site.organiser, now, weekly, start, start + timedelta(hours=2)
    )
    dates = series.occurrences
    add_registration(dates[2], status="confirmed")

    html = organiser.get("/organise/").get_data(as_text=True)

    coming = re.split(r"<h2>Drafts</h2>", html)[0]
    assert coming.count(">TFC meeting</a>") == 1
    assert "5 more dates of this series" in coming
    for other in dates[1:]:
        assert f'href="/organise/events/{other.slug}/registrants"' in coming
    assert "1 confirmed" in coming


def test_admin_dashboard_lists_every_community(client, site):
    log_in(client, site.admin)

    html = client.get("/organise/").get_data(as_text=True)

    assert "Listening group" in html and "Boyle Heights awareness" in html


def test_the_dashboard_makes_as_many_queries_for_many_events_as_for_few(
    organiser, site, make_event
):
    def queries_for_dashboard():
        with counting_queries() as statements:
            assert organiser.get("/organise/").status_code == 200
        return len(statements)

    few = queries_for_dashboard()
    for _ in range(5):
        event = make_event(community=site.home)
        add_registration(event)

    assert queries_for_dashboard() == few


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("learner", 403)])
def test_dashboard_is_for_organisers_only(client, site, who, status):
    if who == "learner":
        log_in(client, site.learner)

    assert client.get("/organise/").status_code == status


# --- Creating events -------------------------------------------------------------


def test_new_event_form_offers_only_the_communities_one_organises(organiser, site):
    html = organiser.get("/organise/events/new").get_data(as_text=True)

    assert "TraffickFree Koreatown" in html
    assert "TraffickFree Boyle Heights" not in html
    assert "Network-wide" not in html


def test_admins_may_create_network_wide_events(client, site):
    log_in(client, site.admin)

    response = client.post("/organise/events/new", data=new_event_data(None))

    assert response.status_code == 303
    event = db.session.scalar(select(Event).where(Event.title.like("Teachers%")))
    assert event.community_id is None


def test_creating_an_event_saves_a_draft_with_local_times(organiser, site):
    response = organiser.post("/organise/events/new", data=new_event_data(site.home))

    assert response.status_code == 303
    event = db.session.scalar(
        select(Event).where(Event.slug == "teachers-and-parents-listening-group")
    )
    assert response.headers["Location"].endswith(f"/organise/events/{event.slug}/edit")
    assert event.status == "draft"
    assert event.sequence == 0
    assert event.community_id == site.home.id
    assert event.language_codes == ["es", "en"]
    assert event.sector_slugs == ["schools", "law-enforcement"]
    assert event.local_start == datetime(2031, 2, 3, 17, 0, tzinfo=LOS_ANGELES)
    assert event.capacity == 30
    assert audit_actions(event) == ["event.created"]


def test_an_all_day_event_runs_from_midnight_to_the_midnight_after_its_last_day(
    organiser, site
):
    data = new_event_data(
        site.home,
        all_day="y",
        starts_at="",
        ends_at="",
        start_date="2031-03-01",
        end_date="2031-03-02",
    )

    assert organiser.post("/organise/events/new", data=data).status_code == 303

    event = db.session.scalar(select(Event).where(Event.title.like("Teachers%")))
    assert event.all_day
    assert event.local_start == datetime(2031, 3, 1, tzinfo=LOS_ANGELES)
    assert event.local_end == datetime(2031, 3, 3, tzinfo=LOS_ANGELES)


def test_a_slug_made_from_the_title_is_numbered_when_taken(organiser, site):
    data = new_event_data(site.home, title="Listening group")

    organiser.post("/organise/events/new", data=data)

    assert db.session.scalar(select(Event).where(Event.slug == "listening-group-2"))


def new_event_nonce(client) -> str:
    """The one-time value of the new-event form, as the page gives it."""
    html = client.get("/organise/events/new").get_data(as_text=True)
    return re.search(r'name="nonce"[^>]*value="([^"]+)"', html).group(1)


def teachers_events() -> list[Event]:
    db.session.rollback()
    return db.session.scalars(
        select(Event).where(Event.title.like("Teachers%")).order_by(Event.id)
    ).all()


def test_the_same_new_event_form_sent_twice_makes_one_event(organiser, site):
    data = new_event_data(site.home, nonce=new_event_nonce(organiser))

    first = organiser.post("/organise/events/new", data=data)
    second = organiser.post("/organise/events/new", data=data)

    [event] = teachers_events()
    assert (first.status_code, second.status_code) == (303, 303)
    assert second.headers["Location"] == first.headers["Location"]
    assert first.headers["Location"].endswith(f"/organise/events/{event.slug}/edit")
    assert audit_actions(event) == ["event.created"]
    page = organiser.get(second.headers["Location"]).get_data(as_text=True)
    assert "This form was already saved" in page


@pytest.mark.parametrize(
    "repeat",
    [
        {},
        {
            "repeat": "weekly",
            "repeat_every": "1",
            "repeat_weekdays": ["MO"],
            "repeat_count": "3",
        },
    ],
    ids=["one event", "a series"],
)
def test_a_form_sent_twice_with_a_chosen_address_lands_on_its_event(
    organiser, site, repeat
):
    data = new_event_data(
        site.home, nonce=new_event_nonce(organiser), slug="teachers-night", **repeat
    )

    first = organiser.post("/organise/events/new", data=data)
    second = organiser.post("/organise/events/new", data=data)

    assert (first.status_code, second.status_code) == (303, 303)
    assert second.headers["Location"] == first.headers["Location"]
    assert teachers_events()[0].slug.startswith("teachers-night")


def test_each_new_event_form_makes_its_own_event(organiser, site):
    for _ in range(2):
        data = new_event_data(site.home, nonce=new_event_nonce(organiser))
        assert organiser.post("/organise/events/new", data=data).status_code == 303

    assert [e.slug for e in teachers_events()] == [
        "teachers-and-parents-listening-group",
        "teachers-and-parents-listening-group-2",
    ]


def test_a_refused_new_event_form_sent_again_corrected_is_saved(organiser, site):
    nonce = new_event_nonce(organiser)

    refused = organiser.post(
        "/organise/events/new", data=new_event_data(site.home, title="", nonce=nonce)
    )
    saved = organiser.post(
        "/organise/events/new", data=new_event_data(site.home, nonce=nonce)
    )

    assert (refused.status_code, saved.status_code) == (400, 303)
    assert len(teachers_events()) == 1


def test_the_same_series_form_sent_twice_makes_one_series(organiser, site):
    data = new_event_data(
        site.home,
        nonce=new_event_nonce(organiser),
        repeat="weekly",
        repeat_every="1",
        repeat_weekdays=["MO"],
        repeat_count="3",
    )

    first = organiser.post("/organise/events/new", data=data)
    second = organiser.post("/organise/events/new", data=data)

    events = teachers_events()
    assert (first.status_code, second.status_code) == (303, 303)
    assert len(events) == 3 and len({e.series_id for e in events}) == 1
    assert second.headers["Location"] == first.headers["Location"]
    assert first.headers["Location"].endswith(f"/events/{events[0].slug}/edit")


def test_another_organisers_nonce_makes_their_own_event(
    client, app, organiser, site, make_user
):
    nonce = new_event_nonce(organiser)
    organiser.post("/organise/events/new", data=new_event_data(site.home, nonce=nonce))
    colleague = log_in(
        app.test_client(),
        make_user(email="colleague@example.org", organises=[site.home]),
    )

    response = colleague.post(
        "/organise/events/new", data=new_event_data(site.home, nonce=nonce)
    )

    assert response.status_code == 303
    assert len(teachers_events()) == 2


def test_a_new_event_form_with_a_bad_nonce_is_refused(organiser, site):
    response = organiser.post(
        "/organise/events/new", data=new_event_data(site.home, nonce="not/ours")
    )

    assert response.status_code == 400
    assert "This form is out of date" in response.get_data(as_text=True)
    assert teachers_events() == []


CONCURRENT_POSTS = 4


def _send_new_event(base_url, cookies, data, barrier, results, number):
    session = requests.Session()
    session.trust_env = False  # Loopback only: never go through a configured proxy.
    session.cookies.update(cookies)
    try:
        barrier.wait()
        answer = session.post(
            f"{base_url}/organise/events/new", data=data, allow_redirects=False
        )
        results[number] = (answer.status_code, answer.headers.get("Location"))
    except Exception:
        barrier.abort()
        raise


def test_new_event_forms_sent_at_the_same_moment_make_one_event(app, live_server, site):
    """A double click sends the form twice at once: both land on the one event."""
    session = requests.Session()
    session.trust_env = False
    answer = session.post(
        f"{live_server}/login",
        data={"email": site.organiser.email, "password": PASSWORD},
        allow_redirects=False,
    )
    assert answer.status_code == 303
    form = session.get(f"{live_server}/organise/events/new").text
    nonce = re.search(r'name="nonce"[^>]*value="([^"]+)"', form).group(1)
    data = new_event_data(site.home, nonce=nonce)

    barrier = threading.Barrier(CONCURRENT_POSTS)
    results = {}
    threads = [
        threading.Thread(
            target=_send_new_event,
            args=(live_server, session.cookies, data, barrier, results, number),
        )
        for number in range(CONCURRENT_POSTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    [event] = teachers_events()
    assert (
        sorted(results.values())
        == [(303, f"/organise/events/{event.slug}/edit")] * CONCURRENT_POSTS
    )
    assert audit_actions(event) == ["event.created"]


def test_a_chosen_slug_that_is_taken_is_refused_next_to_the_field(organiser, site):
    before = count(Event)

    response = organiser.post(
        "/organise/events/new", data=new_event_data(site.home, slug=site.event.slug)
    )

    assert response.status_code == 400
    assert "already has this address" in field_errors(
        response.get_data(as_text=True), "slug"
    )
    assert count(Event) == before


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title": "  "}, "title", "Give the event a title"),
        ({"slug": "Not A Slug"}, "slug", "lower-case letters"),
        ({"type": "party"}, "type", "Choose one of the options offered."),
        ({"sectors": None}, "sectors", "at least one sector"),
        (
            {"sectors": ["schools", "aliens"]},
            "sectors",
            "One of the choices is not among the options offered.",
        ),
        ({"language": "xx"}, "language", "Choose one of the options offered."),
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone"),
        ({"starts_at": ""}, "starts_at", "starts"),
        ({"starts_at": "tomorrow"}, "starts_at", "2027-02-03 18:30"),
        ({"ends_at": "2031-02-03T16:00"}, "ends_at", "end after it starts"),
        # The clocks skip from 2:00 to 3:00 in Los Angeles on this night.
        ({"starts_at": "2031-03-09T02:30"}, "starts_at", "does not exist"),
        ({"venue_name": "", "venue_address": ""}, "venue_name", "online meeting link"),
        ({"venue_name": ""}, "venue_name", "name of the venue"),
        ({"online_url": "javascript:alert(1)"}, "online_url", "https://"),
        ({"online_url": "ftp://example.org/room"}, "online_url", "https://"),
        ({"capacity": "0"}, "capacity", "from 1 to"),
        ({"capacity": "lots"}, "capacity", "whole number"),
        (
            {
                "registration_opens": "2031-02-01T09:00",
                "registration_closes": "2031-01-01T09:00",
            },
            "registration_closes",
            "close after it opens",
        ),
        ({"all_day": "y", "start_date": ""}, "start_date", "first day"),
        (
            {"all_day": "y", "start_date": "2031-03-02", "end_date": "2031-03-01"},
            "end_date",
            "cannot be before",
        ),
        ({"community": ""}, "community", "Choose one of the options offered."),
        ({"title": "Two\nlines"}, "title", "on one line"),
        (
            {"starts_at": "9999-12-31T23:00", "ends_at": "9999-12-31T23:30"},
            "starts_at",
            "between the years 2000 and 2100",
        ),
        ({"ends_at": "9999-12-31T23:00"}, "ends_at", "between the years 2000"),
        ({"starts_at": "1999-12-31T23:00"}, "starts_at", "between the years 2000"),
        (
            {"registration_opens": "9999-12-31T23:00"},
            "registration_opens",
            "between the years 2000",
        ),
        (
            {"registration_closes": "0001-01-01T00:00"},
            "registration_closes",
            "between the years 2000",
        ),
        (
            {"all_day": "y", "start_date": "9999-12-31", "end_date": ""},
            "start_date",
            "between the years 2000",
        ),
        (
            {"all_day": "y", "start_date": "2031-03-01", "end_date": "9999-12-31"},
            "end_date",
            "between the years 2000",
        ),
        (
            {"registration_opens": "2031-02-03T17:30"},
            "registration_opens",
            "open before the event starts",
        ),
        (
            {"registration_closes": "2031-02-03T19:30"},
            "registration_closes",
            "close by the time the event ends",
        ),
        ({"ends_at": "2031-03-07T19:00"}, "ends_at", "at most 31 days"),
        (
            {"all_day": "y", "start_date": "2031-03-01", "end_date": "2031-04-01"},
            "end_date",
            "at most 31 days",
        ),
        ({"description": "x" * 20_001}, "description", "at most 20000 characters"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_written(
    organiser, site, changes, field, message
):
    before = count(Event)

    response = organiser.post(
        "/organise/events/new", data=new_event_data(site.home, **changes)
    )

    assert response.status_code == 400
    assert message in field_errors(response.get_data(as_text=True), field)
    assert count(Event) == before


@pytest.mark.parametrize(
    "changes",
    [
        {"ends_at": "2031-03-06T17:00"},
        {"all_day": "y", "start_date": "2031-03-01", "end_date": "2031-03-31"},
        {"registration_opens": "2031-02-03T16:59", "registration_closes": ""},
        {"registration_closes": "2031-02-03T19:00"},
        {"description": "x" * 20_000},
    ],
)
def test_input_at_the_limits_is_accepted(organiser, site, changes):
    response = organiser.post(
        "/organise/events/new", data=new_event_data(site.home, **changes)
    )

    assert response.status_code == 303, response.get_data(as_text=True)


def test_a_date_far_ahead_is_refused_when_editing_too(organiser, site):
    response = edit(organiser, site.event, ends_at="9999-12-31T23:00")

    assert response.status_code == 400
    assert "between the years 2000 and 2100" in field_errors(
        response.get_data(as_text=True), "ends_at"
    )
    assert fresh(Event, site.event.id).ends_at == site.event.ends_at


def test_organisers_cannot_create_events_for_another_community(organiser, site):
    response = organiser.post("/organise/events/new", data=new_event_data(site.other))

    assert response.status_code == 400
    assert "Choose one of the options offered." in field_errors(
        response.get_data(as_text=True), "community"
    )


# --- Editing events --------------------------------------------------------------


def test_the_edit_form_shows_local_times(organiser, site):
    html = organiser.get(f"/organise/events/{site.event.slug}/edit").get_data(
        as_text=True
    )

    assert site.event.local_start.strftime("%Y-%m-%dT%H:%M") in html


def test_a_change_to_the_description_keeps_the_sequence(organiser, site):
    response = edit(organiser, site.event, description="New words.")

    assert response.status_code == 303
    event = fresh(Event, site.event.id)
    assert event.description == "New words."
    assert event.sequence == 0
    assert audit_actions(event) == ["event.updated"]


def test_saving_an_unchanged_form_changes_nothing(organiser, site):
    updated_at = site.event.updated_at

    assert edit(organiser, site.event).status_code == 303

    event = fresh(Event, site.event.id)
    assert event.updated_at == updated_at
    assert audit_actions(event) == []


def test_rescheduling_raises_the_sequence_and_emails_the_registrants(organiser, site):
    people = [
        add_registration(site.event, status="confirmed"),
        add_registration(site.event, status="waitlisted"),
    ]
    add_registration(site.event, status="cancelled")
    later = site.start + timedelta(days=1)

    response = edit(
        organiser,
        site.event,
        starts_at=later.astimezone(LOS_ANGELES).strftime("%Y-%m-%dT%H:%M"),
        ends_at=(later + timedelta(hours=2))
        .astimezone(LOS_ANGELES)
        .strftime("%Y-%m-%dT%H:%M"),
    )

    assert response.status_code == 303
    event = fresh(Event, site.event.id)
    assert event.starts_at == later
    assert event.sequence == 1
    assert audit_actions(event) == ["event.rescheduled"]
    messages = outbox("event-changed")
    assert sorted(m.registration_id for m in messages) == [p.id for p in people]
    assert all(m.ics_method == "REQUEST" for m in messages)


def test_moving_the_event_emails_the_registrants(organiser, site):
    person = add_registration(site.event)

    edit(
        organiser,
        site.event,
        venue_name="Koreatown Library",
        venue_address="1 Library Way",
    )

    event = fresh(Event, site.event.id)
    assert event.sequence == 1
    assert audit_actions(event) == ["event.moved"]
    assert [m.registration_id for m in outbox("event-changed")] == [person.id]


def test_a_reschedule_without_registrants_sends_nothing(organiser, site):
    edit(organiser, site.event, venue_name="Koreatown Library")

    assert outbox() == []


def test_the_feeds_show_a_reschedule_on_the_next_request(organiser, client, site):
    first = client.get(f"/events/{site.event.slug}.ics")
    site_feed = client.get("/calendar.ics")
    assert feed_event(first.get_data(as_text=True))["sequence"] == 0
    later = (site.start + timedelta(hours=3)).astimezone(LOS_ANGELES)

    edit(
        organiser,
        site.event,
        starts_at=later.strftime("%Y-%m-%dT%H:%M"),
        ends_at=(later + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
    )

    again = client.get(
        f"/events/{site.event.slug}.ics",
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert feed_event(again.get_data(as_text=True))["sequence"] == 1
    site_again = client.get(
        "/calendar.ics", headers={"If-None-Match": site_feed.headers["ETag"]}
    )
    assert site_again.status_code == 200
    assert "SEQUENCE:1" in site_again.get_data(as_text=True)


def test_raising_the_capacity_confirms_people_from_the_waiting_list(organiser, site):
    add_registration(site.event, status="confirmed")
    add_registration(site.event, status="confirmed")
    first = add_registration(site.event, status="waitlisted")
    second = add_registration(site.event, status="waitlisted")

    assert edit(organiser, site.event, capacity="3").status_code == 303

    assert fresh(Registration, first.id).status == "confirmed"
    assert fresh(Registration, second.id).status == "waitlisted"
    assert [m.registration_id for m in outbox("promoted")] == [first.id]
    assert audit_actions(site.event) == ["event.updated", "registration.promoted"]


def test_removing_the_limit_confirms_everyone_waiting(organiser, site):
    add_registration(site.event, status="confirmed")
    add_registration(site.event, status="confirmed")
    waiting = [add_registration(site.event, status="waitlisted") for _ in range(3)]

    edit(organiser, site.event, capacity="")

    assert {fresh(Registration, r.id).status for r in waiting} == {"confirmed"}


def test_the_capacity_cannot_drop_below_the_people_confirmed(organiser, site):
    add_registration(site.event, status="confirmed")
    add_registration(site.event, status="confirmed")

    response = edit(organiser, site.event, capacity="1", title="Renamed")

    assert response.status_code == 400
    assert "2 people already have a place" in field_errors(
        response.get_data(as_text=True), "capacity"
    )
    event = fresh(Event, site.event.id)
    assert (event.capacity, event.title) == (2, "Listening group")


def test_an_event_filled_beyond_its_capacity_by_walk_ins_can_still_be_edited(
    organiser, site
):
    for _ in range(3):
        add_registration(site.event, source="walk-in", email=None, consented_at=None)

    response = edit(organiser, site.event, description="Thanks for coming.")

    assert response.status_code == 303
    assert fresh(Event, site.event.id).description == "Thanks for coming."


def test_a_published_event_keeps_its_address(organiser, site):
    edit(organiser, site.event, slug="another-address")

    assert fresh(Event, site.event.id).slug == "listening-group"


def test_a_draft_may_change_its_address(organiser, site):
    response = edit(organiser, site.draft, slug="better-address")

    assert response.headers["Location"].endswith("/organise/events/better-address/edit")
    assert fresh(Event, site.draft.id).slug == "better-address"


def test_requiring_approval_is_saved(organiser, site):
    edit(organiser, site.event, requires_approval="y")

    assert fresh(Event, site.event.id).requires_approval


# --- Publishing, cancelling and deleting -----------------------------------------


def test_publishing_a_draft_puts_it_in_the_feed(organiser, client, site):
    assert site.draft.slug not in client.get("/calendar.ics").get_data(as_text=True)

    response = organiser.post(f"/organise/events/{site.draft.slug}/publish")

    assert response.status_code == 303
    event = fresh(Event, site.draft.id)
    assert (event.status, event.sequence) == ("published", 1)
    assert audit_actions(event) == ["event.published"]
    assert f"/events/{site.draft.slug}/" in client.get("/calendar.ics").get_data(
        as_text=True
    )


def test_only_a_draft_can_be_published(organiser, site):
    response = organiser.post(
        f"/organise/events/{site.event.slug}/publish", follow_redirects=True
    )

    assert "Only a draft can be published" in response.get_data(as_text=True)
    assert fresh(Event, site.event.id).sequence == 0


def test_an_event_that_has_ended_cannot_be_published(organiser, site, make_event, now):
    event = make_event(
        community=site.home,
        status="draft",
        starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=2, hours=-2),
    )

    response = organiser.post(
        f"/organise/events/{event.slug}/publish", follow_redirects=True
    )

    assert "This event has already ended" in response.get_data(as_text=True)
    assert fresh(Event, event.id).status == "draft"
    assert audit_actions(event) == []


def test_cancelling_asks_first(organiser, site):
    add_registration(site.event)

    html = organiser.get(f"/organise/events/{site.event.slug}/cancel").get_data(
        as_text=True
    )

    assert "The 1 person who signed up and left an address is told by e-mail" in html
    assert fresh(Event, site.event.id).status == "published"


def test_cancelling_an_event_nobody_signed_up_for_mentions_no_e_mail(organiser, site):
    add_registration(site.event, status="cancelled")

    html = organiser.get(f"/organise/events/{site.event.slug}/cancel").get_data(
        as_text=True
    )
    assert "Nobody has signed up, so no one needs to be told." in html
    assert "e-mail" not in html.split("<h1")[1].split("</form>")[0]

    response = organiser.post(
        f"/organise/events/{site.event.slug}/cancel", follow_redirects=True
    )
    done = response.get_data(as_text=True)
    assert "The event is cancelled." in done
    assert "told" not in done


def test_cancelling_says_how_many_people_are_told(organiser, site):
    add_registration(site.event, status="confirmed")
    add_registration(site.event, status="pending")

    response = organiser.post(
        f"/organise/events/{site.event.slug}/cancel", follow_redirects=True
    )

    assert (
        "The event is cancelled, and the 2 people who signed up and left an address"
        " are told by e-mail." in response.get_data(as_text=True)
    )


def without_address(registration):
    """Make ``registration`` a walk-in who gave no e-mail address."""
    registration.source = "walk-in"
    registration.email = None
    db.session.commit()


def test_cancelling_counts_only_the_people_it_can_write_to(organiser, site):
    add_registration(site.event, status="confirmed")
    without_address(add_registration(site.event, status="confirmed"))
    address = f"/organise/events/{site.event.slug}/cancel"

    html = organiser.get(address).get_data(as_text=True)
    response = organiser.post(address, follow_redirects=True)

    assert "The 1 person who signed up and left an address is told" in html
    assert (
        "The event is cancelled, and the 1 person who signed up and left an address"
        " is told by e-mail." in response.get_data(as_text=True)
    )


def test_cancelling_when_nobody_left_an_address_says_so(organiser, site):
    without_address(add_registration(site.event, status="confirmed"))

    html = organiser.get(f"/organise/events/{site.event.slug}/cancel").get_data(
        as_text=True
    )

    assert "Nobody who signed up left an address, so no one is told." in html


def test_cancelling_raises_the_sequence_and_emails_the_registrants(
    organiser, client, site
):
    confirmed = add_registration(site.event, status="confirmed")
    pending = add_registration(site.event, status="pending")
    add_registration(site.event, status="cancelled")
    before = client.get(f"/events/{site.event.slug}.ics")

    response = organiser.post(f"/organise/events/{site.event.slug}/cancel")

    assert response.status_code == 303
    event = fresh(Event, site.event.id)
    assert (event.status, event.sequence) == ("cancelled", 1)
    assert audit_actions(event) == ["event.cancelled"]
    messages = outbox("event-cancelled")
    # A request awaiting approval never had a calendar entry to drop.
    assert {m.registration_id: m.ics_method for m in messages} == {
        confirmed.id: "CANCEL",
        pending.id: None,
    }
    after = client.get(
        f"/events/{site.event.slug}.ics",
        headers={"If-None-Match": before.headers["ETag"]},
    )
    assert after.status_code == 200
    assert feed_event(after.get_data(as_text=True)) == {
        "sequence": 1,
        "status": "CANCELLED",
    }


@pytest.mark.parametrize("which", ["draft", "cancelled", "past"])
def test_only_a_published_coming_event_can_be_cancelled(
    organiser, site, make_event, now, which
):
    if which == "draft":
        event = site.draft
    elif which == "cancelled":
        event = make_event(community=site.home, status="cancelled")
    else:
        event = make_event(
            community=site.home,
            starts_at=now - timedelta(days=2),
            ends_at=now - timedelta(days=2, hours=-2),
        )
    status, sequence = event.status, event.sequence

    organiser.post(f"/organise/events/{event.slug}/cancel")

    event = fresh(Event, event.id)
    assert (event.status, event.sequence) == (status, sequence)


def test_a_draft_can_be_deleted_after_confirming(organiser, site):
    page = organiser.get(f"/organise/events/{site.draft.slug}/delete")
    assert "Delete the draft" in page.get_data(as_text=True)

    response = organiser.post(f"/organise/events/{site.draft.slug}/delete")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/organise/")
    assert fresh(Event, site.draft.id) is None


def test_a_published_event_cannot_be_deleted(organiser, site):
    page = organiser.get(
        f"/organise/events/{site.event.slug}/delete", follow_redirects=True
    )
    assert "Only drafts can be deleted" in page.get_data(as_text=True)

    organiser.post(f"/organise/events/{site.event.slug}/delete")

    assert fresh(Event, site.event.id) is not None


def test_a_draft_with_registrations_from_an_earlier_life_stays(organiser, site):
    add_registration(site.draft)

    organiser.post(f"/organise/events/{site.draft.slug}/delete")

    assert fresh(Event, site.draft.id) is not None


# --- Access ----------------------------------------------------------------------

#: Every organiser action on one event, with its method and the form it posts.
EVENT_ACTIONS = [
    ("GET", "/organise/events/{slug}/edit", None),
    ("POST", "/organise/events/{slug}/edit", "form"),
    ("POST", "/organise/events/{slug}/publish", None),
    ("GET", "/organise/events/{slug}/cancel", None),
    ("POST", "/organise/events/{slug}/cancel", None),
    ("GET", "/organise/events/{slug}/delete", None),
    ("POST", "/organise/events/{slug}/delete", None),
    ("GET", "/organise/events/{slug}/registrants", None),
    ("GET", "/organise/events/{slug}/registrants.csv", None),
    ("POST", "/organise/events/{slug}/registrants/{registration}/approve", None),
    ("POST", "/organise/events/{slug}/registrants/{registration}/reject", None),
    ("GET", "/organise/events/{slug}/registrants/{registration}/cancel", None),
    ("POST", "/organise/events/{slug}/registrants/{registration}/cancel", None),
    ("GET", "/organise/events/{slug}/registrants/{registration}/erase", None),
    ("POST", "/organise/events/{slug}/registrants/{registration}/erase", None),
    ("GET", "/organise/events/{slug}/check-in", None),
    ("POST", "/organise/events/{slug}/check-in/{registration}", None),
    ("POST", "/organise/events/{slug}/check-in/{registration}/undo", None),
    ("POST", "/organise/events/{slug}/walk-ins", "walk-in"),
    ("GET", "/organise/events/{slug}/audit", None),
]


@pytest.mark.parametrize("method, path, data", EVENT_ACTIONS)
@pytest.mark.parametrize("target, status", [("event", 403), ("draft", 404)])
def test_an_organiser_of_another_community_can_do_nothing(
    client, site, method, path, data, target, status
):
    """Another community's public event answers 403, its draft 404; nothing changes."""
    event = getattr(site, target)
    registration = add_registration(event, status="pending", name="Private Person")
    log_in(client, site.other_organiser)
    url = path.format(slug=event.slug, registration=registration.id)
    body = {}
    if data == "form":
        body = form_data(event, title="Taken over")
    elif data == "walk-in":
        body = {"sector": "schools", "language": "en"}

    response = client.open(url, method=method, data=body)

    assert response.status_code == status
    assert "Private Person" not in response.get_data(as_text=True)
    assert fresh(Event, event.id).title != "Taken over"
    assert fresh(Registration, registration.id).status == "pending"
    assert count(Registration) == 1


def test_a_registration_of_another_event_is_not_found(organiser, site):
    foreign = add_registration(site.foreign, status="pending")

    response = organiser.post(
        f"/organise/events/{site.event.slug}/registrants/{foreign.id}/reject"
    )

    assert response.status_code == 404
    assert fresh(Registration, foreign.id).status == "pending"


def test_a_button_without_its_csrf_token_is_refused(app, organiser, site):
    person = add_registration(site.event, status="pending")
    app.config["WTF_CSRF_ENABLED"] = True

    response = organiser.post(
        f"/organise/events/{site.event.slug}/registrants/{person.id}/reject"
    )

    assert response.status_code == 400
    assert fresh(Registration, person.id).status == "pending"


# --- The registrant list ---------------------------------------------------------


def test_the_registrant_list_shows_each_registrant(organiser, site):
    add_registration(
        site.event,
        name="Ana Díaz",
        email="ana@example.org",
        sector_slug="media",
        language="es",
        accessibility="Wheelchair access",
    )
    add_registration(site.event, status="waitlisted", name="Bo Chen")

    html = organiser.get(f"/organise/events/{site.event.slug}/registrants").get_data(
        as_text=True
    )

    for text in (
        "Ana Díaz",
        "ana@example.org",
        "Media",
        "Español",
        "Wheelchair access",
        "confirmed",
        "Bo Chen",
        "waiting list",
    ):
        assert text in html


def test_each_cell_of_the_registrant_list_says_what_it_holds(organiser, site):
    add_registration(site.event, name="Ana Díaz", email="ana@example.org")

    html = organiser.get(f"/organise/events/{site.event.slug}/registrants").get_data(
        as_text=True
    )

    row = re.search(r"<tbody>.*?</tbody>", html, re.DOTALL).group(0)
    labels = re.findall(r'<t[dh] [^>]*data-label="([^"]+)"', row)
    assert labels == [
        "Name",
        "E-mail",
        "Status",
        "Waiting position",
        "Sector",
        "Language",
        "Accessibility needs",
        "Signed up",
        "Checked in",
        "Actions",
    ]


def test_the_registrant_list_filters_by_status(organiser, site):
    add_registration(site.event, name="Ana Díaz")
    add_registration(site.event, status="waitlisted", name="Bo Chen")

    html = organiser.get(
        f"/organise/events/{site.event.slug}/registrants?status=waitlisted"
    ).get_data(as_text=True)

    assert "Bo Chen" in html and "Ana Díaz" not in html


def test_an_unknown_status_filter_is_not_found(organiser, site):
    response = organiser.get(
        f"/organise/events/{site.event.slug}/registrants?status=vip"
    )

    assert response.status_code == 404


def test_organiser_pages_are_never_cached(organiser, site):
    response = organiser.get(f"/organise/events/{site.event.slug}/registrants")

    assert response.headers["Cache-Control"] == "no-store"


# --- Approval --------------------------------------------------------------------


def sign_up(client, event, name, email):
    return client.post(
        f"/events/{event.slug}/register",
        data={"name": name, "email": email, "language": "en", "consent": "y"},
    )


def test_sign_ups_wait_for_approval_and_take_no_place(app, site, make_event):
    event = make_event(community=site.home, capacity=1, requires_approval=True)
    public = app.test_client()

    sign_up(public, event, "Ana Díaz", "ana@example.org")

    registration = db.session.scalar(select(Registration))
    assert registration.status == "pending"
    assert places_taken([event.id])[event.id] == 0
    token = issue_manage_token(registration)
    db.session.commit()
    page = public.get(f"/r/{token}").get_data(as_text=True)
    assert "waiting for the organisers" in page
    assert "1 place left" in public.get(f"/events/{event.slug}/").get_data(as_text=True)


def test_approving_gives_a_place_then_a_turn_when_full(organiser, site, make_event):
    event = make_event(community=site.home, capacity=1, requires_approval=True)
    first = add_registration(event, status="pending")
    second = add_registration(event, status="pending")

    organiser.post(f"/organise/events/{event.slug}/registrants/{first.id}/approve")
    organiser.post(f"/organise/events/{event.slug}/registrants/{second.id}/approve")

    assert fresh(Registration, first.id).status == "confirmed"
    assert fresh(Registration, second.id).status == "waitlisted"
    assert [m.registration_id for m in outbox("signup")] == [first.id, second.id]
    assert audit_actions(event) == ["registration.approved", "registration.approved"]


def test_people_already_waiting_get_a_free_place_before_someone_approved(
    organiser, site, make_event
):
    event = make_event(community=site.home, capacity=1, requires_approval=True)
    waiting = add_registration(event, status="waitlisted")
    pending = add_registration(event, status="pending")

    organiser.post(f"/organise/events/{event.slug}/registrants/{pending.id}/approve")

    assert fresh(Registration, waiting.id).status == "confirmed"
    assert fresh(Registration, pending.id).status == "waitlisted"


def test_rejecting_a_pending_sign_up(organiser, site):
    person = add_registration(site.event, status="pending")

    organiser.post(f"/organise/events/{site.event.slug}/registrants/{person.id}/reject")

    assert fresh(Registration, person.id).status == "rejected"
    assert audit_actions(site.event) == ["registration.rejected"]
    assert [m.registration_id for m in outbox("rejected")] == [person.id]


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("status", ["confirmed", "waitlisted", "rejected", "cancelled"])
def test_only_pending_sign_ups_can_be_approved_or_rejected(
    organiser, site, action, status
):
    person = add_registration(site.event, status=status)

    response = organiser.post(
        f"/organise/events/{site.event.slug}/registrants/{person.id}/{action}",
        follow_redirects=True,
    )

    assert "Only sign-ups waiting for approval" in response.get_data(as_text=True)
    assert fresh(Registration, person.id).status == status
    assert audit_actions(site.event) == []


# --- Cancelling for someone ------------------------------------------------------


def test_cancelling_for_someone_gives_their_place_to_the_next_person(organiser, site):
    add_registration(site.event)
    leaving = add_registration(site.event)
    waiting = add_registration(site.event, status="waitlisted")

    response = organiser.post(
        f"/organise/events/{site.event.slug}/registrants/{leaving.id}/cancel"
    )

    assert response.status_code == 303
    assert fresh(Registration, leaving.id).status == "cancelled"
    assert fresh(Registration, waiting.id).status == "confirmed"
    assert [m.registration_id for m in outbox("cancelled-by-organiser")] == [leaving.id]
    assert [m.registration_id for m in outbox("promoted")] == [waiting.id]
    assert audit_actions(site.event) == [
        "registration.cancelled_by_organiser",
        "registration.promoted",
    ]


def test_the_registrant_list_asks_before_cancelling_a_sign_up(organiser, site):
    person = add_registration(site.event, name="Ana Díaz")
    slug = site.event.slug

    html = organiser.get(f"/organise/events/{slug}/registrants").get_data(as_text=True)

    cancel_url = f"/organise/events/{slug}/registrants/{person.id}/cancel"
    assert f'href="{cancel_url}"' in html
    assert "Cancel this sign-up" in html
    assert f'action="{cancel_url}' not in html


def test_cancelling_for_someone_asks_first(organiser, site):
    person = add_registration(site.event, name="Ana Díaz")
    add_registration(site.event, status="waitlisted")

    html = organiser.get(
        f"/organise/events/{site.event.slug}/registrants/{person.id}/cancel"
    ).get_data(as_text=True)

    assert "Cancel the sign-up of Ana Díaz?" in html
    assert "Cancel this sign-up</button>" in html
    assert "the first person on the waiting list" in html
    assert fresh(Registration, person.id).status == "confirmed"


def test_the_confirmation_of_a_cancelled_sign_up_offers_no_button(organiser, site):
    person = add_registration(site.event, status="cancelled", name="Ana Díaz")

    html = organiser.get(
        f"/organise/events/{site.event.slug}/registrants/{person.id}/cancel"
    ).get_data(as_text=True)

    assert "already cancelled" in html
    assert "Cancel this sign-up</button>" not in html


def test_cancelling_twice_is_refused_the_second_time(organiser, site):
    person = add_registration(site.event, status="cancelled")

    response = organiser.post(
        f"/organise/events/{site.event.slug}/registrants/{person.id}/cancel",
        follow_redirects=True,
    )

    assert "already cancelled" in response.get_data(as_text=True)
    assert audit_actions(site.event) == []


def test_registrations_of_a_past_event_stay(organiser, site, make_event, now):
    event = make_event(
        community=site.home,
        starts_at=now - timedelta(days=1),
        ends_at=now - timedelta(days=1, hours=-2),
    )
    person = add_registration(event)

    organiser.post(f"/organise/events/{event.slug}/registrants/{person.id}/cancel")

    assert fresh(Registration, person.id).status == "confirmed"


# --- Erasing ---------------------------------------------------------------------


def test_erasing_asks_first(organiser, site):
    person = add_registration(site.event, name="Ana Díaz")

    html = organiser.get(
        f"/organise/events/{site.event.slug}/registrants/{person.id}/erase"
    ).get_data(as_text=True)

    assert "Erase Ana Díaz?" in html
    assert fresh(Registration, person.id).name == "Ana Díaz"


def test_erasing_removes_the_personal_data_everywhere_and_keeps_the_counts(
    organiser, app, site
):
    person = add_registration(
        site.event,
        name="Ana Díaz",
        email="ana@example.org",
        accessibility="Sign language",
        attended_at=site.event.starts_at,
    )
    token = issue_manage_token(person)
    db.session.add(
        OutboxMessage(
            kind="signup",
            recipient="ana@example.org",
            subject="You have a place",
            text_body="Dear Ana Díaz",
            registration_id=person.id,
        )
    )
    db.session.commit()
    taken = places_taken([site.event.id])[site.event.id]

    response = organiser.post(
        f"/organise/events/{site.event.slug}/registrants/{person.id}/erase"
    )

    assert response.status_code == 303
    erased = fresh(Registration, person.id)
    assert (erased.name, erased.email, erased.accessibility) == (None, None, None)
    assert erased.erased_at is not None
    assert (erased.status, erased.sector_slug, erased.language) == (
        "confirmed",
        "schools",
        "en",
    )
    assert erased.attended_at == site.event.starts_at
    assert places_taken([site.event.id])[site.event.id] == taken
    assert (
        db.session.scalars(
            select(ManageToken).where(ManageToken.registration_id == person.id)
        ).all()
        == []
    )
    assert outbox() == []
    assert app.test_client().get(f"/r/{token}").status_code == 404
    slug = site.event.slug
    for page in (
        f"/organise/events/{slug}/registrants",
        f"/organise/events/{slug}/registrants.csv",
        f"/organise/events/{slug}/audit",
        f"/organise/events/{slug}/check-in",
    ):
        text = organiser.get(page).get_data(as_text=True)
        assert "Ana" not in text and "ana@example.org" not in text
        assert "Sign language" not in text
    assert "erased registrant" in organiser.get(
        f"/organise/events/{slug}/audit"
    ).get_data(as_text=True)

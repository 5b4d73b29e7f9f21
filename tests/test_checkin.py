"""Checking people in at the door, and adding the ones who came without signing up."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from organise_support import add_registration, audit_actions, build_site, fresh, log_in
from sqlalchemy import select

from tfc_training.extensions import db
from tfc_training.organise.services import can_check_in, check_in_opens_at
from tfc_training.registration.models import Registration
from tfc_training.registration.services import places_taken

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def app_config(tmp_path):
    return {"MAIL_FOLDER": str(tmp_path / "mail")}


@pytest.fixture
def site(make_community, make_user, make_event, now):
    return build_site(make_community, make_user, make_event, now)


@pytest.fixture
def today(site, make_event, now):
    """An event of the home community that started an hour ago, with two places."""
    return make_event(
        slug="today",
        title="Today's workshop",
        community=site.home,
        capacity=2,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )


@pytest.fixture
def organiser(client, site):
    return log_in(client, site.organiser)


def check_in_url(event, registration, *, undo=False):
    url = f"/organise/events/{event.slug}/check-in/{registration.id}"
    return url + "/undo" if undo else url


def page(client, event, **args):
    return client.get(f"/organise/events/{event.slug}/check-in", query_string=args)


def line_of(html: str, name: str) -> str:
    """The markup of the one line of the check-in list that names ``name``."""
    lines = re.findall(
        r"<li\b.*?</li>", html.split('class="checkin-list"')[1], re.DOTALL
    )
    [found] = [line for line in lines if name in line]
    return found


def buttons(markup: str) -> list[tuple[str, str]]:
    """Each button as (the words on it, the words a screen reader hears)."""
    found = []
    for inner in re.findall(r"<button\b[^>]*>(.*?)</button>", markup, re.DOTALL):
        seen = re.sub(r'<span class="visually-hidden">.*?</span>', "", inner)
        found.append((_words(seen), _words(inner)))
    return found


def _words(markup: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", markup).split())


# --- The page --------------------------------------------------------------------


def test_the_page_lists_confirmed_people_only(organiser, today):
    for status in ("confirmed", "waitlisted", "pending", "cancelled", "rejected"):
        add_registration(today, status=status, name=f"Person {status}")

    html = page(organiser, today).get_data(as_text=True)

    assert "Person confirmed" in html
    for status in ("waitlisted", "pending", "cancelled", "rejected"):
        assert f"Person {status}" not in html


def test_the_page_shows_a_button_per_person_and_the_counts(organiser, today):
    add_registration(today, name="Ana Díaz", accessibility="Step-free access")
    add_registration(today, name="Bo Chen", attended_at=today.starts_at)

    html = page(organiser, today).get_data(as_text=True)

    assert html.count('class="big-button"') == 2  # one person and the walk-in form
    assert "Step-free access" in html
    assert '<span class="count">2</span> expected' in html
    assert '<span class="count">1</span> checked in' in html
    assert 'name="viewport"' in html


def test_the_button_of_someone_not_yet_here_says_check_in_with_their_name(
    organiser, today
):
    add_registration(today, name="Ana Díaz")

    line = line_of(page(organiser, today).get_data(as_text=True), "Ana Díaz")

    assert buttons(line) == [("Check in", "Check in Ana Díaz")]
    assert "Checked in" not in line


def test_someone_checked_in_shows_when_and_an_undo(organiser, today):
    arrived = today.starts_at + timedelta(minutes=5)
    add_registration(today, name="Bo Chen", attended_at=arrived)

    line = line_of(page(organiser, today).get_data(as_text=True), "Bo Chen")

    assert "Checked in" in line
    assert f'<time datetime="{arrived.isoformat()}">' in line
    assert buttons(line) == [("Undo", "Undo check-in of Bo Chen")]


def test_the_search_finds_names_whatever_their_case_and_accents(organiser, today):
    add_registration(today, name="Ana Díaz")
    add_registration(today, name="Bo Chen")

    html = page(organiser, today, q="DIAZ").get_data(as_text=True)

    assert "Ana Díaz" in html and "Bo Chen" not in html


def test_a_search_that_finds_nobody_says_so(organiser, today):
    add_registration(today, name="Ana Díaz")

    html = page(organiser, today, q="Zed").get_data(as_text=True)

    assert "Nobody with a confirmed place matches" in html


# --- Checking in -----------------------------------------------------------------


def test_checking_someone_in_records_when_and_by_whom(organiser, site, today):
    person = add_registration(today)

    response = organiser.post(check_in_url(today, person))

    assert response.status_code == 303
    checked = fresh(Registration, person.id)
    assert checked.attended_at is not None
    assert checked.checked_in_by_id == site.organiser.id
    assert audit_actions(today) == ["registration.checked_in"]


def test_checking_in_keeps_the_search(organiser, today):
    person = add_registration(today, name="Ana Díaz")

    response = organiser.post(check_in_url(today, person) + "?q=ana")

    assert response.headers["Location"].endswith(
        f"/organise/events/{today.slug}/check-in?q=ana"
    )


def test_checking_in_twice_changes_nothing_the_second_time(organiser, today):
    person = add_registration(today)
    organiser.post(check_in_url(today, person))
    first = fresh(Registration, person.id).attended_at

    organiser.post(check_in_url(today, person))

    assert fresh(Registration, person.id).attended_at == first
    assert audit_actions(today) == ["registration.checked_in"]


@pytest.mark.parametrize("status", ["waitlisted", "pending", "cancelled", "rejected"])
def test_only_confirmed_people_can_be_checked_in(organiser, today, status):
    person = add_registration(today, status=status)

    response = organiser.post(check_in_url(today, person), follow_redirects=True)

    assert "Only people with a confirmed place" in response.get_data(as_text=True)
    assert fresh(Registration, person.id).attended_at is None
    assert audit_actions(today) == []


def test_undoing_a_check_in(organiser, today):
    person = add_registration(today)
    organiser.post(check_in_url(today, person))

    response = organiser.post(check_in_url(today, person, undo=True))

    assert response.status_code == 303
    undone = fresh(Registration, person.id)
    assert (undone.attended_at, undone.checked_in_by_id) == (None, None)
    assert audit_actions(today) == [
        "registration.checked_in",
        "registration.check_in_undone",
    ]


def test_check_in_is_closed_before_the_day_of_the_event(organiser, site):
    person = add_registration(site.event)

    response = organiser.post(check_in_url(site.event, person), follow_redirects=True)

    assert "Check-in opens on the day of the event" in response.get_data(as_text=True)
    assert fresh(Registration, person.id).attended_at is None
    html = page(organiser, site.event).get_data(as_text=True)
    assert "Check-in opens on the day of the event" in html
    assert 'class="big-button"' not in html


def test_a_cancelled_event_has_no_check_in(organiser, site, make_event, now):
    event = make_event(
        community=site.home,
        status="cancelled",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    person = add_registration(event)

    organiser.post(check_in_url(event, person))

    assert fresh(Registration, person.id).attended_at is None


def test_attendance_can_be_entered_after_the_event(organiser, site, make_event, now):
    event = make_event(
        community=site.home,
        starts_at=now - timedelta(days=3),
        ends_at=now - timedelta(days=3, hours=-2),
    )
    person = add_registration(event)

    organiser.post(check_in_url(event, person))

    assert fresh(Registration, person.id).attended_at is not None


def test_check_in_opens_at_midnight_of_the_first_day_in_the_events_zone(make_event):
    start = datetime(2031, 5, 4, 18, 30, tzinfo=LOS_ANGELES)
    event = make_event(starts_at=start, ends_at=start + timedelta(hours=2))

    opens = check_in_opens_at(event)

    assert opens == datetime(2031, 5, 4, 0, 0, tzinfo=LOS_ANGELES)
    assert not can_check_in(event, now=opens - timedelta(seconds=1))
    assert can_check_in(event, now=opens)


# --- Walk-ins --------------------------------------------------------------------


def walk_in(client, event, **data):
    values = {"name": "", "sector": "first-responders", "language": "es", **data}
    return client.post(f"/organise/events/{event.slug}/walk-ins", data=values)


def test_a_walk_in_is_confirmed_and_checked_in(organiser, site, today):
    response = walk_in(organiser, today, name="Carla Ruiz")

    assert response.status_code == 303
    person = db.session.scalar(
        select(Registration).where(Registration.event_id == today.id)
    )
    assert (person.name, person.email, person.source) == ("Carla Ruiz", None, "walk-in")
    assert (person.status, person.sector_slug, person.language) == (
        "confirmed",
        "first-responders",
        "es",
    )
    assert person.attended_at is not None
    assert person.checked_in_by_id == site.organiser.id
    assert audit_actions(today) == ["registration.walk_in_added"]


def test_the_walk_ins_are_counted_in_words_that_agree(organiser, today):
    walk_in(organiser, today, name="Carla Ruiz")

    html = page(organiser, today).get_data(as_text=True)

    assert '<span class="count">1</span> walk-in<' in html
    walk_in(organiser, today, name="Dan Ruiz")
    html = page(organiser, today).get_data(as_text=True)
    assert '<span class="count">2</span> walk-ins<' in html


def test_a_walk_in_may_give_no_name(organiser, today):
    walk_in(organiser, today)

    person = db.session.scalar(select(Registration))
    assert person.name is None
    assert "walk-in without a name" in page(organiser, today).get_data(as_text=True)


def test_walk_ins_may_go_beyond_the_capacity(organiser, today):
    add_registration(today)
    add_registration(today)

    walk_in(organiser, today)

    statuses = db.session.scalars(select(Registration.status)).all()
    assert statuses == ["confirmed"] * 3


@pytest.mark.parametrize(
    "data, message",
    [
        ({"sector": "aliens"}, "Choose one of the options offered."),
        ({"language": "xx"}, "Choose one of the options offered."),
        ({"name": "x" * 121}, "at most 120"),
        ({"name": "\u200b"}, "at least one visible letter"),
        ({"name": "Carla \u202eziuR"}, "change the direction of the text"),
        ({"nonce": "not/one-we-gave"}, "This form is out of date"),
    ],
)
def test_a_bad_walk_in_is_refused_next_to_its_field(organiser, today, data, message):
    response = walk_in(organiser, today, **data)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Registration)) is None


def walk_in_nonce(client, event) -> str:
    """The one-time value of the walk-in form, as the check-in page gives it."""
    html = page(client, event).get_data(as_text=True)
    return re.search(r'name="nonce"[^>]*value="([^"]+)"', html).group(1)


def test_the_same_walk_in_form_sent_twice_adds_one_person(organiser, today):
    nonce = walk_in_nonce(organiser, today)

    first = walk_in(organiser, today, name="Carla Ruiz", nonce=nonce)
    second = walk_in(organiser, today, name="Carla Ruiz", nonce=nonce)

    assert (first.status_code, second.status_code) == (303, 303)
    assert db.session.scalars(select(Registration.name)).all() == ["Carla Ruiz"]
    assert audit_actions(today) == ["registration.walk_in_added"]
    assert "already added" in page(organiser, today).get_data(as_text=True)


def test_each_walk_in_form_adds_its_own_person(organiser, today):
    walk_in(organiser, today, nonce=walk_in_nonce(organiser, today))
    walk_in(organiser, today, nonce=walk_in_nonce(organiser, today))

    assert len(db.session.scalars(select(Registration)).all()) == 2


def test_undoing_a_walk_in_removes_it(organiser, today):
    walk_in(organiser, today, name="Carla Ruiz")
    person = db.session.scalar(select(Registration))

    response = organiser.post(check_in_url(today, person, undo=True))

    assert response.status_code == 303
    removed = fresh(Registration, person.id)
    assert (removed.status, removed.attended_at) == ("cancelled", None)
    assert places_taken([today.id])[today.id] == 0
    html = page(organiser, today).get_data(as_text=True)
    assert "Walk-in removed: Carla Ruiz." in html
    assert "Nobody has a confirmed place yet." in html
    assert '<span class="count">0</span> walk-ins' in html
    assert '<span class="count">0</span> checked in' in html
    assert audit_actions(today) == [
        "registration.walk_in_added",
        "registration.walk_in_removed",
    ]


def test_no_walk_ins_before_the_day(organiser, site):
    walk_in(organiser, site.event)

    assert db.session.scalar(select(Registration)) is None

"""The audit trail: an entry for every organiser action, read back with names looked
up when the trail is shown, and no personal data kept in the entries themselves."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from organise_support import add_registration, build_site, form_data, log_in
from sqlalchemy import select

from tfc_training.audit.models import AuditEntry
from tfc_training.audit.services import record, trail
from tfc_training.extensions import db
from tfc_training.registration.models import Registration
from tfc_training.registration.tokens import issue_manage_token


@pytest.fixture
def app_config(tmp_path):
    return {"MAIL_FOLDER": str(tmp_path / "mail")}


@pytest.fixture
def site(make_community, make_user, make_event, now):
    return build_site(make_community, make_user, make_event, now)


@pytest.fixture
def today(site, make_event, now):
    """A published event of the home community that is under way."""
    return make_event(
        slug="today",
        community=site.home,
        capacity=1,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )


@pytest.fixture
def organiser(client, site):
    return log_in(client, site.organiser)


def entries(event) -> list[AuditEntry]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.event_id == event.id)
            .order_by(AuditEntry.id)
        )
    )


# --- Writing ---------------------------------------------------------------------


def test_record_keeps_instants_as_text(app, site):
    moment = datetime(2031, 1, 2, 3, 4, tzinfo=UTC)

    entry = record(
        site.event, "event.rescheduled", actor=site.organiser, old_start=moment
    )
    db.session.commit()

    assert entry.details == {"old_start": "2031-01-02T03:04:00+00:00"}
    assert entry.actor_id == site.organiser.id


def test_record_refuses_an_unknown_action(app, site):
    with pytest.raises(ValueError):
        record(site.event, "event.teleported")


def edit(client, event, **changes):
    client.post(f"/organise/events/{event.slug}/edit", data=form_data(event, **changes))


def reschedule(client, site, today):
    old_start = site.event.starts_at
    later = site.event.local_start + timedelta(hours=1)
    edit(client, site.event, starts_at=later.strftime("%Y-%m-%dT%H:%M"))
    return site.event, {"old_start": old_start.isoformat()}


def move(client, site, today):
    edit(client, site.event, venue_name="Koreatown Library")
    return site.event, {
        "old_venue_name": "Community hall",
        "new_venue_name": "Koreatown Library",
    }


def describe(client, site, today):
    edit(client, site.event, description="More words", capacity="5")
    return site.event, {"fields": ["description", "capacity"], "capacity": [2, 5]}


def create(client, site, today):
    from tfc_training.events.models import Event

    client.post(
        "/organise/events/new",
        data=form_data(site.draft, slug="brand-new", title="Brand new"),
    )
    return db.session.scalar(select(Event).where(Event.slug == "brand-new")), {}


def publish(client, site, today):
    client.post(f"/organise/events/{site.draft.slug}/publish")
    return site.draft, {}


def cancel_event(client, site, today):
    client.post(f"/organise/events/{site.event.slug}/cancel")
    return site.event, {}


def approve(client, site, today):
    person = add_registration(site.event, status="pending")
    client.post(f"/organise/events/{site.event.slug}/registrants/{person.id}/approve")
    return site.event, {"status": "confirmed"}


def reject(client, site, today):
    person = add_registration(site.event, status="pending")
    client.post(f"/organise/events/{site.event.slug}/registrants/{person.id}/reject")
    return site.event, {}


def cancel_registration(client, site, today):
    person = add_registration(site.event, status="waitlisted")
    client.post(f"/organise/events/{site.event.slug}/registrants/{person.id}/cancel")
    return site.event, {"previous_status": "waitlisted"}


def erase(client, site, today):
    person = add_registration(site.event)
    client.post(f"/organise/events/{site.event.slug}/registrants/{person.id}/erase")
    return site.event, {}


def check_in(client, site, today):
    person = add_registration(today)
    client.post(f"/organise/events/{today.slug}/check-in/{person.id}")
    return today, {}


def undo_check_in(client, site, today):
    person = add_registration(today, attended_at=today.starts_at)
    client.post(f"/organise/events/{today.slug}/check-in/{person.id}/undo")
    return today, {}


def walk_in(client, site, today):
    client.post(
        f"/organise/events/{today.slug}/walk-ins",
        data={"name": "Carla", "sector": "media", "language": "en"},
    )
    return today, {"sector": "media"}


@pytest.mark.parametrize(
    "action, expected",
    [
        (create, "event.created"),
        (reschedule, "event.rescheduled"),
        (move, "event.moved"),
        (describe, "event.updated"),
        (publish, "event.published"),
        (cancel_event, "event.cancelled"),
        (approve, "registration.approved"),
        (reject, "registration.rejected"),
        (cancel_registration, "registration.cancelled_by_organiser"),
        (erase, "registration.erased"),
        (check_in, "registration.checked_in"),
        (undo_check_in, "registration.check_in_undone"),
        (walk_in, "registration.walk_in_added"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_each_organiser_action_leaves_an_entry_with_its_author(
    organiser, site, today, action, expected
):
    event, details = action(organiser, site, today)

    [entry] = entries(event)
    assert entry.action == expected
    assert entry.actor_id == site.organiser.id
    assert details.items() <= entry.details.items()


def test_entries_hold_no_personal_data(organiser, site, today):
    name, email, needs = "Ana Díaz", "ana@example.org", "Quiet room"
    for event in (site.event, today):
        person = add_registration(
            event, status="pending", name=name, email=email, accessibility=needs
        )
        slug = event.slug
        organiser.post(f"/organise/events/{slug}/registrants/{person.id}/approve")
        organiser.post(f"/organise/events/{slug}/check-in/{person.id}")
        organiser.post(f"/organise/events/{slug}/check-in/{person.id}/undo")
        organiser.post(f"/organise/events/{slug}/registrants/{person.id}/cancel")
    organiser.post(
        f"/organise/events/{today.slug}/walk-ins",
        data={"name": "Carla Ruiz", "sector": "media", "language": "en"},
    )

    written = json.dumps([e.details for e in entries(site.event) + entries(today)])
    for secret in (name, email, needs, "Carla Ruiz"):
        assert secret not in written


# --- Reading ---------------------------------------------------------------------


def test_the_trail_names_people_when_it_is_shown(organiser, site):
    person = add_registration(site.event, status="pending", name="Ana Díaz")
    organiser.post(
        f"/organise/events/{site.event.slug}/registrants/{person.id}/approve"
    )

    html = organiser.get(f"/organise/events/{site.event.slug}/audit").get_data(
        as_text=True
    )

    assert "Sign-up approved" in html
    assert "Ana Díaz" in html
    assert "Olivia Organiser" in html
    assert "Now: confirmed." in html


def test_the_trail_says_erased_registrant_once_erased(organiser, site):
    person = add_registration(site.event, status="pending", name="Ana Díaz")
    for action in ("reject", "erase"):
        organiser.post(
            f"/organise/events/{site.event.slug}/registrants/{person.id}/{action}",
            follow_redirects=True,
        )

    lines = trail(site.event)

    assert [line.registrant for line in lines] == [
        "erased registrant",
        "erased registrant",
    ]
    html = organiser.get(f"/organise/events/{site.event.slug}/audit").get_data(
        as_text=True
    )
    assert "Ana Díaz" not in html


def test_the_trail_shows_a_reschedule_in_the_events_zone(organiser, site):
    later = site.event.local_start + timedelta(hours=1)
    edit(organiser, site.event, starts_at=later.strftime("%Y-%m-%dT%H:%M"))

    [line] = trail(site.event)

    assert line.action == "Event rescheduled"
    assert later.strftime("%-I:%M") in line.summary
    assert "PST" in line.summary or "PDT" in line.summary


def test_the_trail_shows_the_days_of_an_all_day_event(organiser, site, make_event):
    start = datetime(2031, 5, 3, tzinfo=ZoneInfo("America/Los_Angeles"))
    event = make_event(
        community=site.home,
        all_day=True,
        starts_at=start,
        ends_at=start + timedelta(days=1),
    )
    edit(organiser, event, start_date="2031-05-10", end_date="2031-05-10")

    [line] = trail(event)

    assert line.summary == "From Saturday, May 3, 2031 to Saturday, May 10, 2031."


def test_a_promotion_after_a_registrant_cancels_is_on_the_trail(
    app, organiser, site, make_event
):
    event = make_event(community=site.home, capacity=1, requires_approval=True)
    first = add_registration(event, status="pending", name="Ana Díaz")
    second = add_registration(event, status="pending", name="Bo Chen")
    for person in (first, second):
        organiser.post(f"/organise/events/{event.slug}/registrants/{person.id}/approve")
    db.session.rollback()
    token = issue_manage_token(db.session.get(Registration, first.id))
    db.session.commit()

    app.test_client().post(f"/r/{token}/cancel")

    lines = [(line.action, line.registrant, line.summary) for line in trail(event)]
    assert lines[::-1] == [
        ("Sign-up approved", "Ana Díaz", "Now: confirmed."),
        ("Sign-up approved", "Bo Chen", "Now: waiting list."),
        ("Confirmed from the waiting list", "Bo Chen", "Now: confirmed."),
    ]
    promotion = entries(event)[-1]
    assert (promotion.actor_id, promotion.registration_id) == (None, second.id)
    assert promotion.details == {"status": "confirmed"}


def test_the_trail_is_newest_first(organiser, site):
    edit(organiser, site.event, description="One")
    edit(organiser, site.event, venue_name="Two")

    assert [line.action for line in trail(site.event)] == [
        "Place changed",
        "Event details changed",
    ]


def test_another_communitys_organiser_cannot_read_the_trail(client, site):
    log_in(client, site.other_organiser)

    assert client.get(f"/organise/events/{site.event.slug}/audit").status_code == 403

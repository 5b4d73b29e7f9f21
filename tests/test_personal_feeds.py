"""Personal calendar feeds: an account's own events, and one registrant's event."""

import secrets
from datetime import timedelta

import icalendar
import pytest
from sql_support import count_queries

from tfc_training.calendar.personal import registration_feed_token, reset_feed_token
from tfc_training.extensions import db
from tfc_training.registration.models import ManageToken, Registration
from tfc_training.registration.services import cancel
from tfc_training.registration.tokens import hash_token

#: Names and addresses of people other than the feed's reader; none may ever show.
STRANGERS = [
    ("Rosa Stranger", "rosa.stranger@example.net"),
    ("Kim Outsider", "kim.outsider@example.net"),
]


@pytest.fixture
def world(make_community, make_event, now):
    """Two communities, each with events of every status, and one network event."""
    harbor = make_community(slug="harbor", name="Harbor TFC")
    valley = make_community(slug="valley", name="Valley TFC")
    events = {
        "harbor-meeting": make_event(slug="harbor-meeting", community=harbor),
        "harbor-cancelled": make_event(
            slug="harbor-cancelled", community=harbor, status="cancelled"
        ),
        "harbor-draft": make_event(
            slug="harbor-draft", community=harbor, status="draft"
        ),
        "harbor-long-ago": make_event(
            slug="harbor-long-ago",
            community=harbor,
            starts_at=now - timedelta(days=90),
        ),
        "valley-meeting": make_event(slug="valley-meeting", community=valley),
        "valley-training": make_event(slug="valley-training", community=valley),
        "valley-workshop": make_event(slug="valley-workshop", community=valley),
        "network-summit": make_event(slug="network-summit", community=None),
    }
    for event in events.values():
        for name, email in STRANGERS:
            register(event, email, name=name)
    db.session.commit()
    return {"harbor": harbor, "valley": valley, **events}


def register(event, email, *, name="Someone", status="confirmed"):
    """Add a registration with a manage link and return the link's secret."""
    token = secrets.token_urlsafe(16)
    registration = Registration(
        event=event,
        name=name,
        email=email,
        language="en",
        status=status,
        consented_at=event.created_at,
        cancelled_at=event.created_at if status == "cancelled" else None,
    )
    db.session.add(registration)
    db.session.add(ManageToken(registration=registration, token_hash=hash_token(token)))
    db.session.flush()
    return token


def registrant_address(manage_token: str) -> str:
    return f"/r/{registration_feed_token(manage_token)}/calendar.ics"


def feed_address(user) -> str:
    token = reset_feed_token(user)
    db.session.commit()
    return f"/feeds/{token}.ics"


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)
    return icalendar.Calendar.from_ical(response.data)


def slugs_in(response) -> set[str]:
    """The events in a feed, named by their slugs."""
    return {
        str(component["URL"]).rstrip("/").rsplit("/", 1)[1]
        for component in parse(response).walk("VEVENT")
    }


def the_event(response):
    (component,) = parse(response).walk("VEVENT")
    return component


# An account's feed


def test_learner_sees_what_they_signed_up_for(client, world, make_user):
    learner = make_user(email="learner@example.org", member_of=[world["harbor"]])
    register(world["valley-meeting"], learner.email)
    register(world["valley-training"], learner.email, status="waitlisted")
    register(world["network-summit"], learner.email, status="pending")
    register(world["valley-workshop"], learner.email, status="cancelled")
    db.session.commit()

    response = client.get(feed_address(learner))

    assert slugs_in(response) == {"valley-meeting", "valley-training", "network-summit"}


def test_rejected_request_leaves_the_feed(client, world, make_user):
    learner = make_user()
    register(world["valley-meeting"], learner.email, status="rejected")
    db.session.commit()

    assert slugs_in(client.get(feed_address(learner))) == set()


def test_organiser_sees_their_communities_events(client, world, make_user):
    organiser = make_user(organises=[world["harbor"]])
    register(world["valley-meeting"], organiser.email)
    db.session.commit()

    response = client.get(feed_address(organiser))

    assert slugs_in(response) == {
        "harbor-meeting",
        "harbor-cancelled",
        "valley-meeting",
    }


def test_cancelled_event_is_marked_cancelled(client, world, make_user):
    organiser = make_user(organises=[world["harbor"]])

    components = parse(client.get(feed_address(organiser))).walk("VEVENT")

    statuses = {str(c["SUMMARY"]): str(c["STATUS"]) for c in components}
    assert statuses == {
        world["harbor-meeting"].title: "CONFIRMED",
        world["harbor-cancelled"].title: "CANCELLED",
    }


def test_admin_sees_network_events_but_not_every_community(client, world, make_user):
    admin = make_user(is_admin=True)
    register(world["harbor-meeting"], admin.email)
    db.session.commit()

    response = client.get(feed_address(admin))

    assert slugs_in(response) == {"harbor-meeting", "network-summit"}


def test_registration_under_another_address_is_not_the_accounts(
    client, world, make_user
):
    learner = make_user(email="learner@example.org")
    register(world["valley-meeting"], "learner@example.org.evil")
    register(world["valley-training"], "other-learner@example.org")
    db.session.commit()

    assert slugs_in(client.get(feed_address(learner))) == set()


def test_calendar_name_does_not_name_the_person(client, world, make_user):
    learner = make_user(name="Dana Private")

    response = client.get(feed_address(learner))

    assert str(parse(response)["X-WR-CALNAME"]).startswith("My events")
    assert b"Dana Private" not in response.data


def test_reset_breaks_the_old_address_at_once(client, world, make_user):
    learner = make_user()
    old = feed_address(learner)
    assert client.get(old).status_code == 200

    new = feed_address(learner)

    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_reset_stores_only_a_digest(app, make_user):
    learner = make_user()

    token = reset_feed_token(learner)

    assert learner.feed_token_hash == hash_token(token)
    assert token not in learner.feed_token_hash


@pytest.mark.parametrize("token", ["unknown", "a" * 43, "-"])
def test_unknown_address_is_404(client, world, token):
    response = client.get(f"/feeds/{token}.ics")

    assert response.status_code == 404
    assert response.mimetype == "text/plain"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_disabled_account_loses_its_feed(client, world, make_user, now):
    learner = make_user()
    address = feed_address(learner)

    learner.disabled_at = learner.sessions_ended_at = now
    db.session.commit()

    assert client.get(address).status_code == 404


def test_change_to_an_event_reaches_the_feed(client, world, make_user, now):
    organiser = make_user(organises=[world["harbor"]])
    address = feed_address(organiser)
    before = client.get(address)

    event = world["harbor-meeting"]
    event.title = "Harbor meeting, new room"
    event.sequence += 1
    event.updated_at = now + timedelta(minutes=1)
    db.session.commit()
    after = client.get(address, headers={"If-None-Match": before.headers["ETag"]})

    summaries = {str(c["SUMMARY"]) for c in parse(after).walk("VEVENT")}
    assert "Harbor meeting, new room" in summaries


def test_feed_takes_a_fixed_number_of_queries(client, world, make_user, make_event):
    organiser = make_user(organises=[world["harbor"]])
    address = feed_address(organiser)
    db.session.expire_all()
    few = count_queries(lambda: client.get(address))

    for number in range(5):
        event = make_event(
            slug=f"more-{number}", community=world["valley"], sectors=("media",)
        )
        register(event, organiser.email)
        make_event(slug=f"harbor-more-{number}", community=world["harbor"])
    db.session.commit()
    db.session.expire_all()
    many = count_queries(lambda: client.get(address))

    assert len(slugs_in(client.get(address))) == 12
    assert many == few


# A registrant's feed


def test_registrant_feed_holds_their_one_event(client, world):
    token = register(world["valley-meeting"], "guest@example.org")
    db.session.commit()

    component = the_event(client.get(registrant_address(token)))

    assert component["SUMMARY"] == world["valley-meeting"].title
    assert component["STATUS"] == "CONFIRMED"
    assert component["UID"] == f"event-{world['valley-meeting'].id}@tfc.test"


@pytest.mark.parametrize("status", ["waitlisted", "pending"])
def test_waiting_registrant_keeps_the_event(client, world, status):
    token = register(world["valley-meeting"], "guest@example.org", status=status)
    db.session.commit()

    component = the_event(client.get(registrant_address(token)))

    assert component["STATUS"] == "CONFIRMED"


def test_cancelled_registration_marks_the_event_cancelled(client, world, now):
    event = world["valley-meeting"]
    token = register(event, "guest@example.org")
    db.session.commit()
    address = registrant_address(token)
    before = client.get(address)

    registration = db.session.scalar(
        db.select(Registration).where(Registration.email == "guest@example.org")
    )
    cancel(registration, now=now)
    db.session.commit()
    after = client.get(address, headers={"If-None-Match": before.headers["ETag"]})

    component = the_event(after)
    assert component["STATUS"] == "CANCELLED"
    assert component["SEQUENCE"] == event.sequence + 1
    assert component["DTSTAMP"].dt >= the_event(before)["DTSTAMP"].dt
    assert "no longer signed up" in str(component["DESCRIPTION"])
    assert after.headers["ETag"] != before.headers["ETag"]


def test_rejected_registration_marks_the_event_cancelled(client, world):
    token = register(world["valley-meeting"], "guest@example.org", status="rejected")
    db.session.commit()

    component = the_event(client.get(registrant_address(token)))

    assert component["STATUS"] == "CANCELLED"


def test_cancelled_event_reaches_the_registrant(client, world):
    token = register(world["harbor-cancelled"], "guest@example.org")
    db.session.commit()

    component = the_event(client.get(registrant_address(token)))

    assert component["STATUS"] == "CANCELLED"
    assert "This event has been cancelled." in str(component["DESCRIPTION"])


def test_registrant_feed_of_a_draft_is_404(client, world):
    token = register(world["harbor-draft"], "guest@example.org")
    db.session.commit()

    assert client.get(registrant_address(token)).status_code == 404


def test_unknown_registrant_address_is_404(client, world):
    response = client.get("/r/not-a-token/calendar.ics")

    assert response.status_code == 404
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_feed_address_cannot_manage_the_sign_up(client, world):
    token = register(world["valley-meeting"], "guest@example.org")
    db.session.commit()
    feed_token = registration_feed_token(token)

    assert token not in registrant_address(token)
    assert client.get(f"/r/{feed_token}").status_code == 404
    assert client.post(f"/r/{feed_token}/cancel").status_code == 404
    assert client.get(f"/r/{token}/calendar.ics").status_code == 404


def test_manage_page_offers_the_feed(client, world):
    token = register(world["valley-meeting"], "guest@example.org")
    db.session.commit()

    page = client.get(f"/r/{token}").get_data(as_text=True)

    assert registrant_address(token) in page
    assert "webcal://" in page


def test_registrant_feed_takes_a_fixed_number_of_queries(client, world):
    token = register(world["valley-meeting"], "guest@example.org")
    db.session.commit()
    db.session.expire_all()
    one = count_queries(lambda: client.get(registrant_address(token)))

    other = register(world["network-summit"], "guest@example.org")
    db.session.commit()
    db.session.expire_all()

    assert count_queries(lambda: client.get(registrant_address(other))) == one


# Rules shared by both kinds of personal feed


@pytest.fixture
def personal_addresses(world, make_user):
    """One address of each kind, for someone who is signed up for three events."""
    organiser = make_user(
        name="Dana Reader", email="dana.reader@example.org", organises=[world["harbor"]]
    )
    token = register(world["valley-meeting"], organiser.email, name="Dana Reader")
    register(world["valley-training"], organiser.email, name="Dana Reader")
    db.session.commit()
    return [feed_address(organiser), registrant_address(token)]


@pytest.mark.parametrize("kind", [0, 1], ids=["account", "registrant"])
def test_served_as_a_private_calendar(client, personal_addresses, kind):
    response = client.get(personal_addresses[kind])

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.cache_control.private
    assert not response.cache_control.public
    assert response.cache_control.must_revalidate
    assert 0 < response.cache_control.max_age <= 3600
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "METHOD" not in parse(response)


@pytest.mark.parametrize("kind", [0, 1], ids=["account", "registrant"])
def test_if_none_match_answers_304(client, personal_addresses, kind):
    address = personal_addresses[kind]
    first = client.get(address)
    etag, weak = first.get_etag()
    assert not weak and etag

    response = client.get(address, headers={"If-None-Match": first.headers["ETag"]})

    assert response.status_code == 304
    assert response.data == b""
    assert response.cache_control.private
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("kind", [0, 1], ids=["account", "registrant"])
def test_same_data_gives_the_same_bytes(client, personal_addresses, kind):
    first = client.get(personal_addresses[kind])
    second = client.get(personal_addresses[kind])

    assert first.data == second.data


@pytest.mark.parametrize("kind", [0, 1], ids=["account", "registrant"])
def test_feed_holds_nobodys_personal_data(client, personal_addresses, kind):
    body = client.get(personal_addresses[kind]).data.decode()
    unfolded = body.replace("\r\n ", "").lower()

    assert "BEGIN:VEVENT" in body
    for name, email in [*STRANGERS, ("Dana Reader", "dana.reader@example.org")]:
        assert name.lower() not in unfolded
        assert email not in unfolded
        assert email.split("@")[0] not in unfolded

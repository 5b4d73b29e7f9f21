"""ETag and Last-Modified of the feeds: read with one query, and never going back."""

from datetime import timedelta

import pytest
from sql_support import count_queries

from tfc_training.calendar import views
from tfc_training.calendar.models import FeedState
from tfc_training.calendar.personal import registration_feed_token, reset_feed_token
from tfc_training.calendar.state import RESTORE_LEAP
from tfc_training.database import utcnow
from tfc_training.extensions import db
from tfc_training.organise.services import cancel_event, delete_draft, publish_event
from tfc_training.registration.models import ManageToken, Registration
from tfc_training.registration.tokens import hash_token


@pytest.fixture
def feeds(make_community, make_event, make_user, now):
    """An address of every kind of feed, each holding at least one event."""
    harbor = make_community(slug="harbor", name="Harbor TFC")
    meeting = make_event(slug="meeting", community=harbor, languages=("es",))
    make_event(slug="summit", community=None)

    organiser = make_user(organises=[harbor])
    token = reset_feed_token(organiser)
    registration = Registration(
        event=meeting,
        name="Someone",
        email="guest@example.org",
        language="en",
        status="confirmed",
        consented_at=now,
    )
    manage_token = "a-manage-secret"
    db.session.add(registration)
    db.session.add(
        ManageToken(registration=registration, token_hash=hash_token(manage_token))
    )
    db.session.commit()
    return {
        "site": "/calendar.ics",
        "filtered": "/calendar.ics?community=harbor&language=es",
        "community": "/communities/harbor/calendar.ics",
        "event": "/events/meeting.ics",
        "account": f"/feeds/{token}.ics",
        "registrant": f"/r/{registration_feed_token(manage_token)}/calendar.ics",
    }


KINDS = ["site", "filtered", "community", "event", "account", "registrant"]

#: Statements a 304 may cost: the state query, and the lookup of the community or
#: the secret of the address; on SQLite also the BEGIN of the read transaction.
QUERIES_FOR_304 = {
    "site": 1,
    "filtered": 2,
    "community": 2,
    "event": 1,
    "account": 2,
    "registrant": 2,
}


def version():
    return db.session.get(FeedState, 1, populate_existing=True).version


@pytest.mark.parametrize("kind", KINDS)
def test_304_is_answered_from_the_state_query_alone(client, feeds, kind, monkeypatch):
    etag = client.get(feeds[kind]).headers["ETag"]
    db.session.expire_all()

    def refuse(*args, **kwargs):
        raise AssertionError("a 304 must not build the feed")

    monkeypatch.setattr(views, "build_calendar", refuse)
    responses = []
    queries = count_queries(
        lambda: responses.append(
            client.get(feeds[kind], headers={"If-None-Match": etag})
        )
    )

    assert responses[0].status_code == 304
    assert responses[0].headers["ETag"] == etag
    begin = 1 if db.engine.dialect.name == "sqlite" else 0
    assert queries <= QUERIES_FOR_304[kind] + begin


@pytest.mark.parametrize("kind", KINDS)
def test_304_carries_the_same_caching_rules_as_the_feed(client, feeds, kind):
    first = client.get(feeds[kind])

    again = client.get(feeds[kind], headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert again.headers["Vary"] == first.headers["Vary"]


@pytest.mark.parametrize("kind", KINDS)
def test_if_modified_since_alone_gets_the_whole_feed(client, feeds, kind):
    """Only the ETag decides a 304, as the README says."""
    first = client.get(feeds[kind])

    again = client.get(
        feeds[kind], headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )

    assert again.status_code == 200
    assert again.data == first.data


@pytest.mark.parametrize("kind", KINDS)
def test_a_change_to_the_event_gives_a_new_etag(client, feeds, kind):
    before = client.get(feeds[kind])
    meeting = db.session.scalar(db.select(views.Event).filter_by(slug="meeting"))
    meeting.title = "Harbor meeting, new room"
    db.session.commit()

    after = client.get(feeds[kind], headers={"If-None-Match": before.headers["ETag"]})

    assert after.status_code == 200
    assert b"new room" in after.data
    assert after.last_modified >= before.last_modified


def test_the_address_and_language_are_part_of_the_etag(client, feeds):
    plain = client.get("/calendar.ics").headers["ETag"]

    assert client.get("/calendar.ics?type=awareness").headers["ETag"] != plain
    assert (
        client.get("/calendar.ics", base_url="https://other.test").headers["ETag"]
        != plain
    )


def removals():
    """Ways an event leaves the feeds that leave no row with a newer change time."""

    def delete(event):
        db.session.delete(event)

    def unpublish(event):
        event.status = "draft"

    return {"deleted": delete, "unpublished": unpublish}


@pytest.mark.parametrize("how", ["deleted", "unpublished"])
def test_last_modified_never_goes_back_when_an_event_leaves(
    client, make_event, now, how
):
    make_event(slug="older")
    leaving = make_event(slug="leaving")
    leaving.updated_at = now + timedelta(minutes=5)
    db.session.commit()
    before = client.get("/calendar.ics")

    removals()[how](leaving)
    db.session.commit()
    after = client.get("/calendar.ics")

    assert b"leaving" not in after.data
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.last_modified >= before.last_modified


def test_an_event_ageing_out_moves_etag_and_last_modified(
    client, make_event, now, monkeypatch
):
    make_event(slug="ageing", starts_at=now - timedelta(days=29))
    before = client.get("/calendar.ics")
    assert b"ageing" in before.data

    later = utcnow() + timedelta(days=3)
    monkeypatch.setattr(views, "utcnow", lambda: later)
    after = client.get("/calendar.ics")

    assert b"ageing" not in after.data
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.last_modified > before.last_modified
    assert after.last_modified <= later


def test_organiser_actions_raise_the_version(app, make_event, make_user, now):
    admin = make_user(is_admin=True)
    draft = make_event(slug="draft", status="draft")
    other = make_event(slug="other", status="draft")
    steps = [
        lambda: publish_event(draft, actor=admin, now=now),
        lambda: cancel_event(draft, actor=admin, now=now),
        lambda: delete_draft(other, actor=admin),
    ]

    for step in steps:
        start = version()
        step()
        db.session.commit()
        assert version() == start + 1


def test_a_rolled_back_change_leaves_the_version(app, make_event):
    event = make_event()
    start = version()

    event.title = "Never saved"
    db.session.flush()
    db.session.rollback()
    db.session.commit()

    assert version() == start


def test_a_sign_up_leaves_the_version_alone(app, make_event, now):
    """Sign-ups are frequent; they show only in personal feeds, which read them."""
    event = make_event()
    start = version()

    db.session.add(
        Registration(
            event=event,
            name="Someone",
            email="someone@example.org",
            language="en",
            status="confirmed",
            consented_at=now,
        )
    )
    db.session.commit()

    assert version() == start


def test_the_state_row_comes_back_if_it_is_missing(app, make_event):
    db.session.execute(db.delete(FeedState))
    db.session.commit()

    make_event()

    # From a random point far from nought, as the migrations start a new database.
    assert version() >= 4 * RESTORE_LEAP

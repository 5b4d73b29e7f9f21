"""Public pages and feed answers kept in each worker under the shared data version.

The tests run against the local Redis, each under a key prefix of its own. Two apps
built on one database stand for two workers: each keeps its own pages, and both
read the one version in Redis.
"""

import logging
import socket
import time
from datetime import timedelta

import pytest
from flask import request_started
from learning_support import add_module, quiz_form, right_choices
from organise_support import add_registration
from redis_support import REDIS_URL
from sql_support import count_queries
from sqlalchemy import create_engine, inspect, select, text

from tfc_training.accounts.models import User
from tfc_training.accounts.tokens import make_token
from tfc_training.caching import pages, versions
from tfc_training.calendar import state
from tfc_training.events.models import Event
from tfc_training.extensions import db
from tfc_training.indicators import survey
from tfc_training.learning.models import Certificate
from tfc_training.registration.models import Registration


@pytest.fixture(autouse=True)
def always_recheck(monkeypatch):
    """Ask Redis on every request, as if each came more than a second apart."""
    monkeypatch.setattr(versions, "RECHECK_SECONDS", 0)


@pytest.fixture
def app_config(redis_prefix, tmp_path):
    return {
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": redis_prefix,
        "MAIL_FOLDER": str(tmp_path / "mail"),
    }


@pytest.fixture
def second_worker(app, app_for, database_uri, app_config):
    """Another app on the same database and Redis, as a second worker would be.

    Rows of the first app's session must not be touched inside the second's
    context: that would open a transaction in the first, and its next request would
    read from that older snapshot.
    """
    other = app_for(database_uri, **app_config)
    yield other
    with other.app_context():
        db.engine.dispose()


def public_addresses(event):
    community = event.community
    return [
        "/",
        "/events/",
        f"/events/{event.slug}/",
        "/communities/",
        f"/communities/{community.slug}/",
    ]


def get(app, address, **headers):
    response = app.test_client().get(address, headers=headers)
    assert response.status_code == 200, address
    return response.get_data(as_text=True)


def write_behind_the_sessions_back(database_uri, statement, **parameters):
    """Change the data without any session noticing, as a lost raise would leave it."""
    engine = create_engine(database_uri)
    with engine.begin() as connection:
        connection.execute(text(statement), parameters)
    engine.dispose()


def sign_up_ana(client, event):
    """Sign Ana up for ``event`` through the form, as a visitor would."""
    return client.post(
        f"/events/{event.slug}/register",
        data={
            "name": "Ana",
            "email": "ana@example.org",
            "language": "en",
            "consent": "y",
        },
    )


@pytest.fixture
def community_event(make_community, make_event):
    community = make_community(name="Harbor Gateway")
    return make_event(title="Know the signs", community=community, capacity=3)


def test_each_public_page_is_rendered_once_per_version(app, community_event):
    for address in public_addresses(community_event):
        first = get(app, address)
        assert count_queries(lambda a=address: get(app, a)) == 0, address
        assert get(app, address) == first


def test_a_sign_up_shows_on_the_page_at_once(app, community_event):
    address = f"/events/{community_event.slug}/"
    assert "3 places left" in get(app, address)

    response = sign_up_ana(app.test_client(), community_event)
    assert response.status_code == 200

    assert "2 places left" in get(app, address)


def test_a_change_made_by_another_worker_is_seen(app, second_worker, community_event):
    address = f"/events/{community_event.slug}/"
    event_id = community_event.id
    assert "Know the signs" in get(app, address)

    with second_worker.app_context():
        event = db.session.get(Event, event_id)
        event.title = "Spotting exploitation"
        db.session.commit()

    assert "Spotting exploitation" in get(app, address)


def test_another_workers_change_shows_within_the_recheck_time(
    app, second_worker, community_event, monkeypatch
):
    # The clock goes on from the real one: the fixtures' writes were seen by it.
    clock = [time.monotonic() + 10]
    monkeypatch.setattr(versions, "_clock", lambda: clock[0])
    monkeypatch.setattr(versions, "RECHECK_SECONDS", 1.0)
    address = f"/events/{community_event.slug}/"
    event_id = community_event.id
    assert "Know the signs" in get(app, address)

    with second_worker.app_context():
        db.session.get(Event, event_id).title = "Spotting exploitation"
        db.session.commit()

    clock[0] += 0.5
    assert count_queries(lambda: get(app, address)) == 0
    assert "Know the signs" in get(app, address)
    clock[0] += 0.6
    assert "Spotting exploitation" in get(app, address)


def test_a_workers_own_change_shows_at_once(app, community_event, monkeypatch):
    stopped = time.monotonic() + 10
    monkeypatch.setattr(versions, "_clock", lambda: stopped)
    monkeypatch.setattr(versions, "RECHECK_SECONDS", 1.0)
    address = f"/events/{community_event.slug}/"
    event_id = community_event.id
    assert "Know the signs" in get(app, address)

    db.session.get(Event, event_id).title = "Spotting exploitation"
    db.session.commit()
    assert "Spotting exploitation" in get(app, address)


def test_logged_in_people_never_get_a_kept_page(app, community_event, make_user, login):
    organiser = make_user(organises=[community_event.community])
    address = f"/events/{community_event.slug}/"
    assert "Log out" not in get(app, address)

    client = app.test_client()
    login(client, organiser)
    assert "Log out" in client.get(address).get_data(as_text=True)
    assert "Log out" not in get(app, address)


def test_a_message_waiting_for_the_visitor_is_not_kept(app, community_event):
    address = f"/events/{community_event.slug}/"
    get(app, address)

    client = app.test_client()
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Your sign-up is cancelled.")]
    assert "Your sign-up is cancelled." in client.get(address).get_data(as_text=True)
    assert "Your sign-up is cancelled." not in get(app, address)


def test_the_address_is_part_of_the_key(app, community_event, make_event):
    make_event(title="Training for hotel staff", type="stakeholder-training")
    everything = get(app, "/events/")
    trainings = get(app, "/events/?type=stakeholder-training")
    assert "Know the signs" in everything
    assert "Know the signs" not in trainings
    assert "Training for hotel staff" in trainings


def test_a_lost_raise_lasts_a_minute_at_most(
    app, community_event, database_uri, monkeypatch
):
    address = f"/events/{community_event.slug}/"
    minute = 1_000_000
    monkeypatch.setattr(pages, "_minute", lambda: minute)
    assert "Know the signs" in get(app, address)

    write_behind_the_sessions_back(
        database_uri,
        "UPDATE event SET title = :title WHERE id = :id",
        title="Renamed in secret",
        id=community_event.id,
    )
    assert "Know the signs" in get(app, address)

    monkeypatch.setattr(pages, "_minute", lambda: minute + 1)
    assert "Renamed in secret" in get(app, address)


def test_without_a_reachable_redis_every_request_asks_the_database(
    app_for, database_uri, community_event, caplog
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    unreachable = app_for(database_uri, REDIS_URL=f"redis://127.0.0.1:{closed_port}/0")

    logger = "tfc_training.caching.versions"
    with caplog.at_level(logging.WARNING, logger=logger), unreachable.app_context():
        for _ in range(3):
            assert count_queries(lambda: get(unreachable, "/events/")) > 0
        db.engine.dispose()
    warnings = [r for r in caplog.records if r.name == "tfc_training.caching.versions"]
    assert len(warnings) <= 1


def test_a_version_lost_by_redis_starts_again_far_from_one(app, redis_prefix):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    key = f"{redis_prefix}:data-version"
    client.delete(key)
    with app.test_request_context():
        versions.raise_version()
    assert int(client.get(key)) > 1000
    client.close()


def test_a_redis_that_lost_the_version_starts_a_new_one(
    app, community_event, redis_prefix
):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    key = f"{redis_prefix}:data-version"
    address = f"/events/{community_event.slug}/"
    get(app, address)
    client.delete(key)

    get(app, address)
    assert count_queries(lambda: get(app, address)) == 0
    assert int(client.get(key)) > 1000
    client.close()


# --- Feeds --------------------------------------------------------------------


def test_a_current_feed_is_answered_without_a_query(app, community_event):
    client = app.test_client()
    etag = client.get("/calendar.ics").headers["ETag"]

    client.get("/calendar.ics", headers={"If-None-Match": etag})
    queries = count_queries(
        lambda: client.get("/calendar.ics", headers={"If-None-Match": etag})
    )
    assert queries == 0
    assert (
        client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    )


def test_a_change_reaches_the_feed_from_another_worker(
    app, second_worker, community_event
):
    event_id = community_event.id
    client = app.test_client()
    etag = client.get("/calendar.ics").headers["ETag"]
    assert (
        client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    )

    with second_worker.app_context():
        db.session.get(Event, event_id).status = "cancelled"
        db.session.commit()

    response = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "STATUS:CANCELLED" in response.get_data(as_text=True)


@pytest.fixture
def flask_requests(app):
    """How many requests reached the application itself, past the layers in front."""
    seen = []

    def count(sender, **extra):
        seen.append(sender)

    request_started.connect(count, app)
    yield seen
    request_started.disconnect(count, app)


def test_a_repeated_not_modified_is_answered_before_the_application(
    app, community_event, flask_requests
):
    client = app.test_client()
    etag = client.get("/calendar.ics").headers["ETag"]
    first = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert first.status_code == 304
    before = len(flask_requests)

    again = client.get("/calendar.ics", headers={"If-None-Match": etag})

    assert len(flask_requests) == before
    assert again.status_code == 304
    assert list(again.headers) == list(first.headers)
    assert again.headers["Content-Security-Policy"]
    assert again.headers["X-Content-Type-Options"] == "nosniff"


def test_a_write_ends_the_repeated_answer(app, community_event, flask_requests):
    client = app.test_client()
    etag = client.get("/calendar.ics").headers["ETag"]
    client.get("/calendar.ics", headers={"If-None-Match": etag})

    community_event.title = "Spotting exploitation"
    db.session.commit()
    before = len(flask_requests)
    response = client.get("/calendar.ics", headers={"If-None-Match": etag})

    assert len(flask_requests) == before + 1
    assert response.status_code == 200
    assert "Spotting exploitation" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "other, cookie",
    [
        ({"Accept-Language": "es"}, None),
        ({}, ("session", "anything")),
        ({"Authorization": "Basic Zm9vOmJhcg=="}, None),
    ],
    ids=["another language", "a cookie", "credentials"],
)
def test_only_the_same_request_without_cookies_gets_a_repeated_answer(
    app, community_event, flask_requests, other, cookie
):
    client = app.test_client()
    etag = client.get("/calendar.ics").headers["ETag"]
    client.get("/calendar.ics", headers={"If-None-Match": etag})
    before = len(flask_requests)

    if cookie:
        client.set_cookie(*cookie)
    response = client.get("/calendar.ics", headers={"If-None-Match": etag, **other})

    assert response.status_code == 304
    assert len(flask_requests) == before + 1


def test_each_feed_address_has_its_own_repeated_answer(
    app, community_event, flask_requests
):
    client = app.test_client()
    community = f"/communities/{community_event.community.slug}/calendar.ics"
    site_etag = client.get("/calendar.ics").headers["ETag"]
    client.get("/calendar.ics", headers={"If-None-Match": site_etag})

    response = client.get(community, headers={"If-None-Match": site_etag})
    assert response.status_code == 200

    etag = response.headers["ETag"]
    assert client.get(community, headers={"If-None-Match": etag}).status_code == 304
    before = len(flask_requests)
    assert client.get(community, headers={"If-None-Match": etag}).status_code == 304
    assert len(flask_requests) == before


def test_behind_a_proxy_each_public_address_has_its_own_repeated_answer(
    app_for, database_uri, app_config, community_event
):
    """The layer sits inside the proxy fix, so it files answers under the host and
    scheme the visitor used, not those of the proxy's own request."""
    proxied = app_for(database_uri, **app_config, PROXY_FIX=True)
    client = proxied.test_client()
    seen = []

    def count(sender, **extra):
        seen.append(sender)

    request_started.connect(count, proxied)
    first = {"X-Forwarded-Host": "one.example.org", "X-Forwarded-Proto": "https"}
    second = {"X-Forwarded-Host": "two.example.org", "X-Forwarded-Proto": "https"}
    etag = client.get("/calendar.ics", headers=first).headers["ETag"]
    client.get("/calendar.ics", headers={**first, "If-None-Match": etag})
    before = len(seen)

    again = client.get("/calendar.ics", headers={**first, "If-None-Match": etag})
    other = client.get("/calendar.ics", headers={**second, "If-None-Match": etag})

    assert again.status_code == 304
    assert "Strict-Transport-Security" in again.headers
    assert len(seen) == before + 1
    # The feed's links name the host, so another host's copy is another feed.
    assert other.status_code == 200
    with proxied.app_context():
        db.engine.dispose()


def test_a_personal_feed_is_never_answered_before_the_application(
    app, community_event, make_user, flask_requests
):
    from tfc_training.calendar.personal import reset_feed_token

    user = make_user()
    address = f"/feeds/{reset_feed_token(user)}.ics"
    db.session.commit()
    client = app.test_client()
    etag = client.get(address).headers["ETag"]
    client.get(address, headers={"If-None-Match": etag})
    before = len(flask_requests)

    response = client.get(address, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert len(flask_requests) == before + 1


def test_an_event_ageing_out_changes_a_kept_answer(app, make_event, now, monkeypatch):
    ended = make_event(
        title="Already over",
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
    )
    make_event(title="Later")
    client = app.test_client()
    etag = client.get("/calendar.ics").headers["ETag"]
    assert (
        client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    )

    past = timedelta(days=app.config["FEED_PAST_DAYS"])
    later = ended.ends_at + past + timedelta(minutes=1)
    monkeypatch.setattr("tfc_training.calendar.views.utcnow", lambda: later)
    monkeypatch.setattr("tfc_training.caching.revalidation.utcnow", lambda: later)
    response = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Already over" not in response.get_data(as_text=True)


def test_a_reading_older_than_the_version_it_was_read_under_is_not_kept(
    app, second_worker, community_event, monkeypatch
):
    """A community feed looks its community up before it reads the version. A
    change committed between the two must not be hidden behind the new version."""
    event_id = community_event.id
    address = f"/communities/{community_event.community.slug}/calendar.ics"
    client = app.test_client()
    etag = client.get("/calendar.ics").headers["ETag"]

    changed = []

    def change_then_read_the_version():
        if not changed:
            changed.append(True)
            with second_worker.app_context():
                db.session.get(Event, event_id).status = "cancelled"
                db.session.commit()
        return versions.current_version()

    monkeypatch.setattr(state, "current_version", change_then_read_the_version)
    assert client.get(address).status_code == 200

    response = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "STATUS:CANCELLED" in response.get_data(as_text=True)


def test_sending_the_mail_of_a_sign_up_leaves_the_kept_pages(
    app, community_event, redis_prefix, tmp_path
):
    import redis

    address = f"/events/{community_event.slug}/"
    get(app, address)
    client = redis.Redis.from_url(REDIS_URL)
    key = f"{redis_prefix}:data-version"
    before = int(client.get(key))

    response = sign_up_ana(app.test_client(), community_event)
    assert response.status_code == 200
    assert list((tmp_path / "mail").iterdir())

    # The sign-up itself moves the version on; sending its confirmation does not.
    assert int(client.get(key)) == before + 1
    assert "2 places left" in get(app, address)
    assert count_queries(lambda: get(app, address)) == 0
    client.close()


# --- Writes no visitor sees ---------------------------------------------------


def data_version(redis_prefix):
    import redis

    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        return client.get(f"{redis_prefix}:data-version")
    finally:
        client.close()


@pytest.fixture
def keep_public_pages(app, redis_prefix, monkeypatch):
    """``keep_public_pages(event)`` renders the public pages and returns a check that
    they are still kept: the version has not moved, and no page asks the database.

    The minute stands still meanwhile, so that only the version can move the pages.
    """
    monkeypatch.setattr(pages, "_minute", lambda: 1_000_000)

    def keep(event):
        addresses = public_addresses(event)
        for address in addresses:
            get(app, address)
        before = data_version(redis_prefix)
        assert before is not None

        def still_kept():
            assert data_version(redis_prefix) == before
            for address in addresses:
                assert count_queries(lambda a=address: get(app, a)) == 0, address

        return still_kept

    return keep


def test_logging_in_and_out_leaves_the_kept_pages(
    app, community_event, make_user, login, keep_public_pages
):
    person = make_user(organises=[community_event.community])
    still_kept = keep_public_pages(community_event)

    client = app.test_client()
    wrong = {"email": person.email, "password": "not the password at all"}
    assert client.post("/login", data=wrong).status_code == 400
    unknown = {"email": "nobody@example.org", "password": "not the password at all"}
    assert client.post("/login", data=unknown).status_code == 400
    assert login(client, person).status_code == 303
    assert client.post("/logout").status_code == 303
    assert login(client, person).status_code == 303

    still_kept()
    db.session.rollback()
    assert db.session.get(User, person.id).last_login_at is not None


def test_asking_for_a_reset_link_leaves_the_kept_pages(
    app, community_event, make_user, keep_public_pages, tmp_path
):
    mail_folder = tmp_path / "mail"
    active = make_user()
    invited = make_user(password=None)
    still_kept = keep_public_pages(community_event)

    client = app.test_client()
    for address in (active.email, invited.email, "nobody@example.org"):
        # Read whole, so that the mail sent after the answer has gone too.
        response = client.post(
            "/password/forgot", data={"email": address}, buffered=True
        )
        assert response.status_code == 200

    still_kept()
    assert len(list(mail_folder.iterdir())) == 2


def test_choosing_a_password_or_a_feed_address_leaves_the_kept_pages(
    app, community_event, make_user, login, keep_public_pages
):
    new_password = "a new and longer passphrase"
    person = make_user()
    resetting = make_user()
    invited = make_user(password=None, invited_at=community_event.created_at)
    reset_link = f"/password/reset/{make_token(resetting, 'password-reset')}"
    invitation_link = f"/invitations/{make_token(invited, 'invitation')}"
    still_kept = keep_public_pages(community_event)

    client = app.test_client()
    login(client, person)
    changed = client.post(
        "/account/password",
        data={
            "current_password": "correct horse battery",
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )
    assert changed.status_code == 303
    assert client.post("/account/feed").status_code == 303

    chosen = {"new_password": new_password, "confirm_password": new_password}
    assert app.test_client().post(reset_link, data=chosen).status_code == 303
    accepted = app.test_client().post(
        invitation_link, data={"name": "Nia Invited", **chosen}
    )
    assert accepted.status_code == 303

    still_kept()


def test_a_learners_progress_leaves_the_kept_pages(
    app, community_event, make_user, login, keep_public_pages
):
    module = add_module("only", position=1, lessons=1, questions=2)
    learner = make_user()
    still_kept = keep_public_pages(community_event)

    client = app.test_client()
    login(client, learner)
    assert client.post("/learn/only/only-lesson-1/").status_code == 303
    quiz = client.post("/learn/only/quiz", data=quiz_form(right_choices(module)))
    assert quiz.status_code == 303
    assert client.post("/learn/certificate").status_code == 303

    still_kept()
    db.session.rollback()
    issued = select(Certificate).where(Certificate.user_id == learner.id)
    assert len(db.session.scalars(issued).all()) == 1


def test_a_survey_answer_leaves_the_kept_pages(
    app, community_event, make_event, now, keep_public_pages
):
    finished = make_event(
        title="Awareness at the bus station",
        community=community_event.community,
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
    )
    attendee = add_registration(finished, attended_at=now - timedelta(hours=2))
    answers = {"knows_hotline": "yes", "can_name_sign": "unsure"}
    still_kept = keep_public_pages(community_event)

    client = app.test_client()
    by_link = client.post(f"/survey/{survey.personal_token(attendee)}", data=answers)
    assert by_link.status_code == 200
    at_door = client.post(f"/survey/event/{survey.event_token(finished)}", data=answers)
    assert at_door.status_code == 200

    still_kept()
    assert survey.answered_at_event(finished) == 2


def test_checking_someone_in_leaves_the_kept_pages(
    app, make_community, make_event, make_user, now, login, keep_public_pages
):
    community = make_community(name="Harbor Gateway")
    today = make_event(
        title="Today's workshop",
        community=community,
        capacity=3,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    organiser = make_user(organises=[community])
    registration = add_registration(today)
    client = app.test_client()
    login(client, organiser)
    still_kept = keep_public_pages(today)

    response = client.post(f"/organise/events/{today.slug}/check-in/{registration.id}")
    assert response.status_code == 303

    still_kept()
    db.session.rollback()
    assert db.session.get(Registration, registration.id).attended_at is not None


def test_a_write_in_a_savepoint_raises_the_version_when_it_is_committed(
    app, community_event, redis_prefix
):
    before = int(data_version(redis_prefix))
    with db.session.begin_nested():
        db.session.get(Event, community_event.id).title = "Spotting exploitation"
    assert int(data_version(redis_prefix)) == before

    db.session.commit()
    assert int(data_version(redis_prefix)) == before + 1


def test_a_public_write_after_a_login_still_shows_at_once(
    app, community_event, make_user, login, keep_public_pages
):
    person = make_user()
    address = f"/events/{community_event.slug}/"
    event_id = community_event.id
    keep_public_pages(community_event)

    client = app.test_client()
    assert login(client, person).status_code == 303
    # A refused login that reads nothing, in a session with no transaction open:
    # the requests run in this test's own session, and nothing they mark may hide
    # the next change made in it.
    caught = {"email": person.email, "password": "x" * 12, "comment": "buy now"}
    db.session.rollback()
    assert app.test_client().post("/login", data=caught).status_code == 400
    db.session.get(Event, event_id).title = "Spotting exploitation"
    db.session.commit()
    assert "Spotting exploitation" in get(app, address)

    response = sign_up_ana(client, community_event)
    assert response.status_code == 200
    assert "2 places left" in get(app, address)


# --- Migrations ---------------------------------------------------------------


def test_upgrading_the_database_raises_the_data_version(
    app_for, empty_database_uri, redis_prefix
):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    key = f"{redis_prefix}:data-version"
    client.set(key, 5)
    site = app_for(
        empty_database_uri, REDIS_URL=REDIS_URL, REDIS_KEY_PREFIX=redis_prefix
    )
    runner = site.test_cli_runner()

    def run(*command):
        result = runner.invoke(args=["db", *command])
        assert result.exit_code == 0, result.output
        return int(client.get(key))

    try:
        assert run("upgrade") == 6
        assert run("upgrade") == 6
        assert run("downgrade") == 7
        assert run("stamp", "head") == 7
        assert run("upgrade") == 7
    finally:
        client.close()
        with site.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("redis_url", ["unreachable", None])
def test_an_upgrade_needs_no_redis(app_for, empty_database_uri, redis_url):
    if redis_url == "unreachable":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            redis_url = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    site = app_for(empty_database_uri, REDIS_URL=redis_url)

    result = site.test_cli_runner().invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    with site.app_context():
        assert "event" in inspect(db.engine).get_table_names()
        db.engine.dispose()

"""Public feeds built once per ETag in each worker, and personal feeds never kept."""

import threading

import pytest

from tfc_training.calendar import bodies, views
from tfc_training.calendar.personal import reset_feed_token
from tfc_training.extensions import db


@pytest.fixture
def builds(monkeypatch):
    """The calendars built, by name, however the views were asked."""
    built = []
    build = views.build_calendar

    def counting(events, name, **options):
        built.append(name)
        return build(events, name, **options)

    monkeypatch.setattr(views, "build_calendar", counting)
    return built


@pytest.fixture
def event(make_community, make_event):
    return make_event(title="Know the signs", community=make_community())


def addresses(event):
    return [
        "/calendar.ics",
        "/calendar.ics?type=awareness",
        f"/communities/{event.community.slug}/calendar.ics",
        f"/events/{event.slug}.ics",
    ]


def test_each_public_feed_is_built_once_while_its_etag_stands(client, event, builds):
    for address in addresses(event):
        first = client.get(address)
        assert first.status_code == 200, address
        again = client.get(address)

        assert again.get_data() == first.get_data(), address
        assert again.headers["ETag"] == first.headers["ETag"], address
    assert len(builds) == len(addresses(event))


def test_a_change_builds_the_feeds_again(client, event, builds):
    for address in addresses(event):
        client.get(address)

    event.title = "Spotting exploitation"
    db.session.commit()

    for address in addresses(event):
        body = client.get(address).get_data(as_text=True)
        assert "Spotting exploitation" in body, address
    assert len(builds) == 2 * len(addresses(event))


def test_a_personal_feed_is_built_for_every_request(client, event, make_user, builds):
    user = make_user(organises=[event.community])
    address = f"/feeds/{reset_feed_token(user)}.ics"
    db.session.commit()

    assert client.get(address).status_code == 200
    assert client.get(address).status_code == 200

    assert len(builds) == 2


@pytest.mark.parametrize("app_config", [{"FEED_CACHE_BYTES": 0}])
def test_a_site_may_keep_no_feeds(client, event, builds):
    client.get("/calendar.ics")
    client.get("/calendar.ics")

    assert len(builds) == 2


@pytest.mark.parametrize("app_config", [{"FEED_CACHE_BYTES": 100}])
def test_a_feed_larger_than_the_room_is_given_but_not_kept(client, event, builds):
    first = client.get("/calendar.ics")
    again = client.get("/calendar.ics")

    assert b"Know the signs" in first.get_data()
    assert again.get_data() == first.get_data()
    assert len(builds) == 2


def test_requests_arriving_during_a_build_wait_for_its_bytes(app, event, monkeypatch):
    """Calendar apps asking while a feed is being built get that build's bytes."""
    started, release = threading.Event(), threading.Event()
    builds = []

    def slow_build():
        builds.append(1)
        started.set()
        release.wait(5)
        return b"BEGIN:VCALENDAR"

    answers = []

    def ask():
        with app.app_context():
            answers.append(bodies.kept_body("etag-1", slow_build))

    first = threading.Thread(target=ask)
    first.start()
    started.wait(5)
    others = [threading.Thread(target=ask) for _ in range(3)]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(5)

    assert answers == [b"BEGIN:VCALENDAR"] * 4
    assert len(builds) == 1

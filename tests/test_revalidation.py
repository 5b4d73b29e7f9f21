"""The layer that repeats a view's 304 answer, on a small app of its own.

The data version is fixed here, so that only the rules of the layer are tested;
``test_caching.py`` runs it in the product against Redis.
"""

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask, Response

from tfc_training.caching import revalidation

ETAG = '"v1"'


@pytest.fixture
def version(monkeypatch):
    current = {"value": "7"}
    monkeypatch.setattr(revalidation, "version_of", lambda app: current["value"])
    return current


@pytest.fixture
def small_app(version):
    app = Flask(__name__)
    app.config["PAGE_CACHE_SIZE"] = 8
    app.calls = 0
    app.until = None
    app.taken_at = None

    def answer(status=304, cookie=False, repeat=True):
        app.calls += 1
        if repeat:
            revalidation.may_repeat(until=app.until, taken_at=app.taken_at)
        response = Response(status=status)
        response.headers["ETag"] = ETAG
        if cookie:
            response.set_cookie("seen", "yes")
        return response

    app.add_url_rule("/feed", "feed", answer)
    app.add_url_rule("/cookie", "cookie", lambda: answer(cookie=True))
    app.add_url_rule("/fresh", "fresh", lambda: answer(status=200))
    app.add_url_rule("/unmarked", "unmarked", lambda: answer(repeat=False))
    revalidation.init_app(app)
    return app


def twice(app, address, **headers):
    client = app.test_client()
    headers.setdefault("If-None-Match", ETAG)
    first = client.get(address, headers=headers)
    second = client.get(address, headers=headers)
    return first, second


def test_the_same_question_gets_the_same_answer_once_asked(small_app):
    first, second = twice(small_app, "/feed")

    assert small_app.calls == 1
    assert second.status_code == 304
    assert list(second.headers) == list(first.headers)


def test_a_new_data_version_asks_the_application_again(small_app, version):
    client = small_app.test_client()
    client.get("/feed", headers={"If-None-Match": ETAG})
    version["value"] = "8"
    client.get("/feed", headers={"If-None-Match": ETAG})

    assert small_app.calls == 2


def test_without_a_version_nothing_is_repeated(small_app, version):
    version["value"] = None
    twice(small_app, "/feed")

    assert small_app.calls == 2


@pytest.mark.parametrize(
    "address",
    ["/cookie", "/fresh", "/unmarked"],
    ids=["sets a cookie", "200", "not allowed"],
)
def test_answers_the_view_did_not_allow_are_not_repeated(small_app, address):
    twice(small_app, address)

    assert small_app.calls == 2


def test_an_answer_is_not_repeated_after_its_moment(small_app, monkeypatch):
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    small_app.until = now + timedelta(hours=1)
    monkeypatch.setattr(revalidation, "utcnow", lambda: now)
    client = small_app.test_client()
    client.get("/feed", headers={"If-None-Match": ETAG})
    client.get("/feed", headers={"If-None-Match": ETAG})
    assert small_app.calls == 1

    monkeypatch.setattr(revalidation, "utcnow", lambda: now + timedelta(hours=1))
    client.get("/feed", headers={"If-None-Match": ETAG})

    assert small_app.calls == 2


def test_an_answer_lasts_no_longer_than_the_reading_it_rests_on(small_app, monkeypatch):
    clock = {"now": 1000.0}
    monkeypatch.setattr(revalidation, "_clock", lambda: clock["now"])
    small_app.taken_at = 1000.0 - revalidation.KEEP_SECONDS + 1
    client = small_app.test_client()
    client.get("/feed", headers={"If-None-Match": ETAG})
    client.get("/feed", headers={"If-None-Match": ETAG})
    assert small_app.calls == 1

    clock["now"] += 1
    client.get("/feed", headers={"If-None-Match": ETAG})

    assert small_app.calls == 2


def test_a_long_address_is_not_kept(small_app):
    twice(small_app, "/feed?" + "x" * 2000)

    assert small_app.calls == 2


def test_a_request_without_an_etag_or_with_a_long_one_goes_through(small_app):
    client = small_app.test_client()
    client.get("/feed")
    client.get("/feed")
    long_etags = ", ".join(f'"{n:040d}"' for n in range(8)) + ", " + ETAG
    twice(small_app, "/feed", **{"If-None-Match": long_etags})

    assert small_app.calls == 4


def test_a_post_is_never_answered_from_memory(small_app):
    client = small_app.test_client()
    client.get("/feed", headers={"If-None-Match": ETAG})
    client.post("/feed", headers={"If-None-Match": ETAG})

    assert small_app.calls == 1
    assert client.post("/feed", headers={"If-None-Match": ETAG}).status_code == 405


def test_the_host_and_query_are_part_of_the_question(small_app):
    client = small_app.test_client()
    client.get("/feed", headers={"If-None-Match": ETAG})
    client.get("/feed?type=training", headers={"If-None-Match": ETAG})
    client.get(
        "/feed", headers={"If-None-Match": ETAG}, base_url="http://elsewhere.test"
    )

    assert small_app.calls == 3


def test_a_site_that_keeps_no_pages_puts_nothing_in_front(version):
    app = Flask(__name__)
    app.config["PAGE_CACHE_SIZE"] = 0
    revalidation.init_app(app)

    assert not isinstance(app.wsgi_app, revalidation.RepeatNotModified)

"""Links and redirects stay right when the site is under a prefix or behind a proxy."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client
from werkzeug.wrappers import Response

PREFIX = "/training"

FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "events.example.org",
    "X-Forwarded-Prefix": "/prefix",
}


class LinkCollector(HTMLParser):
    """Collect every address a page points to: ``href``, ``src`` and ``action``."""

    def __init__(self):
        super().__init__()
        self.addresses = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "action") and value is not None:
                self.addresses.append(value)


def addresses_in(html: str) -> list[str]:
    collector = LinkCollector()
    collector.feed(html)
    return collector.addresses


def is_outside_the_prefix(address: str, host: str, prefix: str) -> bool:
    """True for an address on this site that does not start with ``prefix``."""
    if address.startswith("#"):
        return False
    parts = urlsplit(address)
    if parts.netloc and parts.netloc != host:
        return False
    return not parts.path.startswith(prefix + "/")


@pytest.fixture
def sample(make_community, make_event):
    """A community with one event, so that every kind of page has something to link."""
    community = make_community(slug="pasadena", name="Pasadena TFC")
    make_event(slug="meeting", community=community, capacity=10)
    make_event(slug="online", venue_name=None, online_url="https://meet.example.org/x")


@pytest.fixture
def mounted(app):
    """A WSGI client for the app mounted under ``/training`` beside another app."""
    elsewhere = Response("not this app", status=404)
    return Client(DispatcherMiddleware(elsewhere, {PREFIX: app.wsgi_app}))


PAGES = [
    "/",
    "/events/",
    "/events/?when=past",
    "/events/?type=workshop",
    "/events/meeting/",
    "/events/online/",
    "/communities/",
    "/communities/pasadena/",
    "/calendar/",
    "/privacy",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_link_keeps_the_prefix(mounted, sample, path):
    response = mounted.get(PREFIX + path)

    assert response.status_code == 200
    addresses = addresses_in(response.get_data(as_text=True))
    assert addresses
    wrong = [a for a in addresses if is_outside_the_prefix(a, "localhost", PREFIX)]
    assert wrong == []


def test_feed_links_keep_the_prefix(mounted, sample):
    text = mounted.get(PREFIX + "/events/meeting/").get_data(as_text=True)

    assert 'href="webcal://localhost/training/events/meeting.ics"' in text
    assert 'href="http://localhost/training/events/meeting.ics"' in text
    # The Google link names the event page, prefix included.
    assert "details=http%3A%2F%2Flocalhost%2Ftraining%2Fevents%2Fmeeting%2F" in text


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/events", "/training/events/"),
        ("/communities/pasadena", "/training/communities/pasadena/"),
    ],
)
def test_redirects_keep_the_prefix(mounted, sample, path, target):
    response = mounted.get(PREFIX + path)

    assert response.status_code in (301, 308)
    assert urlsplit(response.headers["Location"]).path == target


def test_error_page_links_keep_the_prefix(mounted):
    response = mounted.get(PREFIX + "/events/no-such-event/")

    assert response.status_code == 404
    addresses = addresses_in(response.get_data(as_text=True))
    assert [a for a in addresses if is_outside_the_prefix(a, "localhost", PREFIX)] == []


def test_script_name_in_the_environment_works_too(client, sample):
    response = client.get("/events/meeting/", environ_overrides={"SCRIPT_NAME": PREFIX})

    assert 'href="/training/communities/pasadena/"' in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"PROXY_FIX": 1}])
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/events/meeting/", "https://events.example.org/prefix/events/meeting.ics"),
        ("/events/meeting/", "webcal://events.example.org/prefix/events/meeting.ics"),
        (
            "/events/?language=es",
            "webcal://events.example.org/prefix/calendar.ics?language=es",
        ),
        (
            "/communities/pasadena/",
            "https://events.example.org/prefix/communities/pasadena/calendar.ics",
        ),
        ("/calendar/", "https://events.example.org/prefix/calendar.ics"),
    ],
)
def test_behind_a_proxy_feed_links_use_the_public_address(
    client, sample, path, expected
):
    text = client.get(path, headers=FORWARDED).get_data(as_text=True)

    assert f'href="{expected}"' in text


@pytest.mark.parametrize("app_config", [{"PROXY_FIX": 1}])
@pytest.mark.parametrize(
    "path", ["/", "/events/", "/events/meeting/", "/communities/pasadena/"]
)
def test_behind_a_proxy_every_link_keeps_the_forwarded_prefix(client, sample, path):
    text = client.get(path, headers=FORWARDED).get_data(as_text=True)

    addresses = addresses_in(text)
    assert [
        a
        for a in addresses
        if is_outside_the_prefix(a, "events.example.org", "/prefix")
    ] == []


@pytest.mark.parametrize("app_config", [{"PROXY_FIX": 1}])
def test_behind_a_proxy_redirects_use_the_public_address(client):
    response = client.get("/events", headers=FORWARDED)

    assert response.headers["Location"] == "https://events.example.org/prefix/events/"


def test_forwarded_headers_are_ignored_unless_trusted(client, sample):
    text = client.get("/events/meeting/", headers=FORWARDED).get_data(as_text=True)

    assert "events.example.org" not in text
    assert 'href="http://localhost/events/meeting.ics"' in text

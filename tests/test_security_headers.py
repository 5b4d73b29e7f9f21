"""Security headers on every answer, no inline script or style anywhere, and the
rules of the login cookies.

Pages come from the app's own routes, with the arguments of the access table in
``test_access.py``, so that a page added later is checked without an edit here.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from security_support import log_in_with_token, url_of
from test_access import EXPECTED, site  # noqa: F401

from tfc_training import create_app
from tfc_training.extensions import db
from tfc_training.security.headers import DEFAULT_HEADERS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

#: What the Content-Security-Policy must say, whatever else it says.
REQUIRED_POLICY = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
]

#: Referrer policies strict enough for any page: a secret link never leaves the site.
STRICT_REFERRERS = {"no-referrer", "same-origin", "strict-origin-when-cross-origin"}

PAGES = sorted(endpoint for endpoint, method in EXPECTED if method == "GET")


def assert_protected(response, what):
    """The response carries every security header, with safe values."""
    headers = response.headers
    missing = [name for name in DEFAULT_HEADERS if name not in headers]
    assert missing == [], f"{what}: missing {missing}"

    policy = headers["Content-Security-Policy"]
    assert [part for part in REQUIRED_POLICY if part not in policy] == [], what
    assert "unsafe-inline" not in policy, what
    assert headers["X-Content-Type-Options"] == "nosniff", what
    assert headers["Referrer-Policy"] in STRICT_REFERRERS, what
    assert "camera=()" in headers["Permissions-Policy"], what


class InlineCode(HTMLParser):
    """Collects what a strict Content-Security-Policy would block in a page."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _value in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style>")
        if "style" in names:
            self.found.append(f"style= on <{tag}>")
        self.found += [f"{name}= on <{tag}>" for name in names if name.startswith("on")]
        for name, value in attrs:
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: in {name}= on <{tag}>")


def inline_code_in(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("endpoint", PAGES)
def test_every_page_carries_the_headers(app, site, endpoint):  # noqa: F811
    """Anonymous and admin answers alike, whatever their status, and no inline code."""
    route = EXPECTED[(endpoint, "GET")]
    url = url_of(app, endpoint, route.values(site))

    for role in ("anonymous", "admin"):
        client = app.test_client()
        if role == "admin":
            log_in_with_token(client, site["admin"].email)
        response = client.get(url)

        assert_protected(response, f"{endpoint} as {role}")
        if response.mimetype == "text/html":
            assert inline_code_in(response.get_data(as_text=True)) == [], endpoint


@pytest.fixture
def app_config():
    """Forms carry tokens, so that the login above works as in production."""
    return {"WTF_CSRF_ENABLED": True}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/no-such-page"),
        ("POST", "/privacy"),
        ("GET", "/static/site.css"),
        ("GET", "/r/not-a-real-link"),
    ],
)
def test_errors_and_static_files_carry_the_headers(client, method, path):
    response = client.open(path, method=method)

    assert_protected(response, f"{method} {path}")


def test_secret_links_send_no_referrer(client, site):  # noqa: F811
    """A registrant's own page never hands its address to the next site."""
    response = client.get(f"/r/{site['manage-token']}")

    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_feeds_stay_subscribable(client, site):  # noqa: F811
    """Calendar apps still get a cacheable feed, and a 304 when nothing changed."""
    first = client.get("/calendar.ics")

    assert first.status_code == 200
    assert first.mimetype == "text/calendar"
    assert first.cache_control.public
    assert first.get_data(as_text=True).startswith("BEGIN:VCALENDAR")
    assert_protected(first, "the feed")

    again = client.get(
        "/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}
    )

    assert again.status_code == 304
    assert_protected(again, "the feed's 304")


#: Markup a strict policy blocks, in templates served to browsers.
INLINE_IN_TEMPLATE = re.compile(
    r"<script(?![^>]*\bsrc=)|<style|<[a-z][^>]*\s(?:style|on[a-z]+)\s*=|javascript:",
    re.IGNORECASE,
)


def test_no_template_holds_inline_script_or_style():
    """Scripts and styles live in ``static/``. E-mail templates are exempt: mail
    programs ignore style sheets, and no policy applies there."""
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path.relative_to(TEMPLATES).parts[0] == "mail":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if INLINE_IN_TEMPLATE.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}")

    assert found == []


# --- Cookies ------------------------------------------------------------------------


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if "session=" in c]
    assert cookies, "no session cookie was set"
    return cookies[0]


def test_cookies_over_plain_http_for_make_run(client):
    """The default SITE_URL is http://127.0.0.1: a secure cookie would never return."""
    cookie = session_cookie(client.get("/login"))

    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


@pytest.fixture
def https_app(database_uri):
    """Build an app whose public address is https, with any settings added."""
    apps = []

    def build(**settings):
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret",
                "SQLALCHEMY_DATABASE_URI": database_uri,
                "SITE_URL": "https://events.example.org",
                **settings,
            }
        )
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_cookies_are_secure_when_the_site_is_https(https_app):
    app = https_app()
    client = app.test_client()

    cookie = session_cookie(client.get("/login", base_url="https://events.example.org"))

    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_an_explicit_cookie_setting_wins(https_app):
    app = https_app(SESSION_COOKIE_SECURE=False)

    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["REMEMBER_COOKIE_SECURE"] is False


def test_https_answers_ask_for_https_from_then_on(client):
    secure = client.get("/privacy", base_url="https://events.example.org")
    plain = client.get("/privacy")

    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in plain.headers

"""Rate limits on the forms anyone can send, counted in the local Redis.

The limited routes are found on the app (each view that asked with
``rate_limited``), sent their form from the access table of ``test_access.py``
until they refuse, and must then answer 429 with ``Retry-After`` and change nothing.
Each test keeps its counts under a key prefix of its own, so that runs side by side
never meet. Without Redis these tests are skipped on a developer's machine, and fail
in CI, where it must be there.
"""

import pytest
from redis_support import REDIS_URL
from security_support import every_row, url_of
from test_access import EXPECTED, site  # noqa: F401

from tfc_training.security.rate_limits import rate_limited_endpoints

#: The limit every limited form gets in these tests.
ALLOWED = 2
TEST_LIMIT = f"{ALLOWED} per minute"

#: Words of the answer to a refused request.
REFUSED = "Too many tries from your connection in a short time"


@pytest.fixture
def limits_on(redis_prefix, tmp_path):
    """The settings that switch the limits on, in Redis, low enough to reach."""
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "RATE_LIMIT_SIGN_UP": TEST_LIMIT,
        "RATE_LIMIT_LOGIN": TEST_LIMIT,
        "RATE_LIMIT_PASSWORD_RESET": TEST_LIMIT,
        "RATE_LIMIT_SURVEY": TEST_LIMIT,
        "MAIL_FOLDER": str(tmp_path / "mail"),
    }


@pytest.fixture
def app_config(request):
    """Limits on where a test asks for ``limits_on``; off, as in every test, if not."""
    if "limits_on" in request.fixturenames:
        return request.getfixturevalue("limits_on")
    return {}


def test_limits_are_off_in_tests_unless_asked_for(app, client):
    """Tests that send many forms, such as the load tests, are never refused."""
    assert app.config["RATELIMIT_ENABLED"] is False

    statuses = {client.post("/login", data={}).status_code for _ in range(30)}

    assert statuses == {400}


def test_the_public_forms_are_limited(app, limits_on):
    """Sign-up, log-in, password reset and the survey ask for limits; removing one
    fails here."""
    limited = rate_limited_endpoints(app)

    assert {
        "registration.register",
        "accounts.login",
        "accounts.forgot_password",
        "accounts.reset_password",
        "survey.by_link",
        "survey.at_event",
    } <= set(limited)


def test_every_limited_form_refuses_when_its_limit_is_reached(app, site, limits_on):  # noqa: F811
    """Found on the app: each limited route, sent its form once too often."""
    limited = rate_limited_endpoints(app)
    for endpoint, wanted in sorted(limited.items()):
        app.config[wanted.setting] = TEST_LIMIT
        route = EXPECTED[(endpoint, "POST")]
        url = url_of(app, endpoint, route.values(site))
        client = app.test_client()

        allowed = [
            client.post(url, data=route.data(site)).status_code for _ in range(ALLOWED)
        ]
        before = every_row()
        refused = client.post(url, data=route.data(site))

        assert 429 not in allowed, endpoint
        assert refused.status_code == 429, endpoint
        # A minute's window, rounded up to the next whole second.
        assert 0 < int(refused.headers["Retry-After"]) <= 62, endpoint
        assert REFUSED in refused.get_data(as_text=True), endpoint
        assert every_row() == before, f"{endpoint} wrote while refusing"


def sign_up_form(**values):
    return {
        "name": "Typed Name Kept",
        "email": "typed.kept@example.org",
        "language": "es",
        "accessibility": "Step-free access, please",
        "consent": "y",
        **values,
    }


def test_refused_sign_up_keeps_what_was_typed(client, make_event, limits_on):
    event = make_event(slug="busy")
    for number in range(ALLOWED):
        email = f"early{number}@example.org"
        response = client.post("/events/busy/register", data=sign_up_form(email=email))
        assert response.status_code == 200

    response = client.post("/events/busy/register", data=sign_up_form())

    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert 'value="Typed Name Kept"' in page
    assert 'value="typed.kept@example.org"' in page
    assert "Step-free access, please" in page
    assert f"Sign up for {event.title}" in page
    assert REFUSED in page


def test_refused_login_keeps_the_address_but_not_the_password(client, limits_on):
    form = {"email": "someone@example.org", "password": "secret words typed"}
    for _ in range(ALLOWED):
        assert client.post("/login", data=form).status_code == 400

    response = client.post("/login", data=form)

    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert 'value="someone@example.org"' in page
    assert "secret words typed" not in page


def test_logging_in_successfully_uses_up_no_tries(client, make_user, login, limits_on):
    user = make_user()

    statuses = [login(client, user).status_code for _ in range(ALLOWED + 2)]

    assert statuses == [303] * (ALLOWED + 2)


def forgot(client, address, **environ):
    return client.post(
        "/password/forgot",
        data={"email": "nobody@example.org"},
        environ_base={"REMOTE_ADDR": address, **environ},
    )


def test_each_address_has_its_own_count(client, limits_on):
    for _ in range(ALLOWED):
        forgot(client, "192.0.2.10")

    assert forgot(client, "192.0.2.10").status_code == 429
    assert forgot(client, "192.0.2.11").status_code == 200


def via_proxy(client, visitor):
    return client.post(
        "/password/forgot",
        data={"email": "nobody@example.org"},
        headers={"X-Forwarded-For": visitor},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )


class TestBehindAProxy:
    @pytest.fixture
    def app_config(self, limits_on):
        return {**limits_on, "PROXY_FIX": 1}

    def test_the_visitors_address_counts(self, client):
        """With TFC_PROXY_FIX, the address the proxy names is the one counted."""
        for _ in range(ALLOWED):
            via_proxy(client, "198.51.100.7")

        assert via_proxy(client, "198.51.100.7").status_code == 429
        assert via_proxy(client, "198.51.100.8").status_code == 200


def test_without_a_proxy_forwarded_addresses_are_ignored(client, limits_on):
    """Otherwise anyone could claim a new address with each request."""
    for number in range(ALLOWED):
        via_proxy(client, f"198.51.100.{number}")

    assert via_proxy(client, "198.51.100.99").status_code == 429


def test_counts_are_kept_in_redis(client, limits_on, redis_prefix):
    import redis

    forgot(client, "192.0.2.20")

    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"*{redis_prefix}*"))
    assert keys, "no count was written to Redis"


class TestWithoutItsStorage:
    """Redis down must never cost a sign-up."""

    @pytest.fixture
    def app_config(self, limits_on):
        # Nothing listens on port 1 of this machine: the connection is refused.
        return {**limits_on, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}

    def test_sign_up_still_works(self, client, make_event):
        make_event(slug="open")

        response = client.post("/events/open/register", data=sign_up_form())

        assert response.status_code == 200
        assert "Thank you for signing up" in response.get_data(as_text=True)

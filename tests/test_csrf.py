"""Every form that changes something needs its CSRF token.

The routes come from the app itself: each route that accepts POST is sent its form
without a token, by every kind of person, and must be refused with the friendly
page and without a single row changed. The arguments of each route come from the
access table of ``test_access.py``, which must name every route; a POST route
missing there fails here too.
"""

import pytest
from security_support import every_row, log_in_with_token, page_with_token, url_of
from test_access import EXPECTED, ROLES, every_route, site  # noqa: F401

#: Words of the page that explains a refused form.
CSRF_PAGE = "This form had expired or could not be checked, so nothing was saved."

#: The POST routes of the access table; the first test checks it is the app's list.
POSTS = sorted(endpoint for endpoint, method in EXPECTED if method == "POST")


@pytest.fixture
def app_config(tmp_path):
    """Tokens are checked, as in production; e-mail goes to files."""
    return {"WTF_CSRF_ENABLED": True, "MAIL_FOLDER": str(tmp_path / "mail")}


def test_every_post_route_is_tried(app):
    """A new POST route must be in the access table, and so in this test."""
    posts = {endpoint for endpoint, method in every_route(app) if method == "POST"}

    assert sorted(posts - set(POSTS)) == [], "POST routes not tried without a token"


def browsers(app, site):  # noqa: F811
    """A test client per role, each logged in (with a token) as that person."""
    clients = {}
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            log_in_with_token(client, site[role].email)
        clients[role] = client
    return clients


@pytest.mark.parametrize("endpoint", POSTS)
def test_post_without_token_is_refused(app, site, endpoint):  # noqa: F811
    """Everybody, logged in or not, is refused the form without a token."""
    route = EXPECTED[(endpoint, "POST")]
    url = url_of(app, endpoint, route.values(site))
    clients = browsers(app, site)
    before = every_row()

    seen = {}
    for role, client in clients.items():
        response = client.post(url, data=route.data(site))
        page = response.get_data(as_text=True)
        seen[role] = (response.status_code, CSRF_PAGE in page)

    assert seen == {role: (400, True) for role in ROLES}
    assert every_row() == before


def test_token_of_another_session_is_refused(app, site):  # noqa: F811
    """A token copied from someone else's page does not open this session's forms."""
    _page, token = page_with_token(app.test_client(), "/login")
    client = app.test_client()
    page_with_token(client, "/login")
    before = every_row()

    response = client.post(
        "/login",
        data={
            "email": site["admin"].email,
            "password": "correct horse battery",
            "csrf_token": token,
        },
    )

    assert response.status_code == 400
    assert CSRF_PAGE in response.get_data(as_text=True)
    assert every_row() == before


def test_sign_up_with_its_token_goes_through(app, site):  # noqa: F811
    """The check refuses only what it should: the real form, token and all, works."""
    client = app.test_client()
    url = url_of(app, "registration.register", {"slug": site["network-event"].slug})
    _page, token = page_with_token(client, url)

    response = client.post(
        url,
        data={
            "name": "Token Holder",
            "email": "token.holder@example.org",
            "language": "en",
            "consent": "y",
            "csrf_token": token,
        },
    )

    assert response.status_code == 200
    assert "Thank you for signing up" in response.get_data(as_text=True)

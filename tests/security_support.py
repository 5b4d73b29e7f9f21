"""Helpers shared by the security tests: every row of the database, CSRF tokens, and
the routes of the app with the arguments the access table gives them."""

import re

from flask import g, url_for
from sqlalchemy import select

from tfc_training.extensions import db

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def every_row() -> dict[str, list]:
    """Every row of every table, to show that a refused request changed nothing."""
    db.session.expire_all()
    rows = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            found = connection.execute(select(table)).all()
            rows[table.name] = sorted((tuple(row) for row in found), key=repr)
    return rows


def row_counts() -> dict[str, int]:
    """How many rows each table holds."""
    return {name: len(rows) for name, rows in every_row().items()}


def csrf_token_of(page: str) -> str:
    """The CSRF token of the first form on ``page``."""
    return CSRF_FIELD.search(page).group(1)


def page_with_token(client, url: str) -> tuple[str, str]:
    """The page at ``url`` as ``client`` sees it, and the CSRF token it holds.

    The test's application context outlives each request, and Flask-WTF keeps the
    token it made on ``g``; dropping it first gives each client the token of its own
    session, as separate browsers have.
    """
    g.pop("csrf_token", None)
    page = client.get(url).get_data(as_text=True)
    return page, csrf_token_of(page)


def log_in_with_token(client, email, password="correct horse battery"):
    """Log in through the form, as a browser does: token first, then the form."""
    _page, token = page_with_token(client, "/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, "the test account could not log in"
    return response


def url_of(app, endpoint: str, values: dict) -> str:
    """The path of ``endpoint`` with ``values``, built as the app builds links."""
    with app.test_request_context():
        return url_for(endpoint, **values)

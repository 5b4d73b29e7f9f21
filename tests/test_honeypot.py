"""The honeypot field of public forms: hidden from people, filled in by programs.

A filled-in honeypot gets the answer a real submission would get, and nothing is
written; only a count is logged.
"""

import logging
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from security_support import every_row, url_of
from test_access import EXPECTED, ROLES, site  # noqa: F401

from tfc_training.accounts.models import User
from tfc_training.extensions import db
from tfc_training.registration.models import Registration
from tfc_training.security.honeypot import FIELD_NAME

STATIC = Path(__file__).resolve().parent.parent / "static"

SIGN_UP = {
    "name": "Honey Pot",
    "email": "honey.pot@example.org",
    "language": "en",
    "consent": "y",
}


class FormFields(HTMLParser):
    """The fields of the POST forms of a page, with their attributes."""

    def __init__(self):
        super().__init__()
        self.fields = []
        self.in_post_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.in_post_form = (attrs.get("method") or "").lower() == "post"
        if self.in_post_form and tag in ("input", "textarea", "select"):
            self.fields.append((attrs.get("name"), attrs))

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_post_form = False


#: The honeypot's wrapper and label, as ``_form.html`` writes them.
TRAP_MARKUP = re.compile(
    rf'<div class="form-trap">\s*<label for="{FIELD_NAME}">Leave this field empty</label>'
)


def fields_of(page: str) -> FormFields:
    parser = FormFields()
    parser.feed(page)
    return parser


#: Statuses with which an anonymous visitor's form is answered rather than refused.
PUBLIC_ANSWERS = {200, 400}

PUBLIC_FORMS = sorted(
    endpoint
    for (endpoint, method), route in EXPECTED.items()
    if method == "POST" and route.status_for(ROLES[0]) in PUBLIC_ANSWERS
)


@pytest.mark.parametrize("endpoint", PUBLIC_FORMS)
def test_public_forms_carry_the_honeypot(app, client, site, endpoint):  # noqa: F811
    """Each form that anybody may fill in has the hidden field, named for screen
    readers; forms behind a secret link are left out, programs never see them."""
    route = EXPECTED[(endpoint, "POST")]
    response = client.get(url_of(app, endpoint, route.values(site)))
    if response.status_code != 200:
        pytest.skip(f"{endpoint} has no page of its own to hold a form at this link")

    page = response.get_data(as_text=True)
    fields = fields_of(page).fields
    typed = [name for name, attrs in fields if attrs.get("type") != "hidden"]
    assert typed, f"{endpoint} shows no form"

    trap = [attrs for name, attrs in fields if name == FIELD_NAME]
    assert len(trap) == 1, f"{endpoint} has no honeypot"
    assert trap[0].get("tabindex") == "-1"
    assert trap[0].get("autocomplete") == "off"
    assert "style" not in trap[0]
    assert TRAP_MARKUP.search(page), "the honeypot is not hidden and labelled"


def test_the_trap_is_hidden_by_the_style_sheet():
    css = (STATIC / "site.css").read_text()

    assert ".form-trap" in css
    assert "left: -10000px" in css


def test_a_filled_honeypot_looks_like_a_sign_up_and_writes_nothing(
    client, make_event, caplog
):
    make_event(slug="trap", title="Trap evening")
    before = every_row()
    caplog.set_level(logging.DEBUG)

    response = client.post(
        "/events/trap/register", data={**SIGN_UP, FIELD_NAME: "http://spam.example"}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Thank you for signing up for Trap evening" in page
    assert "You have a place at this event." in page
    assert every_row() == before
    messages = [record.getMessage() for record in caplog.records]
    assert any("honeypot filled on registration.register" in m for m in messages)
    assert not any("honey" in m.lower() and "pot@" in m for m in messages)


def test_the_decoy_answer_follows_the_waiting_list(client, make_event, now):
    event = make_event(slug="full", capacity=1)
    for number, status in enumerate(["confirmed", "waitlisted", "waitlisted"]):
        db.session.add(
            Registration(
                event=event,
                name=f"Person {number}",
                email=f"person{number}@example.org",
                language="en",
                status=status,
                consented_at=now - timedelta(days=1),
            )
        )
    db.session.commit()

    response = client.post(
        "/events/full/register", data={**SIGN_UP, FIELD_NAME: "buy now"}
    )

    assert "You are on the waiting list, number 3." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Registration)) == 3


def test_an_empty_honeypot_signs_up_as_usual(client, make_event):
    make_event(slug="real")

    response = client.post("/events/real/register", data={**SIGN_UP, FIELD_NAME: ""})

    assert response.status_code == 200
    assert db.session.scalar(db.select(Registration.name)) == "Honey Pot"


def test_a_filled_honeypot_asks_for_no_reset_link(client, make_user):
    user = make_user(email="keeper@example.org")
    before = every_row()

    trapped = client.post(
        "/password/forgot", data={"email": user.email, FIELD_NAME: "x"}
    )
    real = client.post("/password/forgot", data={"email": "nobody@example.org"})

    assert trapped.status_code == real.status_code == 200
    assert trapped.get_data() == real.get_data()
    assert every_row() == before


def test_a_filled_honeypot_never_logs_in(client, make_user):
    user = make_user(email="owner@example.org")

    response = client.post(
        "/login",
        data={
            "email": user.email,
            "password": "correct horse battery",
            FIELD_NAME: "filled",
        },
    )

    assert response.status_code == 400
    assert "The e-mail address or the password is not right." in response.get_data(
        as_text=True
    )
    assert db.session.get(User, user.id).last_login_at is None

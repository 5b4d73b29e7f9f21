"""Signing up, the waiting list, and the registrant's own page behind a secret link."""

import hashlib
import io
import logging
import re
from datetime import timedelta

import pytest
from mail_support import last_written_to
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tfc_training.events.formatting import format_moment
from tfc_training.events.models import Event
from tfc_training.extensions import db
from tfc_training.registration import services, views
from tfc_training.registration.models import ManageToken, Registration
from tfc_training.registration.services import places_taken

VALID = {
    "name": "Ana Díaz",
    "email": "ana@example.org",
    "sector": "schools",
    "language": "en",
    "accessibility": "",
    "consent": "y",
}

TOKEN_PATH = re.compile(r"/r/([A-Za-z0-9_-]{43})")


def register_url(event):
    return f"/events/{event.slug}/register"


def sign_up(client, event, **changes):
    """Post the sign-up form with valid answers, changed as given (None leaves out)."""
    data = {**VALID, **changes}
    data = {name: value for name, value in data.items() if value is not None}
    return client.post(register_url(event), data=data)


def sign_up_for_token(client, event, **changes):
    """Sign up, and return the token of the link e-mailed to the address."""
    response = sign_up(client, event, **changes)
    assert response.status_code == 200, response.get_data(as_text=True)
    address = changes.get("email", VALID["email"]).strip().lower()
    return last_written_to(address).token


def registrations(event):
    db.session.rollback()
    return db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id)
        .order_by(Registration.id)
    ).all()


def statuses(event):
    return [registration.status for registration in registrations(event)]


def page_text(client, token):
    return client.get(f"/r/{token}").get_data(as_text=True)


def field_errors(html, field):
    """The error messages shown right under one field, as a single string."""
    found = re.search(
        rf'<ul class="field-errors" id="{field}-errors">(.*?)</ul>', html, re.DOTALL
    )
    return found.group(1) if found else ""


# --- The form -------------------------------------------------------------------


def test_form_labels_every_input(client, make_event):
    html = client.get(register_url(make_event())).get_data(as_text=True)

    for field in ("name", "email", "sector", "language", "accessibility", "consent"):
        assert f'<label for="{field}"' in html
        assert f'id="{field}"' in html


def test_form_ties_errors_to_their_inputs(client, make_event):
    html = sign_up(client, make_event(), email="bad").get_data(as_text=True)

    assert 'aria-describedby="email-hint email-errors" aria-invalid="true"' in html
    assert '="None"' not in html


def test_form_links_the_privacy_notice_from_the_consent_label(client, make_event):
    html = client.get(register_url(make_event())).get_data(as_text=True)

    label = re.search(r'<label for="consent">(.*?)</label>', html, re.DOTALL).group(1)
    assert 'href="/privacy"' in label


def test_form_offers_the_event_language_first(client, make_event):
    html = client.get(register_url(make_event(languages=("es", "en")))).get_data(
        as_text=True
    )

    assert re.search(r'<option lang="es" selected value="es">', html)


def test_form_says_when_only_the_waiting_list_is_left(client, make_event):
    event = make_event(capacity=1)
    sign_up(client, event, email="first@example.org")

    html = client.get(register_url(event)).get_data(as_text=True)

    assert "All places are taken" in html
    assert "Join the waiting list" in html


# --- Signing up -----------------------------------------------------------------


def test_sign_up_confirms_while_places_remain(client, make_event):
    event = make_event(capacity=2)

    token = sign_up_for_token(client, event)

    html = page_text(client, token)
    assert "You have a place at this event." in html
    assert statuses(event) == ["confirmed"]


def test_sign_up_past_capacity_joins_the_waiting_list_in_order(client, make_event):
    event = make_event(capacity=1)
    sign_up(client, event, email="first@example.org")

    second = sign_up_for_token(client, event, email="second@example.org")
    third = sign_up_for_token(client, event, email="third@example.org")

    assert "on the waiting list, number 1." in page_text(client, second)
    assert "on the waiting list, number 2." in page_text(client, third)
    assert statuses(event) == ["confirmed", "waitlisted", "waitlisted"]


def test_unlimited_event_confirms_everyone(client, make_event):
    event = make_event(capacity=None)

    for number in range(3):
        sign_up(client, event, email=f"person{number}@example.org")

    assert statuses(event) == ["confirmed"] * 3


def test_sign_up_stores_the_answers_with_the_email_normalised(client, make_event, now):
    event = make_event()

    sign_up(
        client,
        event,
        email="  Ana.Diaz@Example.ORG ",
        accessibility="Step-free\naccess",
    )

    (registration,) = registrations(event)
    assert registration.email == "ana.diaz@example.org"
    assert registration.name == "Ana Díaz"
    assert registration.sector_slug == "schools"
    assert registration.accessibility == "Step-free\naccess"
    assert registration.consented_at is not None


def test_sign_up_without_sector_stores_none(client, make_event):
    event = make_event()

    sign_up(client, event, sector="")

    assert registrations(event)[0].sector_slug is None


def test_mailed_link_leads_to_the_manage_page_with_its_full_link(client, make_event):
    event = make_event()

    token = sign_up_for_token(client, event)

    html = page_text(client, token)
    assert "Keep this link: it is the only way to change your sign-up." in html
    assert f"http://localhost/r/{token}" in html


def test_manage_link_respects_the_url_prefix(client, make_event):
    event = make_event()
    token = sign_up_for_token(client, event)

    response = client.get(f"/r/{token}", base_url="https://tfc.example.org/training/")

    assert f"https://tfc.example.org/training/r/{token}" in response.get_data(
        as_text=True
    )


def test_only_a_hash_of_the_token_is_stored(client, make_event):
    event = make_event()

    token = sign_up_for_token(client, event)

    stored = db.session.scalars(select(ManageToken.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


def test_sign_up_logs_ids_but_no_personal_data(client, make_event, caplog):
    event = make_event(capacity=1)
    caplog.set_level(logging.INFO)

    first = sign_up_for_token(client, event, email="first@example.org")
    sign_up(client, event, name="Bea Lopez", email="second@example.org")
    client.post(f"/r/{first}/cancel")

    first_id = registrations(event)[0].id
    assert (
        f"registration {first_id} created for event {event.id} (status confirmed)"
        in caplog.text
    )
    for secret in ("Ana", "Bea", "Lopez", "example.org", first):
        assert secret not in caplog.text


# --- Repeated sign-ups ----------------------------------------------------------


@pytest.mark.parametrize(
    "repeated", ["ana@example.org", "ANA@Example.org", "  ana@example.org\t"]
)
def test_repeated_email_makes_no_second_registration(client, make_event, repeated):
    event = make_event()
    sign_up(client, event)

    response = sign_up(client, event, email=repeated, name="Someone Else")

    assert response.status_code == 200
    assert len(registrations(event)) == 1
    assert registrations(event)[0].name == "Ana Díaz"


def test_repeated_email_gets_a_new_link_to_the_same_registration(client, make_event):
    event = make_event()

    first = sign_up_for_token(client, event)
    second = sign_up_for_token(client, event)

    assert first != second
    assert services.find_by_token(first).id == services.find_by_token(second).id


def _answer(app, event, email):
    """Sign up from a fresh browser; return what that browser is shown."""
    response = sign_up(app.test_client(), event, email=email)
    return {
        "status": response.status_code,
        "headers": {
            name: value
            for name, value in response.headers.items()
            if name != "Set-Cookie"
        },
        "sets_cookie": "Set-Cookie" in response.headers,
        "body": response.get_data(),
    }


@pytest.mark.parametrize("full", [False, True], ids=["place", "waiting-list"])
def test_repeated_email_gets_the_same_answer_as_a_new_one(app, make_event, full):
    """A stranger cannot tell from the answer whether an address had signed up."""
    event = make_event(capacity=1 if full else None)
    if full:
        sign_up(app.test_client(), event, email="first@example.org")

    new = _answer(app, event, "ana@example.org")
    repeated = _answer(app, event, " Ana@Example.org")

    assert repeated == new
    assert new["status"] == 200
    assert new["headers"]["Cache-Control"] == "no-store"
    assert not TOKEN_PATH.search(new["body"].decode())
    assert len(registrations(event)) == (2 if full else 1)


@pytest.mark.parametrize("full", [False, True], ids=["place", "waiting-list"])
def test_answer_says_where_the_person_stands(client, make_event, full):
    event = make_event(capacity=1 if full else None)
    if full:
        sign_up(client, event, email="first@example.org")

    html = sign_up(client, event).get_data(as_text=True)

    if full:
        assert "You are on the waiting list, number 1." in html
    else:
        assert "You have a place at this event." in html
    assert "We have e-mailed you a personal link." in html


def test_repeated_email_is_told_where_its_registration_stands(client, make_event):
    """A repeat is answered with the standing of the registration the address holds."""
    event = make_event(capacity=1)
    sign_up(client, event)
    sign_up(client, event, email="second@example.org")

    html = sign_up(client, event).get_data(as_text=True)

    assert "You have a place at this event." in html


def test_lost_race_on_the_unique_index_is_answered_normally(
    client, make_event, monkeypatch
):
    event = make_event()
    real_sign_up = views.sign_up
    calls = []

    def sign_up_losing_once(*args, **kwargs):
        result = real_sign_up(*args, **kwargs)
        calls.append(result)
        if len(calls) == 1:
            raise IntegrityError("INSERT INTO registration", {}, Exception("unique"))
        return result

    monkeypatch.setattr(views, "sign_up", sign_up_losing_once)

    response = sign_up(client, event)

    assert response.status_code == 200
    assert len(calls) == 2
    assert statuses(event) == ["confirmed"]


# --- Events that take no sign-ups -----------------------------------------------


CLOSED_EVENTS = {
    "cancelled": (
        lambda now: {"status": "cancelled"},
        "This event has been cancelled",
    ),
    "past": (
        lambda now: {
            "starts_at": now - timedelta(days=2),
            "ends_at": now - timedelta(days=2) + timedelta(hours=2),
        },
        "This event has already taken place.",
    ),
    "not-yet-open": (
        lambda now: {"registration_opens_at": now + timedelta(days=2)},
        "Sign-up for this event opens on",
    ),
    "closed": (
        lambda now: {"registration_closes_at": now - timedelta(hours=1)},
        "Sign-up for this event has closed.",
    ),
    "started": (
        lambda now: {
            "starts_at": now - timedelta(hours=1),
            "ends_at": now + timedelta(hours=1),
        },
        "Sign-up for this event has closed.",
    ),
}


@pytest.mark.parametrize("reason", CLOSED_EVENTS)
def test_closed_event_shows_why_instead_of_the_form(client, make_event, now, reason):
    values, message = CLOSED_EVENTS[reason]
    event = make_event(**values(now))

    response = client.get(register_url(event))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert 'name="email"' not in html


@pytest.mark.parametrize("reason", CLOSED_EVENTS)
def test_closed_event_refuses_sign_up_and_writes_nothing(
    client, make_event, now, reason
):
    values, message = CLOSED_EVENTS[reason]
    event = make_event(**values(now))

    response = sign_up(client, event)

    assert response.status_code == 409
    assert message in response.get_data(as_text=True)
    assert registrations(event) == []
    assert db.session.scalars(select(ManageToken)).all() == []


def test_not_yet_open_event_names_the_opening_time(client, make_event, now):
    opens = now.replace(hour=12, minute=0) + timedelta(days=3)
    event = make_event(registration_opens_at=opens)

    html = client.get(register_url(event)).get_data(as_text=True)

    assert format_moment(opens, event.zone, "en") in html


@pytest.mark.parametrize("method", ["get", "post"])
def test_draft_event_is_not_found(client, make_event, method):
    event = make_event(status="draft")

    response = getattr(client, method)(register_url(event), data=VALID)

    assert response.status_code == 404
    assert registrations(event) == []


def test_unknown_event_is_not_found(client):
    assert client.get("/events/no-such-event/register").status_code == 404


def test_sign_up_refused_when_the_event_closes_after_the_form_check(
    client, make_event, monkeypatch
):
    """The state is checked again under the lock, where it counts."""
    event = make_event()
    real_sign_up = services.sign_up

    def close_then_sign_up(event_id, applicant, **options):
        db.session.execute(
            update(Event).where(Event.id == event_id).values(status="cancelled")
        )
        db.session.commit()
        return real_sign_up(event_id, applicant, **options)

    monkeypatch.setattr(views, "sign_up", close_then_sign_up)

    response = sign_up(client, event)

    assert response.status_code == 409
    assert registrations(event) == []


# --- Invalid input --------------------------------------------------------------

ONE_LINE = "Write this on one line, without special characters."
#: What every field of every form says of a NUL, before its own rules run.
NUL_REFUSED = "This holds an invisible control character"

INVALID = [
    ("name", {"name": ""}, "Enter your name."),
    ("name", {"name": "   "}, "Enter your name."),
    ("name", {"name": "A" * 121}, "Use at most 120 characters."),
    ("name", {"name": "Ana\x00Díaz"}, NUL_REFUSED),
    ("name", {"name": "Ana\x1b[31m"}, ONE_LINE),
    ("name", {"name": "Ana\nDíaz"}, ONE_LINE),
    ("name", {"name": "\u200b\u200b"}, "at least one visible letter"),
    ("name", {"name": "\u3164\ufeff \u200d"}, "at least one visible letter"),
    ("name", {"name": "Ana \u202eztíD"}, "change the direction of the text"),
    ("name", {"name": "\u2067Ana\u2069"}, "change the direction of the text"),
    ("email", {"email": ""}, "Enter your e-mail address."),
    ("email", {"email": "not-an-address"}, "Enter an e-mail address like"),
    ("email", {"email": "ana@@example.org"}, "Enter an e-mail address like"),
    ("email", {"email": "a" * 250 + "@example.org"}, "at most 254 characters"),
    ("sector", {"sector": "police"}, "Choose one of the sectors in the list."),
    ("language", {"language": "xx"}, "Choose one of the languages in the list."),
    ("language", {"language": None}, "Choose a language."),
    ("accessibility", {"accessibility": "x" * 1001}, "Use at most 1000 characters."),
    ("accessibility", {"accessibility": "ramp\x07"}, "Remove the special characters"),
    (
        "consent",
        {"consent": None},
        "Sign-up needs your agreement to the privacy notice.",
    ),
]


@pytest.mark.parametrize(
    "field, changes, message",
    INVALID,
    ids=[f"{field}-{i}" for i, (field, _, _) in enumerate(INVALID)],
)
def test_invalid_input_is_shown_next_to_its_field(
    client, make_event, field, changes, message
):
    event = make_event()

    response = sign_up(client, event, **changes)

    assert response.status_code == 400
    assert message in field_errors(response.get_data(as_text=True), field)
    assert registrations(event) == []


@pytest.mark.parametrize(
    "name", ["سارا احمدی", "דנה לוי", "Mehr\u200cdad", "Ana\u200f Díaz", "李小龍"]
)
def test_names_in_any_script_are_accepted(client, make_event, name):
    event = make_event()

    response = sign_up(client, event, name=name)

    assert response.status_code == 200
    assert [registration.name for registration in registrations(event)] == [name]


@pytest.mark.parametrize(
    "field, status", [("name", 400), ("email", 400), ("accessibility", 200)]
)
def test_a_file_sent_in_place_of_text_counts_as_missing(
    client, make_event, field, status
):
    event = make_event()

    data = {**VALID, field: (io.BytesIO(b"hello"), "x.txt")}
    response = client.post(
        register_url(event), data=data, content_type="multipart/form-data"
    )

    # A required field is then missing; an optional one is simply left empty.
    assert response.status_code == status
    assert len(registrations(event)) == (1 if status == 200 else 0)


def test_a_file_sent_in_the_honeypot_leaves_it_empty(client, make_event):
    event = make_event()

    data = {**VALID, "comment": (io.BytesIO(b"hello"), "x.txt")}
    response = client.post(
        register_url(event), data=data, content_type="multipart/form-data"
    )

    assert response.status_code == 200
    assert len(registrations(event)) == 1


def test_a_file_sent_in_place_of_a_tick_is_no_consent(client, make_event):
    event = make_event()

    data = {**VALID, "consent": (io.BytesIO(b"y"), "y")}
    response = client.post(
        register_url(event), data=data, content_type="multipart/form-data"
    )

    assert response.status_code == 400
    assert "agreement to the privacy notice" in field_errors(
        response.get_data(as_text=True), "consent"
    )
    assert registrations(event) == []


def test_invalid_input_keeps_the_other_answers(client, make_event):
    event = make_event()

    html = sign_up(client, event, consent=None).get_data(as_text=True)

    assert 'value="Ana Díaz"' in html
    assert 'value="ana@example.org"' in html


def test_longest_allowed_answers_are_accepted(client, make_event):
    event = make_event()

    response = sign_up(client, event, name="A" * 120, accessibility="x" * 1000)

    assert response.status_code == 200
    assert len(registrations(event)) == 1


# --- Cancelling -----------------------------------------------------------------


def cancel(client, token):
    return client.post(f"/r/{token}/cancel")


def status_by_email(event):
    return {r.email: r.status for r in registrations(event)}


def test_cancellation_chain_promotes_in_order(client, make_event):
    """A confirmed, B and C waiting: A cancels so B gets in; B cancels so C gets in."""
    event = make_event(capacity=1)
    a = sign_up_for_token(client, event, email="a@example.org")
    b = sign_up_for_token(client, event, email="b@example.org")
    c = sign_up_for_token(client, event, email="c@example.org")

    assert cancel(client, a).status_code == 303
    assert status_by_email(event) == {
        "a@example.org": "cancelled",
        "b@example.org": "confirmed",
        "c@example.org": "waitlisted",
    }
    assert "You have a place at this event." in page_text(client, b)
    assert "on the waiting list, number 1." in page_text(client, c)

    assert cancel(client, b).status_code == 303
    assert status_by_email(event) == {
        "a@example.org": "cancelled",
        "b@example.org": "cancelled",
        "c@example.org": "confirmed",
    }
    assert "This sign-up is cancelled." in page_text(client, b)
    assert "You have a place at this event." in page_text(client, c)


def test_cancelling_twice_changes_nothing_the_second_time(client, make_event):
    event = make_event(capacity=1)
    a = sign_up_for_token(client, event, email="a@example.org")
    sign_up(client, event, email="b@example.org")
    sign_up(client, event, email="c@example.org")
    first = cancel(client, a)

    second = cancel(client, a)

    assert second.status_code == first.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert statuses(event) == ["cancelled", "confirmed", "waitlisted"]
    assert "This sign-up is cancelled." in page_text(client, a)


def test_cancelled_person_never_comes_back_on_promotion(client, make_event):
    event = make_event(capacity=1)
    a = sign_up_for_token(client, event, email="a@example.org")
    b = sign_up_for_token(client, event, email="b@example.org")
    sign_up(client, event, email="c@example.org")

    cancel(client, b)
    cancel(client, a)

    assert status_by_email(event) == {
        "a@example.org": "cancelled",
        "b@example.org": "cancelled",
        "c@example.org": "confirmed",
    }


def test_waiting_person_cancelling_moves_the_others_up(client, make_event):
    event = make_event(capacity=1)
    sign_up(client, event, email="a@example.org")
    b = sign_up_for_token(client, event, email="b@example.org")
    c = sign_up_for_token(client, event, email="c@example.org")

    cancel(client, b)

    assert statuses(event) == ["confirmed", "cancelled", "waitlisted"]
    assert "on the waiting list, number 1." in page_text(client, c)


def test_cancelled_email_may_sign_up_afresh(client, make_event):
    event = make_event(capacity=1)
    a = sign_up_for_token(client, event, email="a@example.org")
    cancel(client, a)

    again = sign_up_for_token(client, event, email="a@example.org")

    assert again != a
    assert statuses(event) == ["cancelled", "confirmed"]
    assert "This sign-up is cancelled." in page_text(client, a)


def test_new_places_go_to_the_waiting_list_before_newcomers(client, make_event):
    event = make_event(capacity=1)
    sign_up(client, event, email="a@example.org")
    sign_up(client, event, email="b@example.org")
    db.session.execute(update(Event).where(Event.id == event.id).values(capacity=2))
    db.session.commit()

    sign_up(client, event, email="c@example.org")

    assert status_by_email(event) == {
        "a@example.org": "confirmed",
        "b@example.org": "confirmed",
        "c@example.org": "waitlisted",
    }


def test_cancelling_for_a_cancelled_event_promotes_nobody(client, make_event):
    event = make_event(capacity=1)
    a = sign_up_for_token(client, event, email="a@example.org")
    sign_up(client, event, email="b@example.org")
    db.session.execute(
        update(Event).where(Event.id == event.id).values(status="cancelled")
    )
    db.session.commit()

    cancel(client, a)

    assert statuses(event) == ["cancelled", "waitlisted"]


def test_sign_up_for_an_event_that_is_over_cannot_be_cancelled(client, make_event, now):
    event = make_event(capacity=1)
    a = sign_up_for_token(client, event, email="a@example.org")
    db.session.execute(
        update(Event)
        .where(Event.id == event.id)
        .values(starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1))
    )
    db.session.commit()

    response = cancel(client, a)

    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "can no longer be changed" in html
    assert "Cancel my sign-up" not in html
    assert statuses(event) == ["confirmed"]


def test_manage_page_offers_the_cancel_button_while_active(client, make_event):
    event = make_event()
    token = sign_up_for_token(client, event)

    assert "Cancel my sign-up" in page_text(client, token)
    cancel(client, token)
    assert "Cancel my sign-up" not in page_text(client, token)


@pytest.mark.parametrize("method, path", [("get", "/r/{}"), ("post", "/r/{}/cancel")])
def test_unknown_link_is_not_found_with_advice(client, make_event, method, path):
    event = make_event()
    sign_up(client, event)

    response = getattr(client, method)(path.format("x" * 43))

    assert response.status_code == 404
    assert "sign up again with the same e-mail address" in response.get_data(
        as_text=True
    )
    assert statuses(event) == ["confirmed"]


def test_cancel_needs_a_post(client, make_event):
    token = sign_up_for_token(client, make_event())

    assert client.get(f"/r/{token}/cancel").status_code == 405


# --- Privacy --------------------------------------------------------------------


def test_pages_never_show_personal_data(client, make_event):
    event = make_event(capacity=1)
    ana = sign_up(client, event, accessibility="Wheelchair user")
    token = sign_up_for_token(
        client,
        event,
        name="Bea Lopez",
        email="bea@example.org",
        accessibility="Needs ASL",
    )

    pages = [
        ana.get_data(as_text=True),
        page_text(client, token),
        client.get(register_url(event)).get_data(as_text=True),
    ]

    for html in pages:
        for secret in (
            "Ana Díaz",
            "ana@example.org",
            "Wheelchair",
            "Bea Lopez",
            "bea@example.org",
            "Needs ASL",
        ):
            assert secret not in html


def test_private_pages_are_not_cached_or_referred(client, make_event):
    event = make_event()
    token = sign_up_for_token(client, event)

    for response in (
        client.get(f"/r/{token}"),
        client.get(register_url(event)),
        sign_up(client, event),
    ):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"


# --- CSRF -----------------------------------------------------------------------


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_sign_up_without_the_csrf_token_is_refused(self, client, make_event):
        event = make_event()

        response = sign_up(client, event)

        assert response.status_code == 400
        assert registrations(event) == []

    def test_cancel_without_the_csrf_token_is_refused(self, app, make_event):
        event = make_event()
        applying = app.test_client()
        html = applying.get(register_url(event)).get_data(as_text=True)
        csrf = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', html
        ).group(1)
        token = sign_up_for_token(applying, event, csrf_token=csrf)

        response = app.test_client().post(f"/r/{token}/cancel")

        assert response.status_code == 400
        assert statuses(event) == ["confirmed"]


# --- Places taken ---------------------------------------------------------------


def test_places_taken_counts_confirmed_in_one_query(client, make_event):
    full = make_event(capacity=1)
    other = make_event(capacity=5)
    empty = make_event()
    for number in range(3):
        sign_up(client, full, email=f"person{number}@example.org")
    cancel(client, sign_up_for_token(client, other, email="gone@example.org"))
    sign_up(client, other, email="here@example.org")
    ids = [full.id, other.id, empty.id, 999]

    queries = []

    def record(connection, cursor, statement, *args):
        queries.append(statement)

    sqlalchemy_event.listen(db.engine, "before_cursor_execute", record)
    try:
        taken = places_taken(ids)
    finally:
        sqlalchemy_event.remove(db.engine, "before_cursor_execute", record)

    assert taken == {full.id: 1, other.id: 1, empty.id: 0, 999: 0}
    assert len(queries) == 1


def test_places_taken_of_nothing_asks_nothing():
    assert places_taken([]) == {}

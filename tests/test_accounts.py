"""Accounts: logging in and out, passwords, invitations, resets, roles and the CLI."""

import re
import time
from types import SimpleNamespace
from urllib.parse import urlsplit

import itsdangerous.timed
import pytest
from mail_support import written_mail
from sql_support import counting_queries
from sqlalchemy import func, select
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.security import check_password_hash
from werkzeug.test import Client
from werkzeug.wrappers import Response

from tfc_training.accounts import cli, services
from tfc_training.accounts.models import Membership, User
from tfc_training.accounts.tokens import (
    INVITATION_MAX_AGE,
    PASSWORD_RESET_MAX_AGE,
    make_token,
)
from tfc_training.extensions import db

PASSWORD = "correct horse battery"
NEW_PASSWORD = "purple elephants dance at noon"
WRONG_ANSWER = "The e-mail address or the password is not right."
SENT_ANSWER = "If an account exists for this address"

LINK = re.compile(
    r"https?://[^\s\"'<>]+/(?:invitations|password/reset)/[A-Za-z0-9._-]+"
)


def fresh(user):
    """Reload ``user`` from the database, past anything the session remembers."""
    db.session.rollback()
    return db.session.get(User, user.id)


@pytest.fixture
def messages_to(app):
    """The messages written for an address so far, oldest first."""

    def read(email):
        return [m for m in written_mail() if email in m.recipients]

    return read


@pytest.fixture
def links_sent_to(messages_to):
    """The paths of every invitation or reset link sent to an address."""

    def read(email):
        return [
            urlsplit(link).path
            for message in messages_to(email)
            for link in LINK.findall(message.text)
        ]

    return read


@pytest.fixture
def last_link_to(links_sent_to):
    def read(email):
        links = links_sent_to(email)
        assert links, "no link was sent"
        return links[-1]

    return read


def is_logged_in(client):
    return client.get("/account/").status_code == 200


def text(response):
    return response.get_data(as_text=True)


@pytest.fixture
def learner(make_user):
    return make_user(email="lena@example.org", name="Lena Learner")


@pytest.fixture
def admin(make_user):
    return make_user(email="ada@example.org", name="Ada Admin", is_admin=True)


@pytest.fixture
def pasadena(make_community):
    return make_community(slug="pasadena", name="Pasadena TFC")


@pytest.fixture
def koreatown(make_community):
    return make_community(slug="koreatown", name="Koreatown TFC")


@pytest.fixture
def at_time(monkeypatch):
    """Move the clock the signed links read, by a number of seconds from now."""

    def move(seconds):
        moved = time.time() + seconds
        monkeypatch.setattr(
            itsdangerous.timed, "time", SimpleNamespace(time=lambda: moved)
        )

    return move


# Logging in ---------------------------------------------------------------------------


def test_login_page_labels_its_fields(client):
    page = text(client.get("/login"))

    assert '<label for="email">' in page
    assert '<label for="password">' in page
    assert 'type="password"' in page


def test_login_sends_a_learner_to_their_account(client, learner):
    response = client.post(
        "/login", data={"email": learner.email, "password": PASSWORD}
    )

    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/account/"
    assert "Lena Learner" in text(client.get("/account/"))


def test_login_accepts_the_address_in_any_case_and_with_spaces(client, learner):
    client.post("/login", data={"email": "  LENA@Example.org ", "password": PASSWORD})

    assert is_logged_in(client)


def test_login_records_the_time(client, learner, login):
    login(client, learner)

    assert fresh(learner).last_login_at is not None


@pytest.mark.parametrize(
    "case", ["unknown address", "wrong password", "disabled", "invitation open"]
)
def test_every_failed_login_gets_the_same_answer(client, make_user, now, case):
    """Whether an address has an account never shows in the answer."""
    make_user(email="known@example.org")
    make_user(email="disabled@example.org", disabled_at=now, sessions_ended_at=now)
    make_user(email="invited@example.org", password=None)
    attempts = {
        "unknown address": ("nobody@example.org", PASSWORD),
        "wrong password": ("known@example.org", "not the password at all"),
        "disabled": ("disabled@example.org", PASSWORD),
        "invitation open": ("invited@example.org", PASSWORD),
    }
    reference = client.post(
        "/login", data={"email": "nobody@example.org", "password": "whatever it is"}
    )
    email, password = attempts[case]

    response = client.post("/login", data={"email": email, "password": password})

    assert response.status_code == reference.status_code == 400
    assert WRONG_ANSWER in text(response)
    assert text(response) == text(reference).replace("nobody@example.org", email)
    assert not is_logged_in(client)


@pytest.mark.parametrize("email", ["nobody@example.org", "lena@example.org"])
def test_failed_login_does_the_same_work_for_any_address(
    client, learner, monkeypatch, email
):
    """One password hash checked and one query run, known address or not."""
    checks = []
    monkeypatch.setattr(
        services,
        "check_password_hash",
        lambda stored, given: (
            checks.append(stored) or check_password_hash(stored, given)
        ),
    )
    with counting_queries() as statements:
        client.post("/login", data={"email": email, "password": "a wrong password"})

    assert len(checks) == 1
    assert checks[0].startswith("scrypt:")
    assert len([s for s in statements if "account" in s and "SELECT" in s]) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "", "password": PASSWORD}, "Enter your e-mail address."),
        ({"email": "lena@example.org", "password": ""}, "Enter your password."),
    ],
)
def test_login_with_a_missing_field_says_which(client, learner, data, message):
    response = client.post("/login", data=data)

    assert response.status_code == 400
    assert message in text(response)


def test_passwords_are_stored_as_scrypt_hashes(client, admin, login, last_link_to):
    login(client, admin)
    client.post(
        "/admin/people/invite",
        data={
            "email": "new@example.org",
            "name": "New",
            "language": "en",
            "role": "learner",
        },
    )
    client.post("/logout")
    client.post(
        last_link_to("new@example.org"),
        data={
            "name": "New",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    stored = db.session.scalar(
        select(User.password_hash).where(User.email == "new@example.org")
    )
    assert stored.startswith("scrypt:")
    assert NEW_PASSWORD not in stored


# Where to go after logging in ---------------------------------------------------------


def test_anonymous_visitor_is_sent_to_log_in_and_back(client, learner):
    answer = client.get("/account/")

    assert answer.status_code == 302
    login_url = answer.headers["Location"]
    assert urlsplit(login_url).path == "/login"
    page = text(client.get(login_url))
    assert '<input id="next" name="next" type="hidden" value="/account/">' in page

    response = client.post(
        "/login",
        data={"email": learner.email, "password": PASSWORD, "next": "/account/"},
    )
    assert response.headers["Location"] == "/account/"


@pytest.mark.parametrize(
    "target", ["/events/", "/communities/pasadena/?tab=events", "/account/#calendar"]
)
def test_next_leads_to_a_page_of_the_site(client, learner, target):
    response = client.post(
        "/login", data={"email": learner.email, "password": PASSWORD, "next": target}
    )

    assert response.headers["Location"] == target


def test_next_in_the_query_string_is_followed_too(client, learner):
    response = client.post(
        "/login?next=/events/", data={"email": learner.email, "password": PASSWORD}
    )

    assert response.headers["Location"] == "/events/"


UNSAFE_TARGETS = [
    "https://elsewhere.example/",
    "http://localhost/account/",
    "//elsewhere.example/",
    "///elsewhere.example/",
    "/\\elsewhere.example/",
    "\\\\elsewhere.example/",
    "/\t/elsewhere.example/",
    " //elsewhere.example/",
    "javascript:alert(1)",
    "data:text/html,hello",
    "events/",
    "/events/../../elsewhere",
    "/%2e%2e/elsewhere",
    "/" + "a" * 2100,
]


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
def test_next_never_leads_off_the_site(client, learner, target):
    response = client.post(
        "/login", data={"email": learner.email, "password": PASSWORD, "next": target}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/account/"


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
def test_unsafe_next_is_not_put_in_the_form(client, target):
    page = text(client.get("/login", query_string={"next": target}))

    assert re.search(r'<input id="next" name="next" type="hidden" value="">', page)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/training/events/", "/training/events/"),
        ("/events/", "/training/account/"),
        ("/trainingevil/", "/training/account/"),
    ],
)
def test_next_stays_under_the_url_prefix(client, learner, target, expected):
    response = client.post(
        "/login",
        data={"email": learner.email, "password": PASSWORD, "next": target},
        environ_overrides={"SCRIPT_NAME": "/training"},
    )

    assert urlsplit(response.headers["Location"]).path == expected


def test_login_page_links_keep_the_url_prefix(app):
    mounted = Client(
        DispatcherMiddleware(Response("not this app", 404), {"/training": app.wsgi_app})
    )

    page = text(mounted.get("/training/login"))

    assert 'action="/training/login"' in page
    assert 'href="/training/password/forgot"' in page


def test_organiser_lands_on_the_dashboard_when_there_is_one(
    app, client, make_user, pasadena
):
    organiser = make_user(organises=[pasadena])

    response = client.post(
        "/login", data={"email": organiser.email, "password": PASSWORD}
    )

    expected = (
        "/organise/" if "organise.dashboard" in app.view_functions else "/account/"
    )
    assert urlsplit(response.headers["Location"]).path == expected


def test_logging_in_logs_no_personal_data(client, learner, login, caplog):
    caplog.set_level("INFO")

    login(client, learner, "a wrong password")
    login(client, learner)

    assert caplog.records
    for record in caplog.records:
        assert "lena" not in record.getMessage().lower()


# Logging out and ending sessions ------------------------------------------------------


def test_logout_asks_first_on_get(client, learner, login):
    login(client, learner)

    page = text(client.get("/logout"))

    assert '<form method="post"' in page
    assert is_logged_in(client)


def test_logout_ends_the_session(client, learner, login):
    login(client, learner)

    response = client.post("/logout")

    assert response.status_code == 303
    assert not is_logged_in(client)


def csrf_token_of(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_logout_needs_the_csrf_token(client, learner):
    token = csrf_token_of(text(client.get("/login")))
    client.post(
        "/login",
        data={"email": learner.email, "password": PASSWORD, "csrf_token": token},
    )

    response = client.post("/logout")

    assert response.status_code == 400
    assert is_logged_in(client)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_login_needs_the_csrf_token(client, learner):
    response = client.post(
        "/login", data={"email": learner.email, "password": PASSWORD}
    )

    assert response.status_code == 400
    assert not is_logged_in(client)


def test_disabling_an_account_ends_its_sessions(app, learner, admin, login):
    person, staff = app.test_client(), app.test_client()
    login(person, learner)
    login(staff, admin)

    staff.post(f"/admin/people/{learner.id}/disable")

    assert not is_logged_in(person)
    assert fresh(learner).disabled_at is not None


def test_enabling_an_account_again_brings_no_old_session_back(
    app, learner, admin, login
):
    person, staff = app.test_client(), app.test_client()
    login(person, learner)
    login(staff, admin)

    staff.post(f"/admin/people/{learner.id}/disable")
    staff.post(f"/admin/people/{learner.id}/enable")

    assert fresh(learner).disabled_at is None
    assert not is_logged_in(person)
    # The same cookie stays dead on later requests too, while a new login works.
    assert not is_logged_in(person)
    login(person, learner)
    assert is_logged_in(person)


def test_enabling_again_keeps_the_sessions_of_others(app, learner, admin, login):
    staff = app.test_client()
    login(staff, admin)

    staff.post(f"/admin/people/{learner.id}/disable")
    staff.post(f"/admin/people/{learner.id}/enable")

    assert is_logged_in(staff)


def test_changing_the_password_ends_the_other_sessions(app, learner, login):
    here, elsewhere = app.test_client(), app.test_client()
    login(here, learner)
    login(elsewhere, learner)

    here.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)


# The account page ---------------------------------------------------------------------


def test_account_page_lists_my_communities_and_roles(
    client, make_user, pasadena, koreatown, login
):
    person = make_user(organises=[pasadena], member_of=[koreatown])
    login(client, person)

    page = text(client.get("/account/"))

    mine = page[page.index("My communities") : page.index("My calendar")]
    assert re.search(r"Koreatown TFC</a>\s*<span class=\"meta\">Member", mine)
    assert re.search(r"Pasadena TFC</a>\s*<span class=\"meta\">Organiser", mine)
    assert mine.index("Koreatown") < mine.index("Pasadena")


def test_account_page_says_when_there_is_no_community(client, learner, login):
    login(client, learner)

    assert "You do not belong to a community yet." in text(client.get("/account/"))


def test_account_pages_are_kept_out_of_caches(client, learner, login):
    login(client, learner)

    response = client.get("/account/")

    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


def test_password_change_lets_the_new_password_in_and_keeps_the_old_out(
    app, learner, login
):
    client = app.test_client()
    login(client, learner)

    response = change_password(client)

    assert response.status_code == 303
    assert fresh(learner).password_changed_at is not None
    assert login(app.test_client(), learner, NEW_PASSWORD).status_code == 303
    assert login(app.test_client(), learner, PASSWORD).status_code == 400


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"current": "not my password"}, "This is not your current password."),
        ({"confirm": "something else entirely"}, "The two passwords are not the same."),
        ({"new": "short", "confirm": "short"}, "Use between 12 and 200 characters."),
        (
            {"new": "x" * 201, "confirm": "x" * 201},
            "Use between 12 and 200 characters.",
        ),
        ({"current": ""}, "Enter your current password."),
    ],
)
def test_password_change_refusals_name_the_problem(
    client, learner, login, changes, message
):
    login(client, learner)
    before = fresh(learner).password_hash

    response = change_password(client, **changes)

    assert response.status_code == 400
    assert message in text(response)
    assert fresh(learner).password_hash == before


FEED_ADDRESS = re.compile(r"http://localhost(/feeds/[A-Za-z0-9_-]+\.ics)")


def new_feed_address(client):
    """Press the button for a new calendar address and read it on the next page."""
    page = text(client.post("/account/feed", follow_redirects=True))
    return FEED_ADDRESS.search(page).group(1)


def test_feed_address_is_shown_once_and_works(client, learner, login):
    login(client, learner)

    address = new_feed_address(client)

    assert client.get(address).status_code == 200
    assert address not in text(client.get("/account/"))


def test_new_feed_address_is_shown_after_a_redirect(client, learner, login, caplog):
    """Reloading the page that shows it makes no new address, and no log holds it."""
    login(client, learner)
    caplog.set_level("DEBUG")

    response = client.post("/account/feed")

    assert response.status_code == 303
    assert response.headers["Location"] == "/account/#calendar"
    stored = fresh(learner).feed_token_hash
    address = FEED_ADDRESS.search(text(client.get("/account/"))).group(1)
    assert not FEED_ADDRESS.search(text(client.get("/account/")))
    assert fresh(learner).feed_token_hash == stored
    assert client.get(address).status_code == 200
    token = address.removeprefix("/feeds/").removesuffix(".ics")
    assert all(token not in record.getMessage() for record in caplog.records)


def test_new_feed_address_breaks_the_old_one(client, learner, login):
    login(client, learner)
    first = new_feed_address(client)

    second = new_feed_address(client)

    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


# Forgotten passwords ------------------------------------------------------------------


def forgot(client, email):
    """Ask for a reset link, reading the whole answer as a browser would."""
    return client.post("/password/forgot", data={"email": email}, buffered=True)


def test_reset_link_is_sent_after_the_answer(client, learner, messages_to):
    """The answer never waits for the mail server, whatever the address."""
    response = client.post("/password/forgot", data={"email": learner.email})

    assert SENT_ANSWER in text(response)
    assert messages_to(learner.email) == []
    response.close()
    assert len(messages_to(learner.email)) == 1


@pytest.mark.parametrize(
    "email", ["lena@example.org", "nobody@example.org", "gone@example.org"]
)
def test_forgot_password_answers_the_same_for_every_address(
    client, learner, make_user, now, email
):
    make_user(email="gone@example.org", disabled_at=now, sessions_ended_at=now)
    reference = forgot(client, "somebody-else@example.org")

    response = forgot(client, email)

    assert response.status_code == reference.status_code == 200
    assert SENT_ANSWER in text(response)
    assert text(response) == text(reference)


@pytest.mark.parametrize(
    ("email", "expected"),
    [("lena@example.org", 1), ("nobody@example.org", 0), ("gone@example.org", 0)],
)
def test_forgot_password_sends_a_link_only_to_an_active_account(
    client, learner, make_user, now, email, expected, links_sent_to
):
    make_user(email="gone@example.org", disabled_at=now, sessions_ended_at=now)

    forgot(client, email)

    assert len(links_sent_to(email)) == expected


def test_forgot_password_with_an_open_invitation_sends_a_new_invitation(
    client, make_user, last_link_to
):
    invited = make_user(email="invited@example.org", password=None)

    forgot(client, invited.email)

    assert last_link_to(invited.email).startswith("/invitations/")


def test_forgot_password_checks_the_address(client):
    response = forgot(client, "not an address")

    assert response.status_code == 400
    assert "Enter an e-mail address like name@example.org." in text(response)


def reset(client, path, password=NEW_PASSWORD, confirm=None):
    return client.post(
        path,
        data={
            "new_password": password,
            "confirm_password": password if confirm is None else confirm,
        },
    )


def test_reset_link_sets_a_new_password_and_logs_in(app, client, learner, last_link_to):
    forgot(client, learner.email)
    path = last_link_to(learner.email)

    assert client.get(path).status_code == 200
    response = reset(client, path)

    assert response.status_code == 303
    assert is_logged_in(client)
    assert login_works(app, learner, NEW_PASSWORD)
    assert not login_works(app, learner, PASSWORD)


def login_works(app, user, password):
    return (
        app.test_client()
        .post("/login", data={"email": user.email, "password": password})
        .status_code
        == 303
    )


def test_reset_link_from_before_a_disabling_stays_dead_after_enabling(
    app, client, learner, admin, login, last_link_to
):
    forgot(client, learner.email)
    path = last_link_to(learner.email)
    staff = app.test_client()
    login(staff, admin)

    staff.post(f"/admin/people/{learner.id}/disable")
    staff.post(f"/admin/people/{learner.id}/enable")

    assert client.get(path).status_code == 404
    assert reset(client, path).status_code == 404
    assert login_works(app, learner, PASSWORD)


def test_reset_link_works_only_once(client, learner, last_link_to):
    forgot(client, learner.email)
    path = last_link_to(learner.email)
    reset(client, path)

    response = reset(client, path, password="another long new password")

    assert response.status_code == 404
    assert "This link does not work" in text(response)


def test_older_reset_links_die_when_one_is_used(client, learner, links_sent_to):
    forgot(client, learner.email)
    forgot(client, learner.email)
    first, second = links_sent_to(learner.email)

    reset(client, second)

    assert client.get(first).status_code == 404


def test_reset_link_dies_when_the_password_changes_another_way(
    client, learner, login, last_link_to
):
    forgot(client, learner.email)
    path = last_link_to(learner.email)
    login(client, learner)
    change_password(client)

    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("seconds", "status"),
    [(PASSWORD_RESET_MAX_AGE - 60, 200), (PASSWORD_RESET_MAX_AGE + 60, 404)],
)
def test_reset_link_expires_after_an_hour(
    client, learner, at_time, seconds, status, last_link_to
):
    forgot(client, learner.email)
    path = last_link_to(learner.email)

    at_time(seconds)

    assert client.get(path).status_code == status


def test_reset_link_of_a_disabled_account_does_not_work(
    client, learner, now, last_link_to
):
    forgot(client, learner.email)
    path = last_link_to(learner.email)
    user = fresh(learner)
    user.disabled_at = user.sessions_ended_at = now
    db.session.commit()

    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/password/reset/nonsense", "/password/reset/", "/password/reset/a.b.c"],
)
def test_made_up_reset_links_do_not_work(client, path):
    assert client.get(path).status_code == 404


def test_a_tampered_reset_link_does_not_work(client, learner, last_link_to):
    forgot(client, learner.email)
    path = last_link_to(learner.email)
    payload, rest = path.rsplit("/", 1)[1].split(".", 1)

    tampered = path.rsplit("/", 1)[0] + "/" + payload[:-2] + "xx." + rest

    assert client.get(tampered).status_code == 404


def test_reset_and_invitation_links_are_not_interchangeable(client, make_user):
    active = make_user(email="active@example.org")
    invited = make_user(email="invited@example.org", password=None)
    reset_token = make_token(active, "password-reset")
    invitation_token = make_token(invited, "invitation")

    assert client.get(f"/invitations/{reset_token}").status_code == 404
    assert client.get(f"/password/reset/{invitation_token}").status_code == 404


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short", "short", "Use between 12 and 200 characters."),
        (NEW_PASSWORD, "not the same thing", "The two passwords are not the same."),
    ],
)
def test_reset_refuses_a_bad_password_and_keeps_the_link(
    client, learner, password, confirm, message, last_link_to
):
    forgot(client, learner.email)
    path = last_link_to(learner.email)

    response = reset(client, path, password, confirm)

    assert response.status_code == 400
    assert message in text(response)
    assert client.get(path).status_code == 200


def test_forgot_password_pages_are_kept_out_of_referer_headers(
    client, learner, last_link_to
):
    forgot(client, learner.email)

    response = client.get(last_link_to(learner.email))

    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_reset_link_goes_out_over_smtp_and_works(app, client, learner, smtp_server):
    forgot(client, learner.email)

    [received] = smtp_server.to(learner.email)
    assert "Reset your password" in received.subject
    [link] = LINK.findall(received.text)
    assert link in received.html
    assert reset(client, urlsplit(link).path).status_code == 303
    assert login_works(app, learner, NEW_PASSWORD)


FORGED_HOST = {"Host": "evil.example.net"}


def test_reset_link_ignores_a_forged_host(app, client, learner, messages_to):
    """A link to someone else's host would hand them the reset token."""
    client.post(
        "/password/forgot",
        data={"email": learner.email},
        headers=FORGED_HOST,
        buffered=True,
    )

    [message] = messages_to(learner.email)
    [link] = LINK.findall(message.text)
    assert link.startswith(app.config["SITE_URL"] + "/password/reset/")
    assert "evil" not in message.message.as_string()


@pytest.mark.parametrize("app_config", [{"TRUSTED_HOSTS": ["localhost"]}])
def test_trusted_hosts_refuse_a_forged_host(client, learner, messages_to):
    response = client.post(
        "/password/forgot",
        data={"email": learner.email},
        headers=FORGED_HOST,
        buffered=True,
    )

    assert response.status_code == 400
    assert messages_to(learner.email) == []
    assert client.get("/password/forgot").status_code == 200


def test_forgot_password_refuses_an_address_with_a_line_break(client, messages_to):
    response = forgot(client, "lena@example.org\nbcc: someone@example.org")

    assert response.status_code == 400
    assert "This is not a valid e-mail address: it must be on one line." in text(
        response
    )
    assert "Use letters, spaces and punctuation only." not in text(response)


@pytest.mark.parametrize(
    ("flow", "duration"), [("invitation", "1 week"), ("reset", "1 hour")]
)
def test_account_messages_say_how_long_the_link_works(
    client, admin, learner, login, messages_to, flow, duration
):
    if flow == "invitation":
        login(client, admin)
        invite(client)
        email = "nia@example.org"
    else:
        forgot(client, learner.email)
        email = learner.email

    [message] = messages_to(email)
    assert f"The link works once, for {duration}." in " ".join(message.text.split())
    assert f"The link works once, for {duration}." in " ".join(message.html.split())


# Invitations --------------------------------------------------------------------------


def invite(client, **changes):
    data = {
        "email": "nia@example.org",
        "name": "Nia",
        "language": "es",
        "role": "learner",
        **changes,
    }
    return client.post("/admin/people/invite", data=data)


def accept(client, path, name="Nia Newcomer", password=NEW_PASSWORD):
    return client.post(
        path,
        data={"name": name, "new_password": password, "confirm_password": password},
    )


def invited_account(email="nia@example.org"):
    db.session.rollback()
    return db.session.scalar(select(User).where(User.email == email))


def test_invitation_creates_an_account_waiting_for_its_password(
    client, admin, pasadena, login
):
    login(client, admin)

    response = invite(client, role="organiser", communities=[str(pasadena.id)])

    assert response.status_code == 303
    user = invited_account()
    assert user.password_hash is None
    assert user.language == "es"
    assert user.invited_by_id == admin.id
    assert user.organised_community_ids == {pasadena.id}
    assert not user.is_active


@pytest.mark.parametrize(
    ("role", "is_admin", "membership_role"),
    [
        ("learner", False, "member"),
        ("organiser", False, "organiser"),
        ("admin", True, "member"),
    ],
)
def test_invitation_role_decides_the_account_roles(
    client, admin, pasadena, login, role, is_admin, membership_role
):
    login(client, admin)

    invite(client, role=role, communities=[str(pasadena.id)])

    user = invited_account()
    assert user.is_admin is is_admin
    assert [(m.community_id, m.role) for m in user.memberships] == [
        (pasadena.id, membership_role)
    ]


def test_invitation_link_is_e_mailed(client, admin, login, last_link_to):
    login(client, admin)

    invite(client)

    assert last_link_to("nia@example.org").startswith("/invitations/")


def test_accepting_the_invitation_sets_name_and_password_and_logs_in(
    app, client, admin, login, last_link_to
):
    login(client, admin)
    invite(client)
    client.post("/logout")
    path = last_link_to("nia@example.org")

    assert 'value="Nia"' in text(client.get(path))
    response = accept(client, path)

    assert response.status_code == 303
    assert is_logged_in(client)
    user = invited_account()
    assert user.name == "Nia Newcomer"
    assert login_works(app, user, NEW_PASSWORD)


def test_invitation_link_works_only_once(client, admin, login, last_link_to):
    login(client, admin)
    invite(client)
    path = last_link_to("nia@example.org")
    accept(client, path)

    response = accept(client, path, password="somebody else's password")

    assert response.status_code == 404
    assert login_works(client.application, invited_account(), NEW_PASSWORD)


@pytest.mark.parametrize(
    ("seconds", "status"),
    [(INVITATION_MAX_AGE - 60, 200), (INVITATION_MAX_AGE + 60, 404)],
)
def test_invitation_link_expires_after_a_week(
    client, admin, login, at_time, seconds, status, last_link_to
):
    login(client, admin)
    invite(client)
    path = last_link_to("nia@example.org")

    at_time(seconds)

    assert client.get(path).status_code == status


def test_invitation_goes_out_over_smtp_and_works(client, admin, login, smtp_server):
    login(client, admin)
    invite(client)
    client.post("/logout")

    [received] = smtp_server.to("nia@example.org")
    [link] = LINK.findall(received.text)
    assert accept(client, urlsplit(link).path).status_code == 303
    assert is_logged_in(client)


def test_invitation_to_an_existing_address_is_refused(
    client, admin, learner, login, messages_to
):
    login(client, admin)

    response = invite(client, email="LENA@example.org")

    assert response.status_code == 400
    assert "There is already an account with this address." in text(response)
    assert messages_to(learner.email) == []


def test_invitation_losing_a_race_for_the_address_is_refused(
    client, admin, learner, login, monkeypatch
):
    """The unique index catches what the check before it could not see."""
    login(client, admin)
    monkeypatch.setattr(services, "find_by_email", lambda email: None)

    response = invite(client, email=learner.email)

    assert response.status_code == 400
    assert "There is already an account with this address." in text(response)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"role": "organiser"}, "Tick the communities this organiser will run."),
        ({"email": "nia"}, "Enter an e-mail address like name@example.org."),
        (
            {"email": "nia@example.org\nbcc: someone@example.org"},
            "This is not a valid e-mail address: it must be on one line.",
        ),
        ({"name": ""}, "Enter a name."),
        (
            {"name": "Nia\nNewcomer"},
            "Write this on one line, without special characters.",
        ),
        ({"name": "\u200b\u200b"}, "Write a name with at least one visible letter."),
        ({"name": "\u202eNia"}, "change the direction of the text"),
        ({"role": "owner"}, "Choose one of the options offered."),
        ({"communities": ["99999"]}, "Choose communities from the list."),
        ({"communities": ["abc"]}, "Choose only among the options offered."),
    ],
)
def test_invitation_form_refusals_name_the_problem(
    client, admin, pasadena, login, changes, message
):
    login(client, admin)

    response = invite(client, **changes)

    assert response.status_code == 400
    assert message in text(response)
    assert invited_account() is None


def test_new_invitation_can_be_sent(client, admin, make_user, login, links_sent_to):
    invited = make_user(email="invited@example.org", password=None)
    login(client, admin)

    client.post(f"/admin/people/{invited.id}/invitation")

    assert len(links_sent_to(invited.email)) == 1


def test_a_new_invitation_ends_the_link_of_the_previous_one(
    client, admin, login, links_sent_to
):
    login(client, admin)
    invite(client)

    client.post(f"/admin/people/{invited_account().id}/invitation")

    first, second = links_sent_to("nia@example.org")
    client.post("/logout")
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_invitation_link_ignores_a_forged_host(app, client, admin, messages_to):
    client.post(
        "/login",
        data={"email": admin.email, "password": PASSWORD},
        headers=FORGED_HOST,
    )

    response = client.post(
        "/admin/people/invite",
        data={
            "email": "nia@example.org",
            "name": "Nia",
            "language": "en",
            "role": "learner",
        },
        headers=FORGED_HOST,
    )

    assert response.status_code == 303
    [message] = messages_to("nia@example.org")
    [link] = LINK.findall(message.text)
    assert link.startswith(app.config["SITE_URL"] + "/invitations/")
    assert "evil" not in message.message.as_string()


def test_no_new_invitation_for_an_account_with_a_password(
    client, admin, learner, login, messages_to
):
    login(client, admin)

    client.post(f"/admin/people/{learner.id}/invitation")

    assert messages_to(learner.email) == []


def test_disabled_accounts_invitation_does_not_work(
    client, admin, login, now, last_link_to
):
    login(client, admin)
    invite(client)
    path = last_link_to("nia@example.org")
    client.post(f"/admin/people/{invited_account().id}/disable")

    assert client.get(path).status_code == 404


# People, for admins -------------------------------------------------------------------


ADMIN_PAGES = [
    ("get", "/admin/people/"),
    ("get", "/admin/people/invite"),
    ("post", "/admin/people/invite"),
    ("get", "/admin/people/{id}/"),
    ("post", "/admin/people/{id}/"),
    ("post", "/admin/people/{id}/disable"),
    ("post", "/admin/people/{id}/enable"),
    ("post", "/admin/people/{id}/invitation"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES)
def test_admin_pages_send_anonymous_visitors_to_log_in(client, learner, method, path):
    response = getattr(client, method)(path.format(id=learner.id))

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


@pytest.mark.parametrize("role", ["learner", "organiser"])
@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES)
def test_admin_pages_are_forbidden_to_everyone_else(
    client, make_user, pasadena, login, role, method, path
):
    other = make_user(email="other@example.org", name="Other Person")
    person = make_user(organises=[pasadena] if role == "organiser" else ())
    login(client, person)

    response = getattr(client, method)(path.format(id=other.id))

    assert response.status_code == 403
    assert "other@example.org" not in text(response)
    assert fresh(other).disabled_at is None


def test_admin_sees_everyone_with_their_roles(
    client, admin, make_user, pasadena, login
):
    make_user(name="Olga Organiser", email="olga@example.org", organises=[pasadena])
    make_user(name="Ivan Invited", email="ivan@example.org", password=None)
    login(client, admin)

    page = text(client.get("/admin/people/"))

    assert "olga@example.org" in page
    assert "Organiser, Pasadena TFC" in page
    assert "Invited, no password yet" in page


@pytest.mark.parametrize("path", ["/admin/people/99999/", "/admin/people/x/"])
def test_unknown_person_is_not_found(client, admin, login, path):
    login(client, admin)

    assert client.get(path).status_code == 404


def roles_data(community_roles, is_admin=False):
    data = {f"community_{c.id}": role for c, role in community_roles}
    if is_admin:
        data["is_admin"] = "y"
    return data


def test_admin_grants_the_organiser_role_in_one_community(
    client, admin, learner, pasadena, koreatown, login
):
    login(client, admin)

    response = client.post(
        f"/admin/people/{learner.id}/",
        data=roles_data([(pasadena, "organiser"), (koreatown, "")]),
    )

    assert response.status_code == 303
    assert fresh(learner).organised_community_ids == {pasadena.id}


def test_admin_removes_the_organiser_role(
    client, admin, make_user, pasadena, koreatown, login
):
    person = make_user(organises=[pasadena, koreatown])
    login(client, admin)

    client.post(
        f"/admin/people/{person.id}/",
        data=roles_data([(pasadena, "member"), (koreatown, "")]),
    )

    memberships = db.session.scalars(
        select(Membership).where(Membership.user_id == person.id)
    ).all()
    assert [(m.community_id, m.role) for m in memberships] == [(pasadena.id, "member")]


def test_roles_form_with_a_community_left_out_changes_nothing(
    client, admin, make_user, pasadena, koreatown, login
):
    person = make_user(organises=[pasadena])
    login(client, admin)

    response = client.post(
        f"/admin/people/{person.id}/", data={f"community_{koreatown.id}": "member"}
    )

    assert response.status_code == 400
    assert "Choose a role in this community." in text(response)
    assert fresh(person).organised_community_ids == {pasadena.id}


def test_roles_form_shows_the_current_roles(client, admin, make_user, pasadena, login):
    person = make_user(organises=[pasadena])
    login(client, admin)

    page = text(client.get(f"/admin/people/{person.id}/"))

    assert re.search(
        rf'name="community_{pasadena.id}">.*?<option selected value="organiser">',
        page,
        re.DOTALL,
    )


def test_admin_makes_someone_else_admin(client, admin, learner, login):
    login(client, admin)

    client.post(f"/admin/people/{learner.id}/", data={"is_admin": "y"})

    assert fresh(learner).is_admin


def test_admin_cannot_remove_their_own_admin_role(client, admin, login):
    login(client, admin)

    response = client.post(f"/admin/people/{admin.id}/", data={})

    assert response.status_code == 400
    assert "You cannot remove your own admin role." in text(response)
    assert fresh(admin).is_admin


def test_admin_cannot_disable_themselves(client, admin, login):
    login(client, admin)

    client.post(f"/admin/people/{admin.id}/disable")

    assert fresh(admin).disabled_at is None
    assert is_logged_in(client)


def test_disabled_account_can_be_enabled_again(client, admin, learner, login, app):
    login(client, admin)
    client.post(f"/admin/people/{learner.id}/disable")

    client.post(f"/admin/people/{learner.id}/enable")

    assert fresh(learner).disabled_at is None
    assert login_works(app, learner, PASSWORD)


def test_admin_changes_are_logged_without_personal_data(
    client, admin, learner, pasadena, login, caplog
):
    login(client, admin)
    caplog.set_level("INFO")

    client.post(
        f"/admin/people/{learner.id}/", data=roles_data([(pasadena, "organiser")])
    )
    client.post(f"/admin/people/{learner.id}/disable")
    invite(client)

    assert caplog.records
    for record in caplog.records:
        message = record.getMessage()
        assert "@" not in message
        assert "Lena" not in message and "Nia" not in message


# The navigation -----------------------------------------------------------------------


def nav(client):
    page = text(client.get("/"))
    return page[page.index("<nav") : page.index("</nav>")]


def test_anonymous_visitor_sees_log_in(client):
    links = nav(client)

    assert 'href="/login"' in links
    assert "Log out" not in links


def test_learner_sees_their_account_and_log_out_but_no_admin(client, learner, login):
    login(client, learner)

    links = nav(client)

    assert 'href="/account/"' in links
    assert "Log out" in links
    assert 'href="/admin/people/"' not in links


def test_admin_sees_the_admin_link(client, admin, login):
    login(client, admin)

    assert 'href="/admin/people/"' in nav(client)


# The command line ---------------------------------------------------------------------


def count_accounts():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(User))


def test_create_admin_reads_the_password_from_the_environment(app, runner, monkeypatch):
    monkeypatch.setattr(cli, "has_terminal", lambda: False)

    result = runner.invoke(
        args=["users", "create-admin", "Staff@Example.org", "--name", "Sam Staff"],
        env={"TFC_ADMIN_PASSWORD": NEW_PASSWORD},
    )

    assert result.exit_code == 0, result.output
    user = invited_account("staff@example.org")
    assert user.is_admin and user.is_active
    assert user.name == "Sam Staff"
    assert login_works(app, user, NEW_PASSWORD)


def test_create_admin_asks_on_a_terminal(runner, monkeypatch):
    monkeypatch.setattr(cli, "has_terminal", lambda: True)

    result = runner.invoke(
        args=["users", "create-admin", "staff@example.org"],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output
    assert invited_account("staff@example.org").name == "staff"


def test_create_admin_on_a_terminal_checks_the_length_before_asking_again(
    runner, monkeypatch
):
    monkeypatch.setattr(cli, "has_terminal", lambda: True)

    result = runner.invoke(
        args=["users", "create-admin", "staff@example.org"], input="short\n"
    )

    assert result.exit_code == 1
    assert "12 to 200 characters" in result.output
    assert "Repeat" not in result.output
    assert count_accounts() == 0


def test_create_admin_on_a_terminal_needs_the_same_password_twice(runner, monkeypatch):
    monkeypatch.setattr(cli, "has_terminal", lambda: True)

    result = runner.invoke(
        args=["users", "create-admin", "staff@example.org"],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}!\n",
    )

    assert result.exit_code == 1
    assert "The two passwords are not the same." in result.output
    assert count_accounts() == 0


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["staff@example.org"], {}, "Set the TFC_ADMIN_PASSWORD environment variable"),
        (
            ["staff@example.org"],
            {"TFC_ADMIN_PASSWORD": "short"},
            "12 to 200 characters",
        ),
        (
            ["not-an-address"],
            {"TFC_ADMIN_PASSWORD": NEW_PASSWORD},
            "not an e-mail address",
        ),
    ],
)
def test_create_admin_refusals_say_what_to_fix(runner, monkeypatch, args, env, message):
    monkeypatch.setattr(cli, "has_terminal", lambda: False)
    monkeypatch.delenv("TFC_ADMIN_PASSWORD", raising=False)

    result = runner.invoke(args=["users", "create-admin", *args], env=env)

    assert result.exit_code != 0
    assert message in result.output
    assert count_accounts() == 0


def test_create_admin_refuses_an_existing_address(runner, learner, monkeypatch):
    monkeypatch.setattr(cli, "has_terminal", lambda: False)

    result = runner.invoke(
        args=["users", "create-admin", learner.email],
        env={"TFC_ADMIN_PASSWORD": NEW_PASSWORD},
    )

    assert result.exit_code == 1
    assert "There is already an account with this address." in result.output
    assert not fresh(learner).is_admin


def test_services_hash_with_scrypt():
    assert services.hash_password(NEW_PASSWORD).startswith("scrypt:")

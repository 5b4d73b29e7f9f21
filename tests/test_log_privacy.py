"""No log record holds a registrant's name, e-mail address or secret link.

The flows that touch personal data run through a real server on loopback, so that
the server's own request log is captured too: signing up, e-mail sent over SMTP, the
registrant's page and feed, cancelling, the check-in list and its search, check-in,
a walk-in, the CSV export, a personal calendar address and a password reset. Every
record of every logger, down to DEBUG, is then read for the secrets.
"""

import logging
import re
import time
from datetime import timedelta
from urllib.parse import quote, quote_plus

import pytest
import requests
from mail_support import MANAGE_PATH

from tfc_training.calendar.personal import registration_feed_token
from tfc_training.extensions import db
from tfc_training.registration.models import Registration

PASSWORD = "correct horse battery"

#: Loggers captured at DEBUG besides the root: the app's own and the server's.
LOGGERS = ("tfc_training", "werkzeug", "flask-limiter")

#: The test's own HTTP client and SMTP server log what they send and receive; they
#: stand in for the visitor's browser and the mail server, and are not the app.
TEST_LOGGERS = ("urllib3", "mail.log")

#: People whose data the flows handle; none of it may reach a log.
SIGNING_UP = ("Xiomara Lintwhistle", "xiomara.lintwhistle@example.org")
AT_THE_DOOR = ("Quennell Brightwater", "quennell.b@example.org")
WALKING_IN = "Yusuf Marrowdale"
ORGANISER = ("Odalys Feathering", "odalys.f@example.net")


@pytest.fixture
def captured(caplog):
    """Every record, at DEBUG, from the root and the named loggers."""
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def written_forms(secret: str) -> set[str]:
    """The secret as text and as it is written in an address."""
    return {secret, quote(secret), quote_plus(secret)}


def secrets_in(caplog, secrets) -> list[tuple[str, str]]:
    """Each secret found in a record's message, arguments or traceback, as written
    in text or in an address."""
    forms = {
        form.lower(): secret for secret in secrets for form in written_forms(secret)
    }
    found = []
    for record in caplog.records:
        if record.name.startswith(TEST_LOGGERS):
            continue
        texts = [record.getMessage(), repr(record.args), record.exc_text or ""]
        if record.exc_info:
            texts.append(logging.Formatter().formatException(record.exc_info))
        text = "\n".join(texts).lower()
        found += [
            (secret, record.name) for form, secret in forms.items() if form in text
        ]
    return found


def arrived(smtp_server, address):
    """The message for ``address``, which the site sends once its answer is out."""
    for _ in range(600):
        if smtp_server.to(address):
            return smtp_server.to(address)[-1]
        time.sleep(0.05)
    raise AssertionError(f"no message arrived for {address}")


def test_personal_data_stays_out_of_the_logs(
    app, live_server, smtp_server, make_community, make_event, make_user, now, captured
):
    home = make_community(slug="harbor", name="Harbor TFC")
    coming = make_event(slug="coming", title="Coming soon", community=home)
    today = make_event(
        slug="today",
        title="Under way",
        community=home,
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=2),
    )
    door = Registration(
        event=today,
        name=AT_THE_DOOR[0],
        email=AT_THE_DOOR[1],
        language="en",
        status="confirmed",
        consented_at=now - timedelta(days=1),
    )
    db.session.add(door)
    make_user(email=ORGANISER[1], name=ORGANISER[0], organises=[home])
    db.session.commit()
    door_id = door.id
    secrets = [*SIGNING_UP, *AT_THE_DOOR, WALKING_IN, *ORGANISER]

    # A stranger signs up, reads the e-mail, their page and feed, and cancels.
    visitor = requests.Session()
    signed = visitor.post(
        f"{live_server}/events/{coming.slug}/register",
        data={
            "name": SIGNING_UP[0],
            "email": SIGNING_UP[1],
            "language": "en",
            "consent": "y",
        },
    )
    assert signed.status_code == 200, signed.text
    [message] = smtp_server.to(SIGNING_UP[1])
    token = message.token
    feed_token = registration_feed_token(token)
    secrets += [token, feed_token]
    assert visitor.get(f"{live_server}/r/{token}").status_code == 200
    assert visitor.get(f"{live_server}/r/{feed_token}/calendar.ics").ok
    cancelled = visitor.post(f"{live_server}/r/{token}/cancel")
    assert cancelled.status_code == 200
    assert smtp_server.to(SIGNING_UP[1])[-1] is not message

    # The organiser logs in and works the door: search, check-in, walk-in, export.
    desk = requests.Session()
    logged_in = desk.post(
        f"{live_server}/login", data={"email": ORGANISER[1], "password": PASSWORD}
    )
    assert logged_in.ok
    checkin = f"{live_server}/organise/events/{today.slug}/check-in"
    searched = desk.get(checkin, params={"q": AT_THE_DOOR[0]})
    assert AT_THE_DOOR[0] in searched.text
    assert desk.post(f"{checkin}/{door_id}").ok
    walked_in = desk.post(
        f"{live_server}/organise/events/{today.slug}/walk-ins",
        data={"name": WALKING_IN, "language": "en", "sector": "schools"},
    )
    assert walked_in.ok
    export = desk.get(f"{live_server}/organise/events/{today.slug}/registrants.csv")
    assert AT_THE_DOOR[1] in export.text

    # A personal calendar address, made and used.
    account = desk.post(f"{live_server}/account/feed")
    account_feed = re.search(r"/feeds/([A-Za-z0-9_-]+)\.ics", account.text).group(1)
    secrets.append(account_feed)
    assert desk.get(f"{live_server}/feeds/{account_feed}.ics").ok

    # A forgotten password: the link arrives and is opened.
    assert requests.post(
        f"{live_server}/password/forgot", data={"email": ORGANISER[1]}
    ).ok
    reset = arrived(smtp_server, ORGANISER[1])
    reset_token = re.search(r"/password/reset/([^\s\"<>]+)", reset.text).group(1)
    secrets.append(reset_token)
    assert requests.get(f"{live_server}/password/reset/{reset_token}").ok

    assert MANAGE_PATH.search(message.text)
    assert any(r.name == "werkzeug" for r in captured.records), "no request log seen"
    assert secrets_in(captured, secrets) == []

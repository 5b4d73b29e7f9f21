"""E-mail: what each flow sends, read from a real SMTP server on loopback, and how the
outbox keeps a message until it is delivered exactly once."""

import logging
import re
import smtplib
import socket
import stat
import threading
from datetime import timedelta

import icalendar
import pytest
import requests
from mail_support import MANAGE_PATH, written_mail
from organise_support import build_site, form_data, local, log_in
from sqlalchemy import select, update

from tfc_training.accounts.models import User
from tfc_training.events.formatting import format_when
from tfc_training.events.models import Event
from tfc_training.events.services import apply_event_changes
from tfc_training.extensions import db
from tfc_training.mail import delivery
from tfc_training.mail import services as mail
from tfc_training.mail.delivery import describe_error
from tfc_training.mail.links import site_url_for
from tfc_training.mail.models import OutboxMessage
from tfc_training.registration.models import ManageToken, Registration
from tfc_training.registration.services import cancel

ANA = {
    "name": "Ana Díaz",
    "email": "ana@example.org",
    "sector": "schools",
    "language": "en",
    "accessibility": "",
    "consent": "y",
}


def sign_up(client, event, **changes):
    """Post the sign-up form as a person would, with ``changes`` to Ana's answers."""
    response = client.post(f"/events/{event.slug}/register", data={**ANA, **changes})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def person(number):
    return {"name": f"Person Number{number}", "email": f"person{number}@example.org"}


def words(text):
    """A message's text with its lines joined again, to look for a sentence in it."""
    return " ".join(text.split())


def outbox(**filters):
    db.session.rollback()
    statement = select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id)
    return db.session.scalars(statement).all()


def registration_of(email):
    db.session.rollback()
    return db.session.scalar(select(Registration).where(Registration.email == email))


def calendar_of(received):
    """The one calendar attached to a message, parsed, with its Content-Type method."""
    (part,) = received.calendars
    calendar = icalendar.Calendar.from_ical(part.get_content())
    return calendar, part["Content-Type"].params.get("method")


def manage_page(client, received):
    response = client.get(received.manage_path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- Sign-up ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "full, subject, standing",
    [
        (False, "You have a place: Listening group", "You have a place at this event."),
        (
            True,
            "You are on the waiting list: Listening group",
            "You are on the waiting list, number 1.",
        ),
    ],
    ids=["place", "waiting-list"],
)
def test_sign_up_mails_the_link_and_the_event(
    client, make_event, smtp_server, full, subject, standing
):
    event = make_event(title="Listening group", capacity=1)
    if full:
        sign_up(client, event, **person(1))

    sign_up(client, event)

    (received,) = smtp_server.to("ana@example.org")
    assert received.recipients == ["ana@example.org"]
    assert received.subject == subject
    assert "Hello Ana Díaz," in received.text
    assert received.manage_url in received.html
    assert standing in manage_page(client, received)


def test_sign_up_attaches_the_event_with_the_method_of_its_content_type(
    client, make_event, smtp_server
):
    event = make_event(title="Listening group")

    sign_up(client, event)

    (received,) = smtp_server.to("ana@example.org")
    calendar, method = calendar_of(received)
    (component,) = calendar.walk("VEVENT")
    assert method == calendar["METHOD"] == "PUBLISH"
    assert str(component["SUMMARY"]) == "Listening group"
    assert component["UID"] == f"event-{event.id}@tfc.test"
    assert received.calendars[0].get_filename() == "event.ics"


def test_manage_link_from_the_mail_opens_the_registration_it_was_sent_for(
    client, make_event, smtp_server
):
    event = make_event(capacity=1)
    sign_up(client, event, **person(1))
    sign_up(client, event, **person(2))

    first, second = (
        smtp_server.to("person1@example.org"),
        smtp_server.to("person2@example.org"),
    )

    assert "You have a place at this event." in manage_page(client, first[0])
    assert "on the waiting list, number 1." in manage_page(client, second[0])


def test_the_answer_page_holds_no_link_and_says_the_mail_is_on_its_way(
    client, make_event, smtp_server
):
    event = make_event()

    html = sign_up(client, event).get_data(as_text=True)

    (received,) = smtp_server.to("ana@example.org")
    assert received.token not in html
    assert not MANAGE_PATH.search(html)
    assert "We have e-mailed you a personal link." in html


def test_repeated_email_is_sent_its_link_again(client, make_event, smtp_server):
    event = make_event()
    sign_up(client, event)

    sign_up(client, event, name="Someone Else", email="ANA@example.org")

    first, again = smtp_server.to("ana@example.org")
    assert again.subject == f"Your link for {event.title}"
    assert "Hello Ana Díaz," in again.text
    assert "Someone Else" not in again.text
    assert again.token != first.token
    assert "You have a place at this event." in manage_page(client, again)
    assert not again.calendars


def test_link_is_sent_again_at_most_once_in_a_while(client, make_event, smtp_server):
    """Someone repeating another person's address cannot flood their inbox."""
    event = make_event()
    sign_up(client, event)

    for _ in range(3):
        sign_up(client, event)

    assert [m.subject for m in smtp_server.to("ana@example.org")] == [
        f"You have a place: {event.title}",
        f"Your link for {event.title}",
    ]


def test_link_is_sent_again_once_the_interval_has_passed(
    client, make_event, smtp_server
):
    event = make_event()
    sign_up(client, event)
    sign_up(client, event)
    for message in outbox():
        message.created_at -= mail.LINK_RESEND_INTERVAL
    db.session.commit()

    sign_up(client, event)

    assert len(smtp_server.to("ana@example.org")) == 3


def test_pending_sign_up_is_told_to_wait_without_a_calendar(
    client, make_event, smtp_server
):
    event = make_event(title="Listening group", requires_approval=True)

    sign_up(client, event)

    (received,) = smtp_server.to("ana@example.org")
    assert received.subject == "We have your request: Listening group"
    assert not received.calendars
    assert "waiting for the organisers' approval" in manage_page(client, received)


# --- Promotion and cancellation ----------------------------------------------------


def test_cancelling_mails_a_confirmation_and_promotes_the_next_person(
    client, make_event, smtp_server
):
    event = make_event(title="Listening group", capacity=1)
    sign_up(client, event)
    sign_up(client, event, **person(2))
    (ana,) = smtp_server.to("ana@example.org")

    response = client.post(f"{ana.manage_path}/cancel")

    assert response.status_code == 303
    cancelled = smtp_server.to("ana@example.org")[-1]
    assert cancelled.subject == "Sign-up cancelled: Listening group"
    assert "Thank you for letting us know" in words(cancelled.text)
    assert not MANAGE_PATH.search(cancelled.text)

    promoted = smtp_server.to("person2@example.org")[-1]
    assert promoted.subject == "A place is yours: Listening group"
    assert "a place has come free" in promoted.text
    _, method = calendar_of(promoted)
    assert method == "PUBLISH"
    assert "You have a place at this event." in manage_page(client, promoted)


def test_cancelling_twice_mails_once(client, make_event, smtp_server):
    event = make_event()
    sign_up(client, event)
    (ana,) = smtp_server.to("ana@example.org")

    client.post(f"{ana.manage_path}/cancel")
    client.post(f"{ana.manage_path}/cancel")

    assert len(smtp_server.to("ana@example.org")) == 2


def test_a_promotion_is_mailed_once_however_often_it_is_announced(
    client, make_event, smtp_server
):
    event = make_event(capacity=1)
    sign_up(client, event)
    sign_up(client, event, **person(2))
    client.post(f"{smtp_server.to('ana@example.org')[0].manage_path}/cancel")

    mail.notify_promoted(registration_of("person2@example.org"))
    db.session.commit()
    mail.deliver_queued()

    subjects = [m.subject for m in smtp_server.to("person2@example.org")]
    assert subjects.count(f"A place is yours: {event.title}") == 1


# --- Changed and cancelled events ---------------------------------------------------


@pytest.fixture
def registrants(client, make_event, smtp_server):
    """An event with one person confirmed, one waiting, one who cancelled."""
    event = make_event(title="Listening group", capacity=1)
    sign_up(client, event, **person(1))
    sign_up(client, event, **person(2))
    sign_up(client, event, **person(3))
    gone = smtp_server.to("person3@example.org")[0]
    client.post(f"{gone.manage_path}/cancel")
    smtp_server.received.clear()
    db.session.rollback()
    return db.session.get(Event, event.id)


def move(event, **values):
    """Change an event as the organiser tools do; return the changes to announce."""
    before = {name: getattr(event, name) for name in values}
    apply_event_changes(event, values)
    db.session.flush()
    return {name: (before[name], getattr(event, name)) for name in values}


def test_reschedule_mails_every_active_registrant_an_updated_calendar(
    client, registrants, smtp_server
):
    event = registrants
    old_sequence = event.sequence
    changes = move(
        event,
        starts_at=event.starts_at + timedelta(days=1),
        ends_at=event.ends_at + timedelta(days=1),
        venue_name="Library",
    )

    mail.notify_event_changed(event, changes)
    db.session.commit()
    mail.deliver_queued()

    assert sorted(r for m in smtp_server.received for r in m.recipients) == [
        "person1@example.org",
        "person2@example.org",
    ]
    for received in smtp_server.received:
        assert received.subject == "Changed: Listening group"
        assert "Before: Community hall, 100 Main St" in received.text
        assert "Now: Library, 100 Main St" in received.text
        calendar, method = calendar_of(received)
        (component,) = calendar.walk("VEVENT")
        assert method == calendar["METHOD"] == "REQUEST"
        assert component["SEQUENCE"] == old_sequence + 1
        assert component["DTSTART"].dt == event.starts_at.astimezone(event.zone)
    assert "You have a place at this event." in manage_page(
        client, smtp_server.to("person1@example.org")[0]
    )


def test_reschedule_shows_the_old_and_the_new_time(registrants, smtp_server):
    event = registrants
    new_start = event.starts_at + timedelta(hours=3)
    changes = move(event, starts_at=new_start, ends_at=new_start + timedelta(hours=2))

    mail.notify_event_changed(event, changes)
    db.session.commit()
    mail.deliver_queued()

    text = smtp_server.to("person1@example.org")[0].text
    assert f"Now: {format_when(event, 'en')}" in text
    old = Event(
        starts_at=changes["starts_at"][0],
        ends_at=changes["ends_at"][0],
        all_day=False,
        timezone=event.timezone,
    )
    assert f"Before: {format_when(old, 'en')}" in text


def test_reschedule_through_the_organiser_tools_mails_the_registrants(
    client, make_community, make_user, make_event, now, smtp_server
):
    site = build_site(make_community, make_user, make_event, now)
    sign_up(client, site.event)
    (confirmation,) = smtp_server.to("ana@example.org")
    log_in(client, site.organiser)
    later = site.start + timedelta(days=2)

    response = client.post(
        f"/organise/events/{site.event.slug}/edit",
        data=form_data(
            site.event,
            starts_at=local(later, site.event),
            ends_at=local(later + timedelta(hours=2), site.event),
        ),
    )

    assert response.status_code == 303
    changed = smtp_server.to("ana@example.org")[-1]
    assert changed.subject == f"Changed: {site.event.title}"
    calendar, method = calendar_of(changed)
    assert method == calendar["METHOD"] == "REQUEST"
    (component,) = calendar.walk("VEVENT")
    assert component["DTSTART"].dt == later.astimezone(site.event.zone)
    assert changed.token != confirmation.token


def test_cancelled_event_mails_a_calendar_that_removes_it(registrants, smtp_server):
    event = registrants
    apply_event_changes(event, {"status": "cancelled"})
    db.session.flush()

    mail.notify_event_cancelled(event)
    db.session.commit()
    mail.deliver_queued()

    assert len(smtp_server.received) == 2
    for received in smtp_server.received:
        assert received.subject == "Cancelled: Listening group"
        calendar, method = calendar_of(received)
        (component,) = calendar.walk("VEVENT")
        assert method == calendar["METHOD"] == "CANCEL"
        assert component["STATUS"] == "CANCELLED"
        assert component["SEQUENCE"] == event.sequence


def test_the_same_change_is_announced_once(registrants, smtp_server):
    event = registrants
    changes = move(event, venue_name="Library")

    mail.notify_event_changed(event, changes)
    mail.notify_event_changed(event, changes)
    db.session.commit()
    mail.deliver_queued()

    assert len(smtp_server.received) == 2


# --- Reminders --------------------------------------------------------------------


def test_reminders_go_once_to_confirmed_people_of_events_a_day_away(
    app, client, runner, make_event, now, smtp_server
):
    soon = make_event(title="Soon", starts_at=now + timedelta(hours=30), capacity=1)
    tomorrow_morning = make_event(title="Too soon", starts_at=now + timedelta(hours=20))
    later = make_event(title="Later", starts_at=now + timedelta(days=3))
    for event in (soon, tomorrow_morning, later):
        sign_up(client, event)
    sign_up(client, soon, **person(2))
    smtp_server.received.clear()

    first = runner.invoke(args=["mail", "send-reminders"])
    second = runner.invoke(args=["mail", "send-reminders"])

    assert first.exit_code == 0, first.output
    assert "1 reminders queued, 1 sent, 0 failed." in first.output
    assert "0 reminders queued" in second.output
    (reminder,) = smtp_server.received
    assert reminder.recipients == ["ana@example.org"]
    assert reminder.subject == "Reminder: Soon"
    assert reminder.manage_url.startswith(app.config["SITE_URL"] + "/r/")
    assert "You have a place at this event." in manage_page(client, reminder)


class TestWithoutARequest:
    @pytest.fixture
    def app_config(self):
        return {"SITE_URL": "https://tfc.example.org/training"}

    def test_links_start_with_the_site_url(
        self, client, runner, make_event, now, smtp_server
    ):
        sign_up(client, make_event(starts_at=now + timedelta(hours=30)))

        runner.invoke(args=["mail", "send-reminders"])

        reminder = smtp_server.received[-1]
        assert reminder.subject.startswith("Reminder:")
        assert reminder.manage_url.startswith("https://tfc.example.org/training/r/")
        assert "https://tfc.example.org/training/events/" in reminder.text


def test_a_rescheduled_event_is_reminded_of_again(client, make_event, now, smtp_server):
    event = make_event(starts_at=now + timedelta(hours=30))
    sign_up(client, event)
    mail.queue_reminders(now=now)
    db.session.commit()
    move(
        event,
        starts_at=event.starts_at + timedelta(hours=1),
        ends_at=event.ends_at + timedelta(hours=1),
    )
    db.session.commit()

    assert mail.queue_reminders(now=now) == 1


# --- When the mail server is away ---------------------------------------------------


def test_sign_up_while_the_server_is_down_is_kept_and_sent_by_flush(
    client, runner, make_event, smtp_server
):
    event = make_event()
    smtp_server.stop()

    response = sign_up(client, event)

    assert "You have a place at this event." in response.get_data(as_text=True)
    assert registration_of("ana@example.org").status == "confirmed"
    (message,) = outbox()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error.startswith("ConnectionRefusedError")
    assert "ana" not in message.last_error

    smtp_server.start()
    flushed = runner.invoke(args=["mail", "flush"])
    again = runner.invoke(args=["mail", "flush"])

    assert flushed.exit_code == 0, flushed.output
    assert "1 sent, 0 failed." in flushed.output
    assert "0 sent, 0 failed." in again.output
    (received,) = smtp_server.to("ana@example.org")
    assert "You have a place at this event." in manage_page(client, received)


def test_flush_reports_failures_with_a_nonzero_status(
    runner, client, make_event, smtp_server
):
    smtp_server.stop()
    sign_up(client, make_event())

    result = runner.invoke(args=["mail", "flush"])

    assert result.exit_code == 1
    assert "0 sent, 1 failed." in result.output
    assert outbox()[0].attempts == 2


def test_two_flushes_at_once_send_each_message_once(
    app, client, make_event, smtp_server
):
    event = make_event()
    smtp_server.stop()
    for number in range(30):
        sign_up(client, event, **person(number))
    smtp_server.start()
    db.session.commit()
    barrier = threading.Barrier(2)
    reports = []

    def flush():
        with app.app_context():
            barrier.wait()
            reports.append(mail.flush_outbox())
            db.session.remove()

    threads = [threading.Thread(target=flush) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    received = sorted(r for m in smtp_server.received for r in m.recipients)
    assert received == sorted(f"person{n}@example.org" for n in range(30))
    assert sum(report.sent for report in reports) == 30
    assert all(message.sent_at is not None for message in outbox())


def test_a_refused_recipient_fails_alone(client, make_event, smtp_server):
    event = make_event()
    smtp_server.stop()
    sign_up(client, event, **person(1))
    sign_up(client, event, **person(2))
    smtp_server.refused.add("person1@example.org")
    smtp_server.start()

    report = mail.flush_outbox()

    assert (report.sent, report.failed) == (1, 1)
    assert smtp_server.to("person2@example.org")
    refused = outbox(recipient="person1@example.org")[0]
    assert refused.sent_at is None
    assert refused.last_error == "SMTPRecipientsRefused: 550"


def test_a_server_that_never_answers_times_out(app, client, make_event, smtp_server):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    app.config.update(MAIL_PORT=silent.getsockname()[1], MAIL_TIMEOUT=0.2)
    try:
        sign_up(client, make_event())
    finally:
        silent.close()

    (message,) = outbox()
    assert message.sent_at is None
    assert message.last_error == (
        "SMTPServerDisconnected: Connection unexpectedly closed: timed out"
    )


def test_flush_leaves_alone_messages_that_failed_too_often(
    app, runner, client, make_event, smtp_server
):
    smtp_server.stop()
    sign_up(client, make_event())
    db.session.execute(
        update(OutboxMessage).values(attempts=app.config["MAIL_MAX_ATTEMPTS"])
    )
    db.session.commit()
    smtp_server.start()

    result = runner.invoke(args=["mail", "flush"])

    assert "0 sent, 0 failed." in result.output
    assert "1 not tried again" in result.output
    assert smtp_server.received == []


def test_a_delivery_that_breaks_never_breaks_the_answer(
    client, make_event, monkeypatch, caplog
):
    def broken(ids=None):
        raise RuntimeError("ana@example.org")

    monkeypatch.setattr(mail, "deliver", broken)

    response = sign_up(client, make_event())

    assert "You have a place at this event." in response.get_data(as_text=True)
    assert outbox()[0].sent_at is None
    assert "RuntimeError" in caplog.text
    assert "ana@example.org" not in caplog.text


@pytest.mark.parametrize(
    "error, expected",
    [
        (
            ConnectionRefusedError(111, "Connection refused"),
            "ConnectionRefusedError: Connection refused",
        ),
        (TimeoutError("timed out"), "TimeoutError"),
    ],
)
def test_failure_reasons_are_technical(error, expected):
    assert describe_error(error) == expected


# --- Without an SMTP server ---------------------------------------------------------


def test_without_a_server_messages_are_written_to_files(
    client, make_event, mail_folder, caplog
):
    caplog.set_level(logging.INFO)
    event = make_event()

    sign_up(client, event)

    (written,) = written_mail(mail_folder)
    assert written.recipients == ["ana@example.org"]
    assert "You have a place at this event." in manage_page(client, written)
    (message,) = outbox()
    assert message.sent_at is not None
    (path,) = mail_folder.glob("*.eml")
    assert f"mail message {message.id} written to {path.name}" in caplog.text


# --- Privacy -----------------------------------------------------------------------


def test_sent_messages_keep_no_secret_link(client, make_event, smtp_server):
    sign_up(client, make_event())

    (message,) = outbox()
    (received,) = smtp_server.to("ana@example.org")
    assert message.sent_at is not None
    assert received.token not in message.text_body
    assert message.html_body is None
    stored = db.session.scalars(select(ManageToken.token_hash)).all()
    assert received.token not in stored


def test_forgetting_a_registration_deletes_its_messages(
    client, make_event, smtp_server
):
    event = make_event()
    sign_up(client, event)
    sign_up(client, event, **person(2))

    mail.forget_messages(registration_of("ana@example.org"))
    db.session.commit()

    assert [m.recipient for m in outbox()] == ["person2@example.org"]


def test_no_log_record_names_a_registrant(
    client, runner, make_event, now, smtp_server, caplog
):
    caplog.set_level(logging.DEBUG)
    event = make_event(starts_at=now + timedelta(hours=30), capacity=1)
    sign_up(client, event)
    sign_up(client, event, name="Bea Lopez", email="bea@example.org")
    sign_up(client, event)
    smtp_server.stop()
    (ana,) = smtp_server.to("ana@example.org")[:1]
    client.post(f"{ana.manage_path}/cancel")
    smtp_server.start()
    runner.invoke(args=["mail", "flush"])
    runner.invoke(args=["mail", "send-reminders"])

    secrets = ["Ana", "Díaz", "Bea", "Lopez", "example.org"]
    secrets += [m.token for m in smtp_server.received if MANAGE_PATH.search(m.text)]
    # The test server's own log is not the application's.
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert any(r.name.startswith("tfc_training.mail") for r in ours)
    for record in ours:
        for secret in secrets:
            assert secret not in record.getMessage(), record.name


# --- Language ---------------------------------------------------------------------


class TestLanguage:
    @pytest.fixture
    def app_config(self):
        return {"LANGUAGES": ["en", "es"]}

    @pytest.mark.parametrize(
        "language, locale, weekday",
        [("es", "es", "lunes"), ("ko", "en", "Monday"), ("en", "en", "Monday")],
    )
    def test_messages_are_in_the_registrants_language_when_there_is_one(
        self, client, make_event, now, smtp_server, language, locale, weekday
    ):
        monday = now + timedelta(days=(7 - now.weekday()) % 7 + 7)
        event = make_event(starts_at=monday.replace(hour=20))

        sign_up(client, event, language=language)

        (received,) = smtp_server.to("ana@example.org")
        assert f'<html lang="{locale}">' in received.html
        assert weekday in received.text


# --- Accounts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "send, subject",
    [
        (mail.send_invitation, "Your invitation to"),
        (mail.send_password_reset, "Reset your password for"),
    ],
)
def test_account_messages_carry_their_link(app, smtp_server, send, subject):
    user = User(email="olivia@example.org", name="Olivia", language="en")
    db.session.add(user)
    db.session.flush()

    send(user, "http://127.0.0.1:5000/secret-link", valid_for=timedelta(hours=1))
    db.session.commit()
    mail.deliver_queued()

    (received,) = smtp_server.to("olivia@example.org")
    assert received.subject.startswith(subject)
    assert "http://127.0.0.1:5000/secret-link" in received.text
    assert "http://127.0.0.1:5000/secret-link" in received.html
    assert "1 hour" in received.text
    assert outbox()[0].account_id == user.id


# --- Links start with the site's address, whatever the request said ---------------

FORGED_HOST = {"Host": "evil.example.net"}
SITE_URL = "https://tfc.example.org/training"
URL = re.compile(r"https?://[^\s\"'<>\\]+")


def everything_readable(received):
    """The text, the HTML and the unfolded calendar files of a message."""
    calendars = [
        re.sub(r"\r?\n[ \t]", "", part.get_content()) for part in received.calendars
    ]
    return [received.text, received.html, *calendars]


def assert_links_on_the_site(received):
    links = [
        link for part in everything_readable(received) for link in URL.findall(part)
    ]
    assert links
    for link in links:
        assert link.startswith(SITE_URL + "/"), link
    assert "evil" not in received.message.as_string()


def notify_in_forged_request(app, notify):
    """Queue messages as a request with a forged Host header would, and send them."""
    with app.test_request_context("/", method="POST", headers=FORGED_HOST):
        notify()
        db.session.commit()
        mail.deliver_queued()


class TestLinksFollowTheSiteURL:
    @pytest.fixture
    def app_config(self):
        return {"SITE_URL": SITE_URL}

    def test_sign_up_with_a_forged_host_mails_links_to_the_site(
        self, client, make_event, smtp_server
    ):
        event = make_event()

        response = client.post(
            f"/events/{event.slug}/register", data=ANA, headers=FORGED_HOST
        )

        assert response.status_code == 200
        (received,) = smtp_server.to("ana@example.org")
        assert received.manage_url.startswith(f"{SITE_URL}/r/")
        assert f"{SITE_URL}/events/{event.slug}/" in received.text
        assert_links_on_the_site(received)

    @pytest.mark.parametrize(
        "notify",
        [
            "manage_link",
            "promoted",
            "cancelled",
            "cancelled_by_organiser",
            "rejected",
            "event_changed",
            "event_cancelled",
            "reminder",
        ],
    )
    def test_no_message_takes_its_links_from_the_request(
        self, app, client, make_event, now, smtp_server, notify
    ):
        event = make_event(starts_at=now + timedelta(hours=30))
        sign_up(client, event)
        smtp_server.received.clear()
        registration = registration_of("ana@example.org")
        actions = {
            "manage_link": lambda: mail.notify_manage_link(registration),
            "promoted": lambda: mail.notify_promoted(registration),
            "cancelled": lambda: cancel(registration, now=now, notify=True),
            "cancelled_by_organiser": lambda: cancel(
                registration, now=now, notify=True, by_organiser=True
            ),
            "rejected": lambda: mail.notify_rejected(registration),
            "event_changed": lambda: mail.notify_event_changed(
                event, move(event, venue_name="Library")
            ),
            "event_cancelled": lambda: mail.notify_event_cancelled(event),
            "reminder": lambda: mail.queue_reminders(now=now),
        }

        notify_in_forged_request(app, actions[notify])

        (received,) = smtp_server.to("ana@example.org")
        assert_links_on_the_site(received)

    @pytest.mark.parametrize("send", [mail.send_invitation, mail.send_password_reset])
    def test_account_links_built_by_the_mail_package_ignore_the_host(
        self, app, smtp_server, send
    ):
        user = User(email="olivia@example.org", name="Olivia", language="en")
        db.session.add(user)
        db.session.flush()

        notify_in_forged_request(
            app, lambda: send(user, site_url_for("accounts.login"))
        )

        (received,) = smtp_server.to("olivia@example.org")
        assert_links_on_the_site(received)


# --- Calendar files ----------------------------------------------------------------


def the_event(received):
    """The one event of a message's calendar file, and the file's method."""
    calendar, method = calendar_of(received)
    (component,) = calendar.walk("VEVENT")
    return component, method


def mailto(component, name):
    value = component.get(name)
    return str(value) if value is not None else None


def test_a_place_is_published_without_organizer_or_attendee(
    client, make_event, smtp_server
):
    sign_up(client, make_event())

    component, method = the_event(smtp_server.to("ana@example.org")[0])

    assert method == "PUBLISH"
    assert component["STATUS"] == "CONFIRMED"
    assert mailto(component, "ORGANIZER") is None
    assert mailto(component, "ATTENDEE") is None


def test_a_turn_on_the_waiting_list_is_tentative(client, make_event, smtp_server):
    event = make_event(capacity=1)
    sign_up(client, event, **person(1))

    sign_up(client, event)

    component, method = the_event(smtp_server.to("ana@example.org")[0])
    assert method == "PUBLISH"
    assert component["STATUS"] == "TENTATIVE"


def test_a_mailed_calendar_is_stamped_when_it_is_written(
    client, make_event, now, smtp_server
):
    """Not with the event's last change: a confirmed place after a tentative one,
    of the same revision, must look newer to the calendar that has the first."""
    event = make_event(capacity=1, updated_at=now - timedelta(days=1))
    sign_up(client, event, **person(1))
    sign_up(client, event)
    (first,) = smtp_server.to("person1@example.org")

    client.post(f"{first.manage_path}/cancel")

    promoted = smtp_server.to("ana@example.org")[-1]
    component, _ = the_event(promoted)
    assert component["STATUS"] == "CONFIRMED"
    assert component["DTSTAMP"].dt > now - timedelta(hours=1)
    assert component["LAST-MODIFIED"].dt == now - timedelta(days=1)


def test_cancelling_mails_a_calendar_that_drops_the_event(
    app, client, make_event, smtp_server
):
    event = make_event(title="Listening group")
    sign_up(client, event)
    (ana,) = smtp_server.to("ana@example.org")

    client.post(f"{ana.manage_path}/cancel")

    component, method = the_event(smtp_server.to("ana@example.org")[-1])
    assert method == "CANCEL"
    assert component["STATUS"] == "CANCELLED"
    assert component["UID"] == f"event-{event.id}@tfc.test"
    assert component["SEQUENCE"] == event.sequence + 1
    assert mailto(component, "ORGANIZER") == "mailto:no-reply@tfc-training.localhost"
    assert mailto(component, "ATTENDEE") == "mailto:ana@example.org"


@pytest.mark.parametrize("status", ["confirmed", "waitlisted", "pending"])
def test_a_change_mails_a_calendar_that_fits_the_standing(
    client, make_event, smtp_server, status
):
    event = make_event(capacity=1, requires_approval=status == "pending")
    if status == "waitlisted":
        sign_up(client, event, **person(1))
    sign_up(client, event)
    smtp_server.received.clear()
    event = db.session.get(Event, event.id)

    mail.notify_event_changed(event, move(event, venue_name="Library"))
    db.session.commit()
    mail.deliver_queued()

    (received,) = smtp_server.to("ana@example.org")
    if status == "pending":
        assert not received.calendars
        assert "calendar file" not in words(received.text)
        return
    component, method = the_event(received)
    assert method == "REQUEST"
    assert (
        component["STATUS"]
        == {"confirmed": "CONFIRMED", "waitlisted": "TENTATIVE"}[status]
    )
    assert mailto(component, "ORGANIZER") == "mailto:no-reply@tfc-training.localhost"
    assert mailto(component, "ATTENDEE") == "mailto:ana@example.org"


@pytest.mark.parametrize("requires_approval", [False, True], ids=["place", "pending"])
def test_a_cancelled_event_drops_from_the_calendars_that_had_it(
    client, make_event, smtp_server, requires_approval
):
    event = make_event(requires_approval=requires_approval)
    sign_up(client, event)
    smtp_server.received.clear()
    event = db.session.get(Event, event.id)
    apply_event_changes(event, {"status": "cancelled"})
    db.session.flush()

    mail.notify_event_cancelled(event)
    db.session.commit()
    mail.deliver_queued()

    (received,) = smtp_server.to("ana@example.org")
    if requires_approval:
        assert not received.calendars
        assert "calendar file" not in words(received.text)
    else:
        component, method = the_event(received)
        assert method == "CANCEL"
        assert mailto(component, "ATTENDEE") == "mailto:ana@example.org"


# --- Cancelled by the organisers, and rejected requests ----------------------------


def test_a_cancellation_by_the_organisers_says_so(client, make_event, now, smtp_server):
    event = make_event(title="Listening group")
    sign_up(client, event)
    smtp_server.received.clear()

    cancel(registration_of("ana@example.org"), now=now, notify=True, by_organiser=True)
    db.session.commit()
    mail.deliver_queued()

    (received,) = smtp_server.to("ana@example.org")
    assert "The organisers of Listening group have cancelled your sign-up." in words(
        received.text
    )
    assert "Thank you for letting us know" not in words(received.text)
    _, method = the_event(received)
    assert method == "CANCEL"
    assert outbox()[-1].kind == "cancelled-by-organiser"


def test_a_cancelled_request_awaiting_approval_has_no_calendar(
    client, make_event, smtp_server
):
    event = make_event(requires_approval=True)
    sign_up(client, event)
    (ana,) = smtp_server.to("ana@example.org")

    client.post(f"{ana.manage_path}/cancel")

    cancelled = smtp_server.to("ana@example.org")[-1]
    assert cancelled.subject.startswith("Sign-up cancelled")
    assert not cancelled.calendars


def test_a_rejected_request_is_told_once(client, make_event, now, smtp_server):
    event = make_event(title="Listening group", requires_approval=True)
    sign_up(client, event)
    smtp_server.received.clear()
    registration = registration_of("ana@example.org")
    registration.status = "rejected"
    db.session.flush()

    mail.notify_rejected(registration)
    mail.notify_rejected(registration)
    db.session.commit()
    mail.deliver_queued()

    (received,) = smtp_server.to("ana@example.org")
    assert received.subject == "Not confirmed: Listening group"
    assert "could not confirm your sign-up" in words(received.text)
    assert not received.calendars
    assert not MANAGE_PATH.search(received.text)


# --- A slow or silent mail server --------------------------------------------------


def test_no_transaction_is_open_while_the_server_is_talked_to(
    client, make_event, smtp_server, monkeypatch
):
    seen = []
    send_message = smtplib.SMTP.send_message

    def watched(self, *args, **kwargs):
        seen.append(db.session().in_transaction())
        return send_message(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "send_message", watched)

    sign_up(client, make_event())

    assert seen == [False]
    assert smtp_server.to("ana@example.org")


class TestSilentServer:
    @pytest.fixture
    def app_config(self):
        # Waiting for the lock gives up well before the server is given up on, so a
        # sign-up that had to wait for another's mail would fail; the lock wait is
        # still long enough for eight short sign-ups on a busy machine.
        return {"SQLITE_BUSY_TIMEOUT": 10, "MAIL_TIMEOUT": 30}

    PEOPLE = 8

    @pytest.mark.slow
    def test_simultaneous_sign_ups_never_wait_for_each_others_mail(
        self, live_server, make_event, silent_smtp_server
    ):
        event = make_event()
        url = f"{live_server}/events/{event.slug}/register"
        barrier = threading.Barrier(self.PEOPLE)
        answers = {}

        def sign_up_over_http(number):
            session = requests.Session()
            session.trust_env = False  # Loopback only: never through a proxy.
            barrier.wait()
            answer = session.post(url, data={**ANA, **person(number)})
            answers[number] = answer.status_code

        threads = [
            threading.Thread(target=sign_up_over_http, args=(number,))
            for number in range(self.PEOPLE)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(answers.values()) == [200] * self.PEOPLE
        db.session.rollback()
        saved = db.session.scalars(
            select(Registration.email).where(Registration.event.has(slug=event.slug))
        ).all()
        assert sorted(saved) == sorted(
            f"person{n}@example.org" for n in range(self.PEOPLE)
        )
        messages = outbox()
        assert len(messages) == self.PEOPLE
        for message in messages:
            assert message.sent_at is None
            assert message.attempts == 1
            assert message.claimed_until is None
            assert "timed out" in message.last_error


def test_a_message_claimed_by_another_sender_is_left_to_it(
    client, runner, make_event, smtp_server, now
):
    smtp_server.stop()
    sign_up(client, make_event())
    smtp_server.start()
    (message,) = outbox()
    message.claimed_until = now + timedelta(minutes=5)
    db.session.commit()

    result = runner.invoke(args=["mail", "flush"])

    assert "0 sent, 0 failed." in result.output
    assert smtp_server.received == []


def test_a_lease_left_by_a_sender_that_died_runs_out(
    client, runner, make_event, smtp_server, now
):
    smtp_server.stop()
    sign_up(client, make_event())
    smtp_server.start()
    (message,) = outbox()
    message.claimed_until = now - timedelta(seconds=1)
    db.session.commit()

    result = runner.invoke(args=["mail", "flush"])

    assert "1 sent, 0 failed." in result.output
    assert len(smtp_server.to("ana@example.org")) == 1
    (message,) = outbox()
    assert message.claimed_until is None


def test_a_sender_stops_before_its_lease_could_run_out(
    client, make_event, smtp_server, monkeypatch
):
    """Rather than risk sending a message another sender may have claimed since."""
    smtp_server.stop()
    sign_up(client, make_event())
    smtp_server.start()
    monkeypatch.setattr(delivery, "lease_length", lambda count: timedelta(0))

    report = mail.flush_outbox()

    assert (report.sent, report.failed) == (0, 0)
    assert smtp_server.received == []
    (message,) = outbox()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.claimed_until is None


# --- International addresses -------------------------------------------------------


def test_an_international_domain_is_sent_to_in_ascii(
    client, make_event, ascii_smtp_server
):
    sign_up(client, make_event(), email="user@exämple.org")

    assert registration_of("user@exämple.org") is not None
    (received,) = ascii_smtp_server.received
    assert received.recipients == ["user@xn--exmple-cua.org"]
    assert str(received.message["To"]) == "user@xn--exmple-cua.org"


def test_an_international_name_waits_with_a_clear_reason_without_smtputf8(
    client, make_event, ascii_smtp_server
):
    response = sign_up(client, make_event(), email="üser@example.org")

    assert "You have a place at this event." in response.get_data(as_text=True)
    assert registration_of("üser@example.org").status == "confirmed"
    assert ascii_smtp_server.received == []
    (message,) = outbox()
    assert message.sent_at is None
    assert message.last_error.startswith("SMTPUTF8Unavailable:")
    assert "does not offer SMTPUTF8" in message.last_error


def test_an_international_name_is_sent_with_smtputf8_when_offered(
    client, make_event, smtp_server
):
    """The usual test server offers SMTPUTF8."""
    sign_up(client, make_event(), email="üser@exämple.org")

    (received,) = smtp_server.received
    assert received.recipients == ["üser@xn--exmple-cua.org"]
    assert "Hello Ana Díaz," in received.text


def test_an_international_name_is_written_to_a_file(client, make_event, mail_folder):
    sign_up(client, make_event(), email="üser@example.org")

    (written,) = written_mail(mail_folder)
    assert written.recipients == ["üser@example.org"]
    assert "Hello Ana Díaz," in written.text


# --- Files ----------------------------------------------------------------------------


def test_mail_files_are_readable_by_their_owner_only(client, make_event, mail_folder):
    sign_up(client, make_event())

    (path,) = mail_folder.glob("*.eml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(mail_folder.stat().st_mode) == 0o700


def test_a_mail_folder_open_to_others_is_closed(client, make_event, mail_folder):
    mail_folder.mkdir(mode=0o755)
    mail_folder.chmod(0o755)

    sign_up(client, make_event())

    assert stat.S_IMODE(mail_folder.stat().st_mode) == 0o700

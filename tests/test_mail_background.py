"""E-mail sent by the worker's sender thread after the answer, to a real SMTP server
on loopback: nothing is lost on the way, and the outbox keeps what the thread could
not send for ``mail flush``."""

import logging
import re
import threading

import pytest
from mail_support import written_mail
from sql_support import counting_queries
from sqlalchemy import select

from tfc_training.database import utcnow
from tfc_training.extensions import db
from tfc_training.mail import sender as sender_module
from tfc_training.mail.models import OutboxMessage
from tfc_training.mail.sender import sender_for
from tfc_training.mail.services import deliver_queued
from tfc_training.registration.services import Applicant, sign_up


@pytest.fixture
def app_config():
    return {"MAIL_SEND_IN_BACKGROUND": True}


@pytest.fixture
def sender(app):
    """The app's sender; stopped after the test, once it has sent what it holds."""
    running = sender_for(app)
    yield running
    running.stop()


class Gate:
    """Holds the sender before each round until the test opens it, and counts the
    rounds and the ids each was given."""

    def __init__(self, monkeypatch):
        self.reached = threading.Event()
        self.open = threading.Event()
        self.rounds = []
        real = sender_module.deliver

        def held(ids=None):
            self.reached.set()
            self.open.wait()
            self.rounds.append(list(ids))
            return real(ids)

        monkeypatch.setattr(sender_module, "deliver", held)


def person(number):
    return {
        "name": f"Person Number{number}",
        "email": f"person{number}@example.org",
        "sector": "",
        "language": "en",
        "accessibility": "",
        "consent": "y",
    }


def post_sign_up(client, event, number):
    response = client.post(f"/events/{event.slug}/register", data=person(number))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def outbox():
    db.session.rollback()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_the_answer_comes_first_and_the_mail_follows(
    client, make_event, smtp_server, sender, monkeypatch
):
    gate = Gate(monkeypatch)

    response = post_sign_up(client, make_event(), 1)

    # Answered while the sender is still held: the request did not send it.
    assert "You have a place at this event." in response.get_data(as_text=True)
    (message,) = outbox()
    assert message.sent_at is None
    assert smtp_server.received == []

    gate.open.set()
    sender.join()

    (received,) = smtp_server.to("person1@example.org")
    assert received.subject.startswith("You have a place")
    assert client.get(received.manage_path).status_code == 200
    (message,) = outbox()
    assert message.sent_at is not None
    assert message.text_body == ""


def test_sign_ups_arriving_together_go_out_in_one_round(
    client, make_event, smtp_server, sender, monkeypatch
):
    gate = Gate(monkeypatch)
    event = make_event()

    post_sign_up(client, event, 0)
    gate.reached.wait()
    for number in range(1, 4):
        post_sign_up(client, event, number)
    gate.open.set()
    sender.join()

    assert sorted(r.recipients[0] for r in smtp_server.received) == [
        f"person{number}@example.org" for number in range(4)
    ]
    # The first round took the first message; the other three waited for it and
    # then went together.
    assert [len(ids) for ids in gate.rounds] == [1, 3]
    assert all(message.sent_at is not None for message in outbox())


def test_mail_the_server_refused_stays_in_the_outbox_for_flush(
    client, runner, make_event, smtp_server, sender
):
    smtp_server.stop()

    post_sign_up(client, make_event(), 1)
    sender.join()

    (message,) = outbox()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error.startswith("ConnectionRefusedError")

    smtp_server.start()
    flushed = runner.invoke(args=["mail", "flush"])

    assert "1 sent, 0 failed." in flushed.output
    assert len(smtp_server.to("person1@example.org")) == 1


def test_a_sender_that_breaks_keeps_the_mail_and_goes_on(
    client, runner, make_event, smtp_server, sender, monkeypatch, caplog
):
    real = sender_module.deliver
    calls = []

    def breaks_once(ids=None):
        calls.append(ids)
        if len(calls) == 1:
            raise RuntimeError("person1@example.org")
        return real(ids)

    monkeypatch.setattr(sender_module, "deliver", breaks_once)
    event = make_event()

    with caplog.at_level(logging.INFO):
        post_sign_up(client, event, 1)
        sender.join()
        post_sign_up(client, event, 2)
        sender.join()

    first, second = outbox()
    assert first.sent_at is None
    assert second.sent_at is not None
    assert smtp_server.to("person1@example.org") == []
    assert "RuntimeError" in caplog.text
    assert "person1@example.org" not in caplog.text

    flushed = runner.invoke(args=["mail", "flush"])

    assert "1 sent, 0 failed." in flushed.output
    assert len(smtp_server.to("person1@example.org")) == 1


def test_stopping_sends_what_was_handed_and_then_the_request_sends(
    client, make_event, smtp_server, sender, monkeypatch
):
    gate = Gate(monkeypatch)
    event = make_event()
    post_sign_up(client, event, 1)

    gate.open.set()
    sender.stop()

    assert len(smtp_server.to("person1@example.org")) == 1
    # A stopped sender takes nothing more: the request delivers by itself.
    post_sign_up(client, event, 2)
    assert len(smtp_server.to("person2@example.org")) == 1
    assert [len(ids) for ids in gate.rounds] == [1]


def test_mail_handed_but_never_sent_is_sent_by_flush(
    client, runner, make_event, smtp_server, sender, monkeypatch
):
    # A sender that never gets round to it, as when the worker is killed.
    monkeypatch.setattr(sender_module.BackgroundSender, "hand", lambda self, ids: True)

    post_sign_up(client, make_event(), 1)

    assert smtp_server.received == []
    flushed = runner.invoke(args=["mail", "flush"])
    assert "1 sent, 0 failed." in flushed.output
    assert len(smtp_server.to("person1@example.org")) == 1


def test_a_forked_process_starts_a_sender_of_its_own(
    client, make_event, smtp_server, sender, monkeypatch
):
    event = make_event()
    post_sign_up(client, event, 1)
    sender.join()
    first, first_queue = sender._thread, sender._queue

    monkeypatch.setattr(sender_module.os, "getpid", lambda: -1)
    post_sign_up(client, event, 2)
    sender.join()

    assert sender._thread is not first
    assert len(smtp_server.to("person2@example.org")) == 1
    sender.stop()
    first_queue.put(None)
    first.join()


def test_commands_send_by_themselves(app, make_event, smtp_server, sender):
    event = make_event()
    applicant = Applicant(
        name="Ana",
        email="ana@example.org",
        sector=None,
        language="en",
        accessibility=None,
    )
    sign_up(event.id, applicant, now=utcnow(), notify=True)
    db.session.commit()

    report = deliver_queued()

    assert (report.sent, report.handed) == (1, 0)
    assert len(smtp_server.to("ana@example.org")) == 1


def test_without_a_server_the_sender_writes_files(
    client, make_event, sender, mail_folder
):
    post_sign_up(client, make_event(), 1)
    sender.join()

    (written,) = written_mail(mail_folder)
    assert written.recipients == ["person1@example.org"]


def test_the_answer_reads_nothing_again_that_the_sign_up_wrote(
    client, make_event, smtp_server, sender, monkeypatch
):
    gate = Gate(monkeypatch)
    event = make_event()

    with counting_queries() as statements:
        post_sign_up(client, event, 1)
    gate.open.set()
    sender.join()

    last_write = max(
        number
        for number, statement in enumerate(statements)
        if statement.lstrip().upper().startswith("INSERT")
    )
    read_again = [
        statement
        for statement in statements[last_write + 1 :]
        if re.search(r"\bFROM (event|registration)\b", statement)
    ]
    assert read_again == []

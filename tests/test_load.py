"""Sign-up holds under load through the real server, and survives a worker dying.

Gunicorn serves the product with two workers, CSRF on, on the database of the
``app`` fixture; two hundred people send the form at once for fifty places. Every
answer is checked, then the database itself.
"""

import re
import threading

import pytest
import requests
from server_support import GunicornServer
from sqlalchemy import func, select

from tfc_training.extensions import db
from tfc_training.mail.models import OutboxMessage
from tfc_training.registration.models import ManageToken, Registration

pytestmark = pytest.mark.slow

PEOPLE = 200
CAPACITY = 50

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PLACE = "You have a place at this event."
WAITING = re.compile(r"on the waiting list, number (\d+)\.")

#: Seconds a client waits for one answer before calling the request lost; a guard
#: against a hang, never an assertion about speed.
ANSWER_WAIT = 300


@pytest.fixture
def server(app, database_uri, tmp_path):
    with GunicornServer(database_uri, mail_folder=tmp_path / "served-mail") as running:
        yield running


class Person:
    """One browser: opens the form, keeps its cookie and token, sends the form.

    A request that dies with its connection (a worker killed under it) is sent
    again, as a person would press the button again; ``retries`` counts those.
    """

    def __init__(self, base_url, slug, number):
        self.url = f"{base_url}/events/{slug}/register"
        self.email = f"person{number}@example.org"
        self.number = number
        self.session = requests.Session()
        self.session.trust_env = False  # Loopback only: never through a proxy.
        self.answers = []
        self.retries = 0
        self.error = None

    def open_form(self):
        # Gunicorn drops an idle kept-alive connection after two seconds, sooner than
        # everyone has opened the form; the browser would just open a new one.
        page = self._send("get", headers={"Connection": "close"})
        self.data = {
            "csrf_token": CSRF_INPUT.search(page.text).group(1),
            "name": f"Person {self.number}",
            "email": self.email,
            "sector": "",
            "language": "en",
            "accessibility": "",
            "consent": "y",
        }

    def send_form(self):
        answer = self._send("post", data=self.data, allow_redirects=False)
        self.answers.append(answer.status_code)
        self.final = answer

    def _send(self, method, attempts=5, **arguments):
        for _ in range(attempts):
            try:
                return self.session.request(
                    method, self.url, timeout=ANSWER_WAIT, **arguments
                )
            except requests.ConnectionError:
                self.retries += 1
        raise RuntimeError(f"no answer after {attempts} attempts")

    @property
    def outcome(self):
        """``confirmed`` or ``waitlisted``, as the answer page told the person."""
        if PLACE in self.final.text:
            return "confirmed"
        if WAITING.search(self.final.text):
            return "waitlisted"
        return None


def sign_up_everyone(base_url, slug, *, halfway=None):
    """Open every form, then send them all at once; return the people.

    ``halfway``, when given, is called once a quarter of the answers are in, while
    the rest are still on their way.
    """
    people = [Person(base_url, slug, number) for number in range(PEOPLE)]
    barrier = threading.Barrier(PEOPLE)
    answered = threading.Semaphore(0)

    def run(person):
        try:
            person.open_form()
        except Exception as error:  # noqa: BLE001 (reported by the assertion below)
            person.error = error
            # Release the others rather than leave them waiting for this one.
            barrier.abort()
            return
        try:
            barrier.wait()
            person.send_form()
        except Exception as error:  # noqa: BLE001 (reported by the assertion below)
            person.error = error
        finally:
            answered.release()

    threads = [threading.Thread(target=run, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    if halfway is not None:
        for _ in range(PEOPLE // 4):
            answered.acquire()
        halfway()
    for thread in threads:
        thread.join()

    assert [p.error for p in people if p.error] == []
    return people


def registrations(event_id):
    db.session.rollback()
    return db.session.scalars(
        select(Registration).where(Registration.event_id == event_id)
    ).all()


def assert_every_registration_is_whole(rows):
    """Each row was written with its link and its confirmation, in one transaction."""
    ids = [row.id for row in rows]
    with_token = set(
        db.session.scalars(
            select(ManageToken.registration_id).where(
                ManageToken.registration_id.in_(ids)
            )
        )
    )
    signup_mail = dict(
        db.session.execute(
            select(OutboxMessage.registration_id, func.count())
            .where(OutboxMessage.registration_id.in_(ids))
            .where(OutboxMessage.kind == "signup")
            .group_by(OutboxMessage.registration_id)
        ).all()
    )
    assert set(ids) == with_token
    assert signup_mail == {registration_id: 1 for registration_id in ids}


def test_two_hundred_sign_ups_for_fifty_places(server, make_event):
    """Exactly fifty get a place, one hundred and fifty wait, nobody sees an error."""
    event = make_event(capacity=CAPACITY)

    people = sign_up_everyone(server.url, event.slug)

    assert sorted({code for p in people for code in p.answers}) == [200]
    assert all(p.retries == 0 for p in people)
    told = [p.outcome for p in people]
    assert told.count("confirmed") == CAPACITY
    assert told.count("waitlisted") == PEOPLE - CAPACITY
    shown = sorted(
        int(WAITING.search(p.final.text).group(1))
        for p in people
        if p.outcome == "waitlisted"
    )
    assert shown == list(range(1, PEOPLE - CAPACITY + 1))

    rows = registrations(event.id)
    status_of = {row.email: row.status for row in rows}
    assert len(rows) == PEOPLE
    assert list(status_of.values()).count("confirmed") == CAPACITY
    assert list(status_of.values()).count("waitlisted") == PEOPLE - CAPACITY
    assert all(status_of[p.email] == p.outcome for p in people)
    assert_every_registration_is_whole(rows)


def test_a_worker_killed_during_sign_ups_loses_nothing(server, make_event):
    """A worker dies mid-load: no half-written row, no over-booking, no lost place."""
    import os
    import signal

    event = make_event(capacity=CAPACITY)
    killed = []

    def kill_a_worker():
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)

    people = sign_up_everyone(server.url, event.slug, halfway=kill_a_worker)

    assert killed
    assert all(code < 500 for p in people for code in p.answers)
    assert all(p.final.status_code == 200 for p in people)

    rows = registrations(event.id)
    status_of = {row.email: row.status for row in rows}
    assert len(rows) == PEOPLE
    assert list(status_of.values()).count("confirmed") == CAPACITY
    # Whoever was told they have a place has it; nobody was told wrongly either way.
    assert all(status_of[p.email] == p.outcome for p in people)
    assert_every_registration_is_whole(rows)

"""Capacity holds when many people sign up at the same moment, through a real server."""

import re
import threading

import pytest
import requests
from mail_support import written_mail
from sqlalchemy import select

from tfc_training.extensions import db
from tfc_training.registration.models import Registration
from tfc_training.registration.services import waiting_position

pytestmark = pytest.mark.slow

PEOPLE = 20
CAPACITY = 5

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
WAITING = re.compile(r"on the waiting list, number (\d+)\.")


@pytest.fixture
def app_config():
    """The real form path, CSRF token included."""
    return {"WTF_CSRF_ENABLED": True}


def _person(base_url, slug, number, barrier, results):
    """Open the form, wait for everyone, then send it; record the answer."""
    session = requests.Session()
    session.trust_env = False  # Loopback only: never go through a configured proxy.
    url = f"{base_url}/events/{slug}/register"

    try:
        form = session.get(url)
        data = {
            "csrf_token": CSRF_INPUT.search(form.text).group(1),
            "name": f"Person {number}",
            "email": f"person{number}@example.org",
            "sector": "",
            "language": "en",
            "accessibility": "",
            "consent": "y",
        }
    except Exception:
        # Release the others rather than leave them waiting for someone who never comes.
        barrier.abort()
        raise
    barrier.wait()

    answer = session.post(url, data=data, allow_redirects=False)
    results[number] = (answer.status_code, answer.text)


def test_simultaneous_sign_ups_never_exceed_capacity(
    app, live_server, make_event, mail_folder
):
    """Twenty people send the form at once for five places: five get in, fifteen wait."""
    event = make_event(capacity=CAPACITY)
    barrier = threading.Barrier(PEOPLE)
    results = {}
    threads = [
        threading.Thread(
            target=_person, args=(live_server, event.slug, number, barrier, results)
        )
        for number in range(PEOPLE)
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(status for status, _ in results.values()) == [200] * PEOPLE
    pages = [page for _, page in results.values()]
    assert sum("You have a place at this event." in page for page in pages) == CAPACITY
    shown = sorted(int(m.group(1)) for page in pages for m in WAITING.finditer(page))
    assert shown == list(range(1, PEOPLE - CAPACITY + 1))

    db.session.rollback()
    rows = db.session.scalars(
        select(Registration).where(Registration.event_id == event.id)
    ).all()
    waiting = [row for row in rows if row.status == "waitlisted"]
    assert len(rows) == PEOPLE
    assert [row.status for row in rows].count("confirmed") == CAPACITY
    assert sorted(waiting_position(row) for row in waiting) == list(
        range(1, PEOPLE - CAPACITY + 1)
    )

    mailed = sorted(m.recipients[0] for m in written_mail(mail_folder))
    assert mailed == sorted(f"person{number}@example.org" for number in range(PEOPLE))

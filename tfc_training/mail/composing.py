"""Writing messages into the outbox, from templates, in the reader's language.

A message is rendered once, when it is queued, so that it says what was true at the
moment of the change it announces, however late it is delivered.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g, render_template
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..database import utcnow
from ..extensions import db
from .models import OutboxMessage

#: The ``flask.g`` key holding the ids of the messages queued in this request or
#: command, which :func:`~.services.deliver_queued` sends after the commit.
QUEUED_KEY = "queued_mail"

#: Longest subject the outbox keeps.
SUBJECT_MAX = 300


def message_locale(language: str | None) -> str:
    """The locale to write to someone preferring ``language``.

    Their own language when the interface is translated into it, else the default.
    """
    if language and language in current_app.config["LANGUAGES"]:
        return language
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "en")


@contextmanager
def writing_for(language: str | None) -> Iterator[None]:
    """Render templates, subjects and dates for a reader preferring ``language``.

    Build every link the message holds with :func:`~.links.site_url_for`: it starts
    with ``SITE_URL``, during a request as in a command run by cron.
    """
    with force_locale(message_locale(language)):
        yield


def already_queued(dedupe_key: str) -> bool:
    """Whether a message with this key was ever queued (and not erased since)."""
    return (
        db.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
        )
        is not None
    )


def queue_message(
    kind: str,
    *,
    recipient: str,
    subject: str,
    context: dict,
    registration_id: int | None = None,
    account_id: int | None = None,
    calendar: bytes | None = None,
    calendar_method: str | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Render ``mail/<kind>.txt`` and ``.html`` and add the message to the outbox.

    Call it inside :func:`writing_for`. The message is flushed, not committed: it
    goes out with the caller's change or not at all. A message whose ``dedupe_key``
    is already in the outbox, perhaps queued at this very moment by another process,
    is dropped and ``None`` returned.
    """
    subject = " ".join(subject.split())[:SUBJECT_MAX]
    context = {"subject": subject, **context}
    message = OutboxMessage(
        kind=kind,
        recipient=recipient,
        subject=subject,
        text_body=_tidy_text(render_template(f"mail/{kind}.txt", **context)),
        html_body=render_template(f"mail/{kind}.html", **context),
        ics_body=calendar.decode() if calendar is not None else None,
        ics_method=calendar_method if calendar is not None else None,
        registration_id=registration_id,
        account_id=account_id,
        dedupe_key=dedupe_key,
        created_at=utcnow(),
        attempts=0,
    )

    if dedupe_key is None:
        db.session.add(message)
        db.session.flush()
    else:
        # A savepoint lets a second process queuing the same key lose quietly while
        # everything else in the transaction stays.
        try:
            with db.session.begin_nested():
                db.session.add(message)
        except IntegrityError:
            return None

    g.setdefault(QUEUED_KEY, []).append(message.id)
    return message


def take_queued_ids() -> list[int]:
    """Return the ids queued so far in this request or command, and forget them."""
    ids = g.pop(QUEUED_KEY, [])
    return sorted(set(ids))


def _tidy_text(text: str) -> str:
    """Drop the blank lines and trailing spaces that template tags leave behind."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"

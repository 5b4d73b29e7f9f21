"""Sending the outbox: over SMTP, or into ``.eml`` files when no server is set.

Each message goes exactly once, even when a request and ``mail flush`` (or two runs
of it) reach for it at the same time: a sender claims a batch of rows inside a
transaction and keeps it until the batch is marked. On PostgreSQL the rows are
locked with ``SELECT ... FOR UPDATE SKIP LOCKED``, so another sender passes them
by; on SQLite :func:`~tfc_training.database.begin_write` holds the write lock, so
senders take turns. Batches are small, so that the lock is never held for long.

A message that could not be sent stays in the outbox with its attempts counted and
a technical reason that names no one; the next ``mail flush`` tries it again.
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from ..database import begin_write, utcnow
from ..extensions import db
from .models import OutboxMessage

logger = logging.getLogger(__name__)

#: Messages claimed and sent in one transaction.
BATCH_SIZE = 20

#: Longest failure reason kept.
ERROR_MAX = 300

#: Errors that concern one message; the connection stays usable for the others.
#: A ``ValueError`` is a message the library cannot write, such as an address it
#: cannot encode.
MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
    ValueError,
)


@dataclass
class DeliveryReport:
    """How a delivery went: messages sent, failed, and left alone after too many
    failures (only ``mail flush`` counts those)."""

    sent: int = 0
    failed: int = 0
    held: int = 0

    def add(self, other: "DeliveryReport") -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.held += other.held


def deliver(ids: list[int] | None = None) -> DeliveryReport:
    """Send unsent messages, oldest first: those in ``ids``, or all of them.

    Sending everything (``ids`` is ``None``) skips the messages that have failed
    ``MAIL_MAX_ATTEMPTS`` times and counts them as held. Each batch is committed;
    the session must hold no unsaved changes.
    """
    report = DeliveryReport()
    after = 0
    while True:
        begin_write()
        batch = _claim(ids, after=after)
        if not batch:
            db.session.commit()
            break

        after = batch[-1].id
        connection_lost = _send_batch(batch, report)
        db.session.commit()
        if connection_lost or len(batch) < BATCH_SIZE:
            break

    if ids is None:
        report.held = _count_held()
    return report


def _claim(ids: list[int] | None, *, after: int) -> list[OutboxMessage]:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None))
        .where(OutboxMessage.id > after)
        .order_by(OutboxMessage.id)
        .limit(BATCH_SIZE)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    else:
        query = query.where(
            OutboxMessage.attempts < current_app.config["MAIL_MAX_ATTEMPTS"]
        )
    return list(db.session.scalars(query))


def _count_held() -> int:
    return db.session.scalar(
        select(func.count(OutboxMessage.id))
        .where(OutboxMessage.sent_at.is_(None))
        .where(OutboxMessage.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"])
    )


def _send_batch(batch: list[OutboxMessage], report: DeliveryReport) -> bool:
    """Send a claimed batch and mark each message; return whether the server was
    lost, in which case the messages after the failure wait for the next try."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        for message in batch:
            _write_file(message, report)
        return False

    try:
        connection = _connect()
    except (OSError, smtplib.SMTPException) as error:
        for message in batch:
            _mark_failed(message, error, report)
        return True

    try:
        for position, message in enumerate(batch):
            try:
                connection.send_message(
                    _as_email(message),
                    from_addr=_envelope_sender(),
                    to_addrs=[message.recipient],
                )
            except MESSAGE_ERRORS as error:
                _mark_failed(message, error, report)
            except (OSError, smtplib.SMTPException) as error:
                for unsent in batch[position:]:
                    _mark_failed(unsent, error, report)
                return True
            else:
                _mark_sent(message, report)
                logger.info("mail message %s sent (%s)", message.id, message.kind)
    finally:
        _close(connection)
    return False


def _connect() -> smtplib.SMTP:
    config = current_app.config
    connection = smtplib.SMTP(
        config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=config["MAIL_TIMEOUT"]
    )
    try:
        if config.get("MAIL_USE_TLS"):
            connection.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            # Values from the environment are parsed as JSON, so a password of
            # digits arrives as a number.
            connection.login(
                str(config["MAIL_USERNAME"]), str(config.get("MAIL_PASSWORD") or "")
            )
    except BaseException:
        _close(connection)
        raise
    return connection


def _close(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


def _envelope_sender() -> str:
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]


def _as_email(message: OutboxMessage) -> EmailMessage:
    """Build the e-mail: a text part, an HTML part, and the calendar file if any."""
    config = current_app.config
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Date"] = format_datetime(message.created_at)
    # The same id on every attempt, so that a receiver can drop a copy it already has.
    email["Message-ID"] = (
        f"<outbox-{message.id}.{message.created_at:%Y%m%d%H%M%S}@{config['SITE_HOST']}>"
    )
    email["Auto-Submitted"] = "auto-generated"

    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    if message.ics_body:
        email.add_attachment(
            message.ics_body.encode(),
            maintype="text",
            subtype="calendar",
            filename="event.ics",
            params={"charset": "utf-8", "method": message.ics_method},
        )
    return email


def mail_folder() -> Path:
    """Where messages are written when no SMTP server is set."""
    folder = current_app.config.get("MAIL_FOLDER")
    return Path(folder) if folder else Path(current_app.instance_path) / "mail"


def _write_file(message: OutboxMessage, report: DeliveryReport) -> None:
    folder = mail_folder()
    name = f"{message.created_at:%Y%m%dT%H%M%S}-{message.id:06d}-{message.kind}.eml"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(_as_email(message).as_bytes())
    except (OSError, ValueError) as error:
        _mark_failed(message, error, report)
        return

    _mark_sent(message, report)
    logger.info("mail message %s written to %s", message.id, name)


def _mark_sent(message: OutboxMessage, report: DeliveryReport) -> None:
    now = utcnow()
    message.sent_at = now
    message.attempts += 1
    message.last_attempt_at = now
    message.last_error = None
    # The text holds a secret link, and the database keeps only hashes of those.
    message.text_body = ""
    message.html_body = None
    message.ics_body = None
    report.sent += 1


def _mark_failed(
    message: OutboxMessage, error: BaseException, report: DeliveryReport
) -> None:
    message.attempts += 1
    message.last_attempt_at = utcnow()
    message.last_error = describe_error(error)
    report.failed += 1
    logger.warning("mail message %s not sent: %s", message.id, message.last_error)


def describe_error(error: BaseException) -> str:
    """Name a delivery failure without the addresses a server may echo back."""
    kind = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        reason = f"{kind}: {', '.join(str(code) for code in codes)}"
    elif isinstance(error, smtplib.SMTPResponseException):
        reason = f"{kind}: {error.smtp_code}"
    elif isinstance(error, smtplib.SMTPServerDisconnected):
        # Worded by smtplib, as in "Connection unexpectedly closed: timed out".
        reason = f"{kind}: {error}"
    elif isinstance(error, OSError) and error.strerror:
        reason = f"{kind}: {error.strerror}"
    else:
        reason = kind
    return reason[:ERROR_MAX]

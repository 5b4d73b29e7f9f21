"""Sending the outbox: over SMTP, or into ``.eml`` files when no server is set.

No transaction is open while a server is being talked to: a slow or silent server
must never hold the database (on SQLite, its one write lock) while people sign up.
A sender works in three steps:

1. It claims a small batch in a short transaction, by giving each unsent row whose
   lease is empty or over a lease (``claimed_until``) long enough to send the whole
   batch. On PostgreSQL the rows are locked with ``FOR UPDATE SKIP LOCKED`` while
   they are claimed, so another sender passes them by; on SQLite
   :func:`~tfc_training.database.begin_write` makes senders claim in turn.
2. It commits, then sends with no transaction open. It stops before a message that
   it might not finish before its lease runs out, so that no other sender can be
   sending the same message at the same time.
3. It records each outcome in another short transaction: sent, or failed with a
   technical reason that names no one, and the lease cleared.

Each message thus goes once, however many requests and ``mail flush`` runs reach
for it at once. A sender that dies mid-batch leaves its lease to run out, and a
later ``mail flush`` sends what it had not recorded (a message it had sent but not
recorded then goes twice, with the same Message-ID, so receivers can drop the copy).
A message that could not be sent stays in the outbox with its attempts counted; the
next ``mail flush`` tries it again.
"""

import logging
import os
import smtplib
import ssl
import stat
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from flask import current_app
from sqlalchemy import func, or_, select, update

from ..caching.versions import writes_unseen
from ..database import begin_write, utcnow
from ..extensions import db
from .addresses import ascii_domain, needs_smtputf8, sender_address
from .models import OutboxMessage

logger = logging.getLogger(__name__)

#: Messages claimed, sent and recorded together.
BATCH_SIZE = 20

#: Longest failure reason kept.
ERROR_MAX = 300

#: Exchanges with the server, each bounded by ``MAIL_TIMEOUT``, that opening a
#: connection takes at most (connect, greeting, EHLO, STARTTLS, EHLO, login) ...
CONNECT_ROUNDS = 8

#: ... and that sending one message takes (MAIL, RCPT, DATA, the message, a reset).
MESSAGE_ROUNDS = 5


class SMTPUTF8Unavailable(Exception):
    """An address has non-ASCII characters before the @, which only a server that
    offers SMTPUTF8 can take, and this one does not."""


#: Errors that concern one message; the connection stays usable for the others.
#: A ``ValueError`` is a message the library cannot write, such as an address it
#: cannot encode.
MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
    SMTPUTF8Unavailable,
    ValueError,
)


@dataclass
class DeliveryReport:
    """How a delivery went: messages sent, failed, left alone after too many
    failures (only ``mail flush`` counts those), and handed to the background
    sender to be sent after the answer."""

    sent: int = 0
    failed: int = 0
    held: int = 0
    handed: int = 0

    def add(self, other: "DeliveryReport") -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.held += other.held
        self.handed += other.handed


@dataclass(frozen=True)
class ClaimedMessage:
    """A claimed row's content, read inside the claiming transaction, so that
    sending needs the database not at all."""

    id: int
    kind: str
    recipient: str
    subject: str
    text_body: str
    html_body: str | None
    ics_body: str | None
    ics_method: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: OutboxMessage) -> "ClaimedMessage":
        return cls(
            id=row.id,
            kind=row.kind,
            recipient=row.recipient,
            subject=row.subject,
            text_body=row.text_body,
            html_body=row.html_body,
            ics_body=row.ics_body,
            ics_method=row.ics_method,
            created_at=row.created_at,
        )


@dataclass
class BatchOutcome:
    """What became of each message of a batch; ``stopped`` when the rest of the
    outbox should wait for another run (server lost, or lease running out)."""

    sent: list[ClaimedMessage] = field(default_factory=list)
    failed: list[tuple[ClaimedMessage, BaseException]] = field(default_factory=list)
    untried: list[ClaimedMessage] = field(default_factory=list)
    stopped: bool = False


def deliver(ids: list[int] | None = None) -> DeliveryReport:
    """Send unsent messages, oldest first: those in ``ids``, or all of them.

    Sending everything (``ids`` is ``None``) skips the messages that have failed
    ``MAIL_MAX_ATTEMPTS`` times and counts them as held. Messages claimed by another
    sender are left to it. The session must hold no unsaved changes; it holds no
    open transaction afterwards.
    """
    report = DeliveryReport()
    after = 0
    while True:
        batch, lease = _claim(ids, after=after)
        if not batch:
            break

        after = batch[-1].id
        outcome = _send_batch(batch, lease)
        _record(outcome, lease, report)
        if outcome.stopped or len(batch) < BATCH_SIZE:
            break

    if ids is None:
        report.held = _count_held()
    return report


def _claim(
    ids: list[int] | None, *, after: int
) -> tuple[list[ClaimedMessage], datetime]:
    """Lease the next batch of free messages to this sender, and commit."""
    begin_write()
    # The outbox shows on no page: sending mail leaves the pages kept for visitors.
    writes_unseen(db.session())
    now = utcnow()
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None))
        .where(
            or_(
                OutboxMessage.claimed_until.is_(None),
                OutboxMessage.claimed_until <= now,
            )
        )
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
    rows = list(db.session.scalars(query))

    lease = now + lease_length(len(rows))
    for row in rows:
        row.claimed_until = lease
    batch = [ClaimedMessage.of(row) for row in rows]
    db.session.commit()
    return batch, lease


def lease_length(count: int) -> timedelta:
    """Long enough to connect and send ``count`` messages to the slowest server that
    still answers within ``MAIL_TIMEOUT`` each time."""
    timeout = float(current_app.config["MAIL_TIMEOUT"])
    return timedelta(seconds=timeout * (CONNECT_ROUNDS + MESSAGE_ROUNDS * count))


def _record(outcome: BatchOutcome, lease: datetime, report: DeliveryReport) -> None:
    """Write down what became of a batch, release its lease, and commit."""
    begin_write()
    writes_unseen(db.session())
    now = utcnow()
    if outcome.sent:
        # Sent is sent, even if the lease ran out meanwhile. The texts hold secret
        # links, and the database keeps only hashes of those.
        db.session.execute(
            _update([m.id for m in outcome.sent]).values(
                sent_at=now,
                attempts=OutboxMessage.attempts + 1,
                last_attempt_at=now,
                last_error=None,
                claimed_until=None,
                text_body="",
                html_body=None,
                ics_body=None,
            )
        )
    reasons = [(message, describe_error(error)) for message, error in outcome.failed]
    for message, reason in reasons:
        db.session.execute(
            _update([message.id], lease=lease).values(
                attempts=OutboxMessage.attempts + 1,
                last_attempt_at=now,
                last_error=reason,
                claimed_until=None,
            )
        )
    if outcome.untried:
        db.session.execute(
            _update([m.id for m in outcome.untried], lease=lease).values(
                claimed_until=None
            )
        )
    db.session.commit()

    for message in outcome.sent:
        logger.info("mail message %s sent (%s)", message.id, message.kind)
    for message, reason in reasons:
        logger.warning("mail message %s not sent: %s", message.id, reason)
    if outcome.untried:
        logger.info("%s mail messages left for the next run", len(outcome.untried))
    report.sent += len(outcome.sent)
    report.failed += len(outcome.failed)


def _update(ids: list[int], *, lease: datetime | None = None):
    """An update of the unsent messages in ``ids``; with ``lease``, of those this
    sender still holds."""
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .where(OutboxMessage.sent_at.is_(None))
        .execution_options(synchronize_session=False)
    )
    if lease is not None:
        statement = statement.where(OutboxMessage.claimed_until == lease)
    return statement


def _count_held() -> int:
    held = db.session.scalar(
        select(func.count(OutboxMessage.id))
        .where(OutboxMessage.sent_at.is_(None))
        .where(OutboxMessage.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"])
    )
    db.session.commit()
    return held


def _send_batch(batch: list[ClaimedMessage], lease: datetime) -> BatchOutcome:
    """Send a claimed batch; touches no database."""
    outcome = BatchOutcome()
    if not current_app.config.get("MAIL_SERVER"):
        for message in batch:
            try:
                _write_file(message)
            except (OSError, ValueError) as error:
                outcome.failed.append((message, error))
            else:
                outcome.sent.append(message)
        return outcome

    try:
        connection = _connect()
    except (OSError, smtplib.SMTPException) as error:
        outcome.failed.extend((message, error) for message in batch)
        outcome.stopped = True
        return outcome

    try:
        for position, message in enumerate(batch):
            if not _time_for_one_more(lease):
                outcome.untried.extend(batch[position:])
                outcome.stopped = True
                break
            try:
                _send(connection, message)
            except MESSAGE_ERRORS as error:
                outcome.failed.append((message, error))
            except (OSError, smtplib.SMTPException) as error:
                outcome.failed.extend((unsent, error) for unsent in batch[position:])
                outcome.stopped = True
                break
            else:
                outcome.sent.append(message)
    finally:
        _close(connection)
    return outcome


def _time_for_one_more(lease: datetime) -> bool:
    timeout = float(current_app.config["MAIL_TIMEOUT"])
    return utcnow() + timedelta(seconds=timeout * MESSAGE_ROUNDS) < lease


def _send(connection: smtplib.SMTP, message: ClaimedMessage) -> None:
    recipient = ascii_domain(message.recipient)
    sender = ascii_domain(_envelope_sender())
    international = needs_smtputf8(recipient) or needs_smtputf8(sender)
    if international and not connection.has_extn("smtputf8"):
        raise SMTPUTF8Unavailable()

    # For an address that is not ASCII, smtplib asks for SMTPUTF8 and writes the
    # headers in UTF-8 by itself.
    connection.send_message(
        _as_email(message, recipient), from_addr=sender, to_addrs=[recipient]
    )


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
        # What the server offers (SMTPUTF8 among others) is known from here on.
        connection.ehlo_or_helo_if_needed()
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


def _as_email(message: ClaimedMessage, recipient: str) -> EmailMessage:
    """Build the e-mail: a text part, an HTML part, and the calendar file if any."""
    config = current_app.config
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = sender_address(config["MAIL_DEFAULT_SENDER"])
    email["To"] = recipient
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


def _write_file(message: ClaimedMessage) -> None:
    """Write the message as an ``.eml`` file that only this system user can read:
    it holds a secret link."""
    folder = mail_folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(folder.stat().st_mode) & 0o077:
        folder.chmod(0o700)

    recipient = ascii_domain(message.recipient)
    email = _as_email(message, recipient)
    # A file has no server to agree SMTPUTF8 with; headers in UTF-8 are what a mail
    # program expects of an address that is not ASCII.
    policy = email.policy.clone(utf8=needs_smtputf8(recipient))
    content = email.as_bytes(policy=policy)

    name = f"{message.created_at:%Y%m%dT%H%M%S}-{message.id:06d}-{message.kind}.eml"
    descriptor = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(content)
    logger.info("mail message %s written to %s", message.id, name)


def describe_error(error: BaseException) -> str:
    """Name a delivery failure without the addresses a server may echo back."""
    kind = type(error).__name__
    if isinstance(error, SMTPUTF8Unavailable):
        reason = (
            f"{kind}: the address is not ASCII before the @ and the server does not"
            " offer SMTPUTF8"
        )
    elif isinstance(error, smtplib.SMTPRecipientsRefused):
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

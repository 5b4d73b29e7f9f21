"""Signing up for events and cancelling: capacity, waiting list and the e-mail.

Every function here flushes but does not commit; the caller commits once, then
delivers the e-mail queued along the way with
:func:`~tfc_training.mail.services.deliver_queued`. Sign-up and cancellation take the
write lock first (:func:`~tfc_training.database.begin_write`) and then lock the event
row, so that two requests never both take the last place and a promotion never races
a new sign-up.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..audit.services import record
from ..database import begin_write
from ..events.models import Event
from ..extensions import db
from ..mail.services import (
    notify_cancelled,
    notify_manage_link,
    notify_promoted,
    notify_signup,
)
from .models import ACTIVE_STATUSES, Registration

# Counting and links live in their own modules, so that the mail package can use them
# without importing this one; they are offered here too, where callers look first.
from .queries import places_taken, waiting_position  # noqa: F401
from .tokens import find_by_token, hash_token, issue_manage_token  # noqa: F401

logger = logging.getLogger(__name__)


class RegistrationClosed(Exception):
    """The event does not take sign-ups now; ``reason`` says why.

    The reason is one of the states of :meth:`Event.registration_state` other than
    ``open``: ``draft``, ``cancelled``, ``past``, ``not-yet-open`` or ``closed``.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Applicant:
    """What a person gives when signing up, already checked and normalised."""

    name: str
    email: str
    sector: str | None
    language: str
    accessibility: str | None


@dataclass
class SignUpResult:
    """The registration held for the applicant's e-mail.

    ``created`` is false when the e-mail had already signed up; the caller must not
    let that show in the answer.
    """

    registration: Registration
    created: bool


def normalise_email(email: str) -> str:
    """Trim and lower-case an e-mail address, the form it is stored and compared in."""
    return email.strip().lower()


def sign_up(
    event_id: int, applicant: Applicant, *, now: datetime, notify: bool = False
) -> SignUpResult:
    """Sign a person up: confirmed while places remain, otherwise on the waiting list.

    An e-mail that already holds an active registration for the event gets no second
    one. With ``notify``, a new registrant is e-mailed the confirmation and their
    link, and an address that had signed up already is e-mailed its link again;
    without it (sample data) nobody is written to.

    :raise RegistrationClosed: when the event does not take sign-ups at ``now``.
    :raise LookupError: when there is no event with that id.
    """
    begin_write()
    event = db.session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update(of=Event)
        .execution_options(populate_existing=True)
    )
    if event is None:
        raise LookupError(f"no event with id {event_id}")

    state = event.registration_state(now)
    if state != "open":
        raise RegistrationClosed(state)

    email = normalise_email(applicant.email)
    registration = db.session.scalar(
        select(Registration)
        .where(Registration.event_id == event.id)
        .where(Registration.email == email)
        .where(Registration.status.in_(ACTIVE_STATUSES))
    )
    created = registration is None
    if created:
        registration = Registration(
            event_id=event.id,
            name=applicant.name,
            email=email,
            sector_slug=applicant.sector or None,
            language=applicant.language,
            accessibility=applicant.accessibility or None,
            consented_at=now,
            status=_status_for_newcomer(event, now=now),
            created_at=now,
            updated_at=now,
        )
        db.session.add(registration)

    db.session.flush()

    if notify and created:
        notify_signup(registration)
    elif notify:
        notify_manage_link(registration)

    if created:
        logger.info(
            "registration %s created for event %s (status %s)",
            registration.id,
            event.id,
            registration.status,
        )
    else:
        logger.info(
            "registration %s for event %s signed up again",
            registration.id,
            event.id,
        )
    return SignUpResult(registration=registration, created=created)


def cancel(
    registration: Registration,
    *,
    now: datetime,
    notify: bool = False,
    by_organiser: bool = False,
) -> list[Registration]:
    """Cancel a registration and, if it held a place, confirm the next person waiting.

    Cancelling twice changes nothing the second time. Nobody is promoted once the
    event is cancelled. Returns the registrations that were confirmed from the
    waiting list (normally one, or none); each of them is e-mailed. With ``notify``,
    the registrant is e-mailed that the cancellation is done, and told that the
    organisers did it when ``by_organiser``.

    :raise RegistrationClosed: with ``past`` for an active registration to an event
        that is over, whose attendance is then a matter of record.
    """
    begin_write()
    event = db.session.scalar(
        select(Event)
        .where(Event.id == registration.event_id)
        .with_for_update(of=Event)
        .execution_options(populate_existing=True)
    )
    # Read the status again under the lock: another request may have cancelled it.
    db.session.refresh(registration)
    if not registration.is_active:
        return []
    if event.ends_at <= now:
        raise RegistrationClosed("past")

    held_place = registration.status == "confirmed"
    was_pending = registration.status == "pending"
    registration.status = "cancelled"
    registration.cancelled_at = now
    registration.updated_at = now
    db.session.flush()
    logger.info(
        "registration %s cancelled for event %s", registration.id, registration.event_id
    )
    if notify:
        notify_cancelled(
            registration, by_organiser=by_organiser, with_calendar=not was_pending
        )

    if not held_place or event.status != "published":
        return []
    return promote_waiting(event, now=now)


def promote_waiting(event: Event, *, now: datetime, actor=None) -> list[Registration]:
    """Confirm waiting people, first come first served, while places are free.

    Places come free when someone cancels or when the capacity is raised. The caller
    must hold the event's lock, as :func:`sign_up` and :func:`cancel` do. Each person
    confirmed is e-mailed, whoever made the place free, and written to the event's
    audit trail with ``actor``: the organiser whose change freed the place, or
    nobody when a registrant cancelled.
    """
    if event.capacity is None:
        free = None
    else:
        free = event.capacity - places_taken([event.id])[event.id]
        if free <= 0:
            return []

    waiting = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id)
        .where(Registration.status == "waitlisted")
        .order_by(Registration.id)
        .limit(free)
    ).all()
    for registration in waiting:
        registration.status = "confirmed"
        registration.updated_at = now
        logger.info(
            "registration %s confirmed from the waiting list for event %s",
            registration.id,
            event.id,
        )
    db.session.flush()

    for registration in waiting:
        record(
            event,
            "registration.promoted",
            actor=actor,
            registration=registration,
            status="confirmed",
        )
        notify_promoted(registration)
    return waiting


def _status_for_newcomer(event: Event, *, now: datetime) -> str:
    # An organiser decides first; a place or a turn is given only on approval.
    if event.requires_approval:
        return "pending"

    # People already waiting come first if places have come free since they joined.
    promote_waiting(event, now=now)
    if event.capacity is None:
        return "confirmed"

    confirmed = places_taken([event.id])[event.id]
    return "confirmed" if confirmed < event.capacity else "waitlisted"

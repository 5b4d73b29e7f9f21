"""The messages the product sends, and how they leave.

Every ``notify_*`` and ``send_*`` function writes its message to the outbox in the
caller's transaction and flushes; the view or command commits once and then calls
:func:`deliver_queued`. A message is thus sent only for a change that was saved, and
a change is never lost because the mail server was down: ``mail flush`` retries.

Messages go to the address on file in the reader's language (when the interface is
translated into it). A message that lets its reader act on their sign-up carries a
link of its own, minted for it; only the hash of that link is kept. Every link
starts with ``SITE_URL`` (see :mod:`.links`), whatever the request said its host was.

A calendar file goes with the messages about a place or a turn on the waiting list
(``TENTATIVE`` for the latter), never with those about a request awaiting approval,
which holds neither. Files that ask a calendar to change or drop the event
(``REQUEST``, ``CANCEL``) name the sender as ORGANIZER and the reader as ATTENDEE,
as RFC 5546 wants.
"""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.utils import parseaddr

from babel.dates import format_timedelta
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, select

from ..accounts.models import User
from ..calendar.feeds import build_calendar
from ..database import begin_write, utcnow
from ..events.formatting import format_when
from ..events.models import Event
from ..extensions import db
from ..indicators.models import SurveyReceipt
from ..indicators.survey import FOLLOW_UP_WINDOW, SURVEY_EVENT_TYPES, personal_token
from ..registration.models import ACTIVE_STATUSES, Registration
from ..registration.queries import waiting_position
from ..registration.tokens import issue_manage_token
from .calendars import event_calendar
from .composing import already_queued, queue_message, take_queued_ids, writing_for
from .delivery import DeliveryReport, deliver
from .links import site_url_for
from .models import OutboxMessage
from .sender import sender_for

logger = logging.getLogger(__name__)

#: A repeated sign-up with the same address e-mails the link again at most this
#: often, so that a stranger repeating someone's address cannot flood their inbox.
LINK_RESEND_INTERVAL = timedelta(minutes=10)

#: Reminders go for events starting between these two times from the moment the
#: command runs: run it once a day and each event is reminded of a day before.
REMINDER_WINDOW = (timedelta(hours=24), timedelta(hours=48))

#: Fields whose change moves an event in time, or somewhere else.
_TIME_FIELDS = ("starts_at", "ends_at", "all_day", "timezone")
_PLACE_FIELDS = ("venue_name", "venue_address", "online_url")


# --- Registrants -----------------------------------------------------------------


def notify_signup(registration: Registration) -> OutboxMessage | None:
    """Confirm a sign-up: a place, a turn on the waiting list, or a request awaiting
    approval, with the personal link and (for a place or a turn) the event's .ics."""
    if not _reachable(registration):
        return None

    event = registration.event
    method = _method_for(registration, "PUBLISH")
    with writing_for(registration.language):
        if registration.status == "confirmed":
            subject = _("You have a place: %(title)s", title=event.title)
        elif registration.status == "waitlisted":
            subject = _("You are on the waiting list: %(title)s", title=event.title)
        else:
            subject = _("We have your request: %(title)s", title=event.title)
        return _queue_for_registration(
            "signup", registration, subject=subject, method=method
        )


def notify_manage_link(registration: Registration) -> OutboxMessage | None:
    """E-mail the address on file its link again, after a repeated sign-up.

    Does nothing when such a message was queued in the last
    :data:`LINK_RESEND_INTERVAL`.
    """
    if not _reachable(registration):
        return None

    recent = db.session.scalar(
        select(func.count(OutboxMessage.id))
        .where(OutboxMessage.registration_id == registration.id)
        .where(OutboxMessage.kind == "manage-link")
        .where(OutboxMessage.created_at > utcnow() - LINK_RESEND_INTERVAL)
    )
    if recent:
        logger.info(
            "link for registration %s e-mailed recently; not again", registration.id
        )
        return None

    with writing_for(registration.language):
        subject = _("Your link for %(title)s", title=registration.event.title)
        return _queue_for_registration("manage-link", registration, subject=subject)


def notify_promoted(registration: Registration) -> OutboxMessage | None:
    """Tell someone from the waiting list that they now have a place.

    A registration is confirmed from the waiting list only once, so this e-mails it
    only once, however many callers announce the same promotion.
    """
    if not _reachable(registration):
        return None

    key = f"promoted:{registration.id}"
    if already_queued(key):
        return None
    with writing_for(registration.language):
        subject = _("A place is yours: %(title)s", title=registration.event.title)
        return _queue_for_registration(
            "promoted", registration, subject=subject, method="PUBLISH", dedupe_key=key
        )


def notify_cancelled(
    registration: Registration,
    *,
    by_organiser: bool = False,
    with_calendar: bool = True,
) -> OutboxMessage | None:
    """Tell the registrant that their sign-up is cancelled: confirm it when they
    cancelled, say so when the organisers did (``by_organiser``).

    The message carries a calendar file (``METHOD:CANCEL``) that drops the event
    from the reader's calendar, unless ``with_calendar`` is false: a request that
    was awaiting approval never had a calendar file to drop.
    """
    if not _reachable(registration):
        return None

    kind = "cancelled-by-organiser" if by_organiser else "cancelled"
    with writing_for(registration.language):
        subject = _("Sign-up cancelled: %(title)s", title=registration.event.title)
        return _queue_for_registration(
            kind,
            registration,
            subject=subject,
            method="CANCEL" if with_calendar else None,
            withdrawn=True,
            with_link=False,
        )


def notify_rejected(registration: Registration) -> OutboxMessage | None:
    """Tell someone whose request awaited approval that the organisers declined it.

    A registration is rejected only once, so this e-mails it only once.
    """
    if not _reachable(registration):
        return None

    key = f"rejected:{registration.id}"
    if already_queued(key):
        return None
    with writing_for(registration.language):
        subject = _("Not confirmed: %(title)s", title=registration.event.title)
        return _queue_for_registration(
            "rejected", registration, subject=subject, dedupe_key=key, with_link=False
        )


def notify_event_changed(event: Event, changes: Mapping) -> int:
    """Tell every active registrant that the event's time or place has changed.

    ``changes`` maps each changed field (``starts_at``, ``ends_at``, ``all_day``,
    ``timezone``, ``venue_name``, ``venue_address``, ``online_url``, ``title``) to
    its ``(old, new)`` values; the message shows what it was and what it is now.
    Call it after the change, with the event's ``sequence`` raised: the attached
    calendar (``METHOD:REQUEST``) replaces the copy in the reader's calendar. People
    awaiting approval get the message without one. Returns the number of messages
    queued.
    """
    queued = 0
    for registration in _active_registrants(event):
        key = f"event-changed:{registration.id}:{event.sequence}"
        if already_queued(key):
            continue
        with writing_for(registration.language):
            subject = _("Changed: %(title)s", title=event.title)
            message = _queue_for_registration(
                "event-changed",
                registration,
                subject=subject,
                method=_method_for(registration, "REQUEST"),
                dedupe_key=key,
                changes=_describe_changes(event, changes),
            )
        queued += message is not None
    logger.info("event %s: change e-mailed to %s registrants", event.id, queued)
    return queued


def registrants_to_tell(event: Event) -> int:
    """How many registrants a message to everyone signed up for ``event`` reaches:
    walk-ins who left no address and erased registrations are not written to."""
    return len(_active_registrants(event))


def notify_event_cancelled(event: Event) -> int:
    """Tell every active registrant that the event is cancelled, with a calendar
    file (``METHOD:CANCEL``) that removes it for those who had one. Returns the
    number of messages queued."""
    queued = 0
    for registration in _active_registrants(event):
        key = f"event-cancelled:{registration.id}"
        if already_queued(key):
            continue
        with writing_for(registration.language):
            subject = _("Cancelled: %(title)s", title=event.title)
            message = _queue_for_registration(
                "event-cancelled",
                registration,
                subject=subject,
                method=_method_for(registration, "CANCEL"),
                dedupe_key=key,
                with_link=False,
            )
        queued += message is not None
    logger.info("event %s: cancellation e-mailed to %s registrants", event.id, queued)
    return queued


def queue_reminders(*, now: datetime) -> int:
    """Queue a reminder for each confirmed registrant of the published events that
    start within :data:`REMINDER_WINDOW` of ``now``; return how many were queued.

    Each registration is reminded once per version of its event (its ``sequence``),
    so running this twice sends nothing new, and an event moved into the window
    again after a change is reminded of again.
    """
    begin_write()
    earliest, latest = (now + offset for offset in REMINDER_WINDOW)
    registrations = db.session.scalars(
        select(Registration)
        .join(Event, Event.id == Registration.event_id)
        .where(Event.status == "published")
        .where(Event.starts_at >= earliest)
        .where(Event.starts_at < latest)
        .where(Registration.status == "confirmed")
        .order_by(Event.starts_at, Registration.id)
    ).all()

    queued = 0
    for registration in registrations:
        if not _reachable(registration):
            continue
        event = registration.event
        key = f"reminder:{registration.id}:{event.sequence}"
        if already_queued(key):
            continue
        with writing_for(registration.language):
            subject = _("Reminder: %(title)s", title=event.title)
            message = _queue_for_registration(
                "reminder", registration, subject=subject, dedupe_key=key
            )
        queued += message is not None
    logger.info("%s reminders queued", queued)
    return queued


def queue_survey_invitations(*, now: datetime) -> int:
    """Queue the follow-up e-mail with the survey link for each attendee of the
    awareness events that ended within :data:`FOLLOW_UP_WINDOW` before ``now``;
    return how many were queued.

    Each registration is written to once, ever, and not at all once it has
    answered, so running this twice sends nothing new.
    """
    begin_write()
    answered = exists().where(SurveyReceipt.registration_id == Registration.id)
    registrations = db.session.scalars(
        select(Registration)
        .join(Event, Event.id == Registration.event_id)
        .where(Event.type.in_(SURVEY_EVENT_TYPES))
        .where(Event.status == "published")
        .where(Event.ends_at <= now)
        .where(Event.ends_at > now - FOLLOW_UP_WINDOW)
        .where(Registration.status == "confirmed")
        .where(Registration.attended_at.is_not(None))
        .where(~answered)
        .order_by(Event.ends_at, Registration.id)
    ).all()

    queued = 0
    for registration in registrations:
        if not _reachable(registration):
            continue
        key = f"survey:{registration.id}"
        if already_queued(key):
            continue
        survey_url = site_url_for("survey.by_link", token=personal_token(registration))
        with writing_for(registration.language):
            subject = _(
                "Thank you for coming: %(title)s", title=registration.event.title
            )
            message = _queue_for_registration(
                "survey",
                registration,
                subject=subject,
                dedupe_key=key,
                with_link=False,
                survey_url=survey_url,
            )
        queued += message is not None
    logger.info("%s survey invitations queued", queued)
    return queued


def forget_messages(registration: Registration) -> int:
    """Delete every message about ``registration``, sent or not, for its erasure."""
    deleted = db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.registration_id == registration.id)
    ).rowcount
    db.session.flush()
    logger.info("%s messages of registration %s deleted", deleted, registration.id)
    return deleted


# --- Accounts --------------------------------------------------------------------


def send_invitation(
    user: User, link: str, *, valid_for: timedelta | None = None
) -> OutboxMessage:
    """Queue the invitation that lets ``user`` choose a password at ``link``.

    Build ``link`` with :func:`~.links.site_url_for`, never from the request; the
    message says how long it works when ``valid_for`` is given.
    """
    with writing_for(user.language):
        subject = _("Your invitation to %(site)s", site=current_app.config["SITE_NAME"])
        return _queue_for_account("invitation", user, subject, link, valid_for)


def send_password_reset(
    user: User, link: str, *, valid_for: timedelta | None = None
) -> OutboxMessage:
    """Queue the message that lets ``user`` choose a new password at ``link``.

    Build ``link`` with :func:`~.links.site_url_for`, never from the request.
    """
    with writing_for(user.language):
        subject = _(
            "Reset your password for %(site)s", site=current_app.config["SITE_NAME"]
        )
        return _queue_for_account("password-reset", user, subject, link, valid_for)


# --- Delivery --------------------------------------------------------------------


def deliver_queued() -> DeliveryReport:
    """Send the messages queued in this request or command; call it after the commit.

    During a request, with ``MAIL_SEND_IN_BACKGROUND``, the messages are handed to
    the process's sender thread (see :mod:`.sender`) and the report counts them as
    ``handed``; a command, or a request without that setting, sends them here and
    now.

    It never raises: whatever goes wrong, the messages stay in the outbox for
    ``mail flush``, and the person sees the answer to what they did.
    """
    ids = take_queued_ids()
    if not ids:
        return DeliveryReport()

    if has_request_context() and current_app.config.get("MAIL_SEND_IN_BACKGROUND"):
        sender = sender_for(current_app)
        if sender is not None and sender.hand(ids):
            return DeliveryReport(handed=len(ids))

    try:
        return deliver(ids)
    except Exception as error:  # noqa: BLE001 (whatever fails stays queued)
        # Only the kind of error is logged: database errors quote the values of
        # their statement, which may be addresses or message text.
        db.session.rollback()
        logger.warning(
            "delivery of %s queued messages stopped (%s); mail flush will retry",
            len(ids),
            type(error).__name__,
        )
        return DeliveryReport(failed=len(ids))


def flush_outbox() -> DeliveryReport:
    """Send every message not sent yet, oldest first."""
    return deliver()


# --- Helpers ---------------------------------------------------------------------


def _reachable(registration: Registration) -> bool:
    # Walk-ins may have left no address, and erased registrations have none.
    return registration.email is not None and registration.erased_at is None


def _active_registrants(event: Event) -> list[Registration]:
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id)
        .where(Registration.status.in_(ACTIVE_STATUSES))
        .order_by(Registration.id)
    ).all()
    return [registration for registration in registrations if _reachable(registration)]


def _method_for(registration: Registration, method: str) -> str | None:
    # A request awaiting approval holds no place yet, so nothing for a calendar.
    return None if registration.status == "pending" else method


def _queue_for_registration(
    kind: str,
    registration: Registration,
    *,
    subject: str,
    method: str | None = None,
    withdrawn: bool = False,
    dedupe_key: str | None = None,
    with_link: bool = True,
    **extra,
) -> OutboxMessage | None:
    """Queue a message about one registration; call it inside ``writing_for``.

    ``method`` attaches the event as a calendar file with that iTIP method;
    ``withdrawn`` writes it as cancelled for this reader alone.
    """
    event = registration.event
    calendar = None
    if method is not None:
        calendar = _calendar_for(registration, method, withdrawn=withdrawn)

    context = {
        "registration": registration,
        "event": event,
        "name": registration.name,
        "when": format_when(event),
        "event_url": _event_url(event),
        "events_url": site_url_for("events.index"),
        "position": waiting_position(registration),
        "calendar_attached": calendar is not None,
        "locale": str(get_locale()),
        "site_name": current_app.config["SITE_NAME"],
        **extra,
    }
    if with_link:
        token = issue_manage_token(registration)
        context["manage_url"] = site_url_for("registration.manage", token=token)

    return queue_message(
        kind,
        recipient=registration.email,
        subject=subject,
        context=context,
        registration_id=registration.id,
        calendar=calendar,
        calendar_method=method,
        dedupe_key=dedupe_key,
    )


def _event_url(event: Event) -> str:
    return site_url_for("events.detail", slug=event.slug)


def _calendar_for(registration: Registration, method: str, *, withdrawn: bool) -> bytes:
    """The event as a calendar file for this registrant, for a message."""
    event = registration.event
    people = {}
    if method in ("REQUEST", "CANCEL"):
        sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
        people = {"organizer": sender, "attendee": registration.email}
    left = None
    if withdrawn:
        left = {event.id: registration.cancelled_at or registration.updated_at}
    tentative = registration.status == "waitlisted"
    if not people and not left:
        return event_calendar(
            event, method, tentative=tentative, page_url=_event_url, stamp=utcnow()
        )

    return build_calendar(
        [event],
        event.title,
        method=method,
        withdrawn=left,
        tentative=tentative,
        page_url=_event_url,
        stamp=utcnow(),
        **people,
    )


def _queue_for_account(kind, user, subject, link, valid_for) -> OutboxMessage:
    locale = get_locale()
    context = {
        "name": user.name,
        "link": link,
        "valid_for": format_timedelta(valid_for, locale=locale) if valid_for else None,
        "locale": str(locale),
        "site_name": current_app.config["SITE_NAME"],
    }
    return queue_message(
        kind, recipient=user.email, subject=subject, context=context, account_id=user.id
    )


def _describe_changes(event: Event, changes: Mapping) -> list[dict]:
    """Say, field group by field group, what the event was and what it is now."""
    described = []
    if "title" in changes:
        described.append(
            {"label": _("Title"), "before": changes["title"][0], "after": event.title}
        )
    if any(field in changes for field in _TIME_FIELDS):
        described.append(
            {
                "label": _("When"),
                "before": _when_before(event, changes),
                "after": format_when(event),
            }
        )
    if any(field in changes for field in _PLACE_FIELDS):
        described.append(
            {
                "label": _("Where"),
                "before": _place(_old_values(event, changes, _PLACE_FIELDS)),
                "after": _place(_old_values(event, {}, _PLACE_FIELDS)),
            }
        )
    return described


def _old_values(event: Event, changes: Mapping, fields) -> dict:
    return {
        field: changes[field][0] if field in changes else getattr(event, field)
        for field in fields
    }


def _when_before(event: Event, changes: Mapping) -> str:
    # An unsaved copy holding the old times, worded exactly like the new ones.
    return format_when(Event(**_old_values(event, changes, _TIME_FIELDS)))


def _place(values: Mapping) -> str:
    parts = [values["venue_name"], values["venue_address"]]
    place = ", ".join(part for part in parts if part)
    if values["online_url"]:
        place = f"{place} · {values['online_url']}" if place else values["online_url"]
    return place

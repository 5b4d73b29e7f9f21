"""Writing the audit trail of an event, and reading it back in words.

An entry names people by id only. The trail page looks their names up when it is
shown, so a registrant who is erased disappears from the trail with everything else.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..database import utcnow
from ..events.formatting import format_day, format_moment
from ..events.models import Event
from ..extensions import db
from ..registration.models import Registration
from ..vocabulary import SECTORS
from .models import AuditEntry

#: Every action the trail knows, with the words it is shown in.
ACTIONS = {
    "event.created": _l("Event created"),
    "event.updated": _l("Event details changed"),
    "event.rescheduled": _l("Event rescheduled"),
    "event.moved": _l("Place changed"),
    "event.published": _l("Event published"),
    "event.cancelled": _l("Event cancelled"),
    "event.status_changed": _l("Event status changed"),
    "registration.approved": _l("Sign-up approved"),
    "registration.rejected": _l("Sign-up rejected"),
    "registration.cancelled_by_organiser": _l("Registration cancelled by organiser"),
    "registration.promoted": _l("Confirmed from the waiting list"),
    "registration.erased": _l("Registrant erased on request"),
    "registration.checked_in": _l("Attendee checked in"),
    "registration.check_in_undone": _l("Check-in undone"),
    "registration.walk_in_added": _l("Walk-in added at the door"),
    "registration.walk_in_removed": _l("Walk-in removed"),
}

#: Names of event fields as the trail shows them when it lists what changed.
FIELD_LABELS = {
    "title": _l("title"),
    "slug": _l("address"),
    "type": _l("type"),
    "community": _l("host community"),
    "description": _l("description"),
    "capacity": _l("capacity"),
    "registration_opens_at": _l("registration opening"),
    "registration_closes_at": _l("registration closing"),
    "requires_approval": _l("approval of sign-ups"),
    "sectors": _l("sectors"),
    "languages": _l("languages"),
}

EVENT_STATUS_LABELS = {
    "draft": _l("draft"),
    "published": _l("published"),
    "cancelled": _l("cancelled"),
}

STATUS_LABELS = {
    "confirmed": _l("confirmed"),
    "waitlisted": _l("waiting list"),
    "pending": _l("waiting for approval"),
    "cancelled": _l("cancelled"),
    "rejected": _l("rejected"),
}


def record(
    event: Event,
    action: str,
    *,
    actor=None,
    registration: Registration | None = None,
    **details,
) -> AuditEntry:
    """Add an entry to ``event``'s trail, written with the caller's other changes.

    ``details`` must hold no personal data: ids, statuses, times and places only.
    Dates and instants are stored as ISO 8601 text.

    :raise ValueError: for an action that is not in :data:`ACTIONS`.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")

    # A new event or walk-in gets its id only when it is written.
    if event.id is None or (registration is not None and registration.id is None):
        db.session.flush()

    entry = AuditEntry(
        event_id=event.id,
        actor_id=_account_id(actor),
        registration_id=registration.id if registration is not None else None,
        action=action,
        details={name: _plain(value) for name, value in details.items()},
        created_at=utcnow(),
    )
    db.session.add(entry)
    return entry


def entry_for_nonce(
    action: str,
    nonce: str,
    *,
    event_id: int | None = None,
    actor_id: int | None = None,
) -> AuditEntry | None:
    """The first entry of ``action`` that a form with this one-time value wrote.

    Forms that must not act twice when sent twice record their ``nonce`` in the
    details of the entry they write; narrowing by event or by author keeps the
    search small. The caller holds a lock that makes a second copy of the form
    wait for the first, so that it finds the first one's entry here.
    """
    statement = (
        select(AuditEntry)
        .where(AuditEntry.action == action)
        .where(AuditEntry.details["nonce"].as_string() == nonce)
        .order_by(AuditEntry.id)
        .limit(1)
    )
    if event_id is not None:
        statement = statement.where(AuditEntry.event_id == event_id)
    if actor_id is not None:
        statement = statement.where(AuditEntry.actor_id == actor_id)
    return db.session.scalar(statement)


@dataclass(frozen=True)
class TrailLine:
    """One entry of the trail as the page shows it."""

    when: datetime
    action: str
    actor: str | None
    registrant: str | None
    summary: str


def trail(event: Event) -> list[TrailLine]:
    """The event's trail, newest first, with names looked up now."""
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.event_id == event.id)
        .options(selectinload(AuditEntry.actor))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ).all()

    ids = {entry.registration_id for entry in entries if entry.registration_id}
    registrations = {}
    if ids:
        rows = db.session.scalars(select(Registration).where(Registration.id.in_(ids)))
        registrations = {registration.id: registration for registration in rows}

    return [
        TrailLine(
            when=entry.created_at,
            action=str(ACTIONS.get(entry.action, entry.action)),
            actor=entry.actor.name if entry.actor is not None else None,
            registrant=_registrant_label(entry, registrations),
            summary=_summary(entry, event),
        )
        for entry in entries
    ]


def registrant_label(registration: Registration) -> str:
    """How a registrant is named to organisers: erased and nameless ones included."""
    if registration.erased_at is not None:
        return _("erased registrant")
    if registration.name:
        return registration.name
    if registration.source == "walk-in":
        return _("walk-in without a name")
    return _("unnamed registrant")


def _registrant_label(entry: AuditEntry, registrations: Mapping) -> str | None:
    if entry.registration_id is None:
        return None
    registration = registrations.get(entry.registration_id)
    if registration is None:
        return _("erased registrant")
    return registrant_label(registration)


def _summary(entry: AuditEntry, event: Event) -> str:
    details = entry.details or {}
    action = entry.action

    if action == "event.rescheduled":
        return _(
            "From %(old)s to %(new)s.",
            old=_start(details, "old", event),
            new=_start(details, "new", event),
        )
    if action == "event.moved":
        return _(
            "From %(old)s to %(new)s.",
            old=_place(details, "old"),
            new=_place(details, "new"),
        )
    if action == "event.updated":
        fields = details.get("fields") or []
        labels = [str(FIELD_LABELS.get(name, name)) for name in fields]
        summary = _("Changed: %(fields)s.", fields=", ".join(labels))
        if "capacity" in details:
            old, new = details["capacity"]
            summary += " " + _(
                "Capacity %(old)s → %(new)s.",
                old=_capacity(old),
                new=_capacity(new),
            )
        return summary
    if action == "event.status_changed":
        return _(
            "From %(old)s to %(new)s.",
            old=_event_status(details.get("old_status")),
            new=_event_status(details.get("new_status")),
        )
    if action == "event.created" and details.get("source") == "csv":
        return _("Imported from a CSV file.")
    if action == "event.created" and details.get("source") == "yaml":
        return _("Imported from a YAML file.")
    if action in ("registration.approved", "registration.promoted"):
        return _("Now: %(status)s.", status=_status(details.get("status")))
    if action == "registration.cancelled_by_organiser":
        return _("Was: %(status)s.", status=_status(details.get("previous_status")))
    if action == "registration.walk_in_added" and details.get("sector"):
        sector = details["sector"]
        return _("Sector: %(sector)s.", sector=SECTORS.get(sector, sector))
    return ""


def _start(details: Mapping, which: str, event: Event) -> str:
    """The start an entry recorded, as a day for all-day events, else a time."""
    value = details.get(f"{which}_start")
    if not value:
        return "—"
    zone = ZoneInfo(details.get(f"{which}_timezone") or event.timezone)
    moment = datetime.fromisoformat(value)
    if details.get(f"{which}_all_day"):
        return format_day(moment.astimezone(zone).date())
    return format_moment(moment, zone)


def _place(details: Mapping, which: str) -> str:
    parts = [
        details.get(f"{which}_venue_name"),
        details.get(f"{which}_venue_address"),
        details.get(f"{which}_online_url"),
    ]
    return ", ".join(part for part in parts if part) or "—"


def _capacity(value) -> str:
    return _("no limit") if value is None else str(value)


def _status(value: str | None) -> str:
    return str(STATUS_LABELS.get(value, value or "—"))


def _event_status(value: str | None) -> str:
    return str(EVENT_STATUS_LABELS.get(value, value or "—"))


def _account_id(actor) -> int | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor.id


def _plain(value):
    """Turn a value into something JSON keeps as it is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value

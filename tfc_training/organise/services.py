"""What organisers do: shape and publish events, decide on sign-ups, check people in.

Every function here flushes but does not commit; the view or command that calls it
commits once and then delivers the e-mail queued along the way. Each change is
written to the event's audit trail with the person who made it. Functions that
depend on counts of places take the write lock and then lock the event row, exactly
as sign-up does, so that an organiser and a registrant never both take the last
place.
"""

import logging
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, func, select

from ..accounts.models import User
from ..audit.services import STATUS_LABELS, entry_for_nonce, record
from ..communities.models import Community
from ..database import begin_write
from ..events.models import Event
from ..events.services import apply_event_changes
from ..extensions import db
from ..mail.services import (
    forget_messages,
    notify_event_cancelled,
    notify_event_changed,
    notify_rejected,
    notify_signup,
)
from ..registration.models import ACTIVE_STATUSES, Registration
from ..registration.services import (
    RegistrationClosed,
    cancel,
    places_taken,
    promote_waiting,
)

logger = logging.getLogger(__name__)

#: Fields whose change moves an event in time.
SCHEDULE_FIELDS = ("starts_at", "ends_at", "timezone", "all_day")

#: Fields whose change moves an event somewhere else.
PLACE_FIELDS = ("venue_name", "venue_address", "online_url")


class ActionRefused(Exception):
    """The action does not fit the event or registration as it stands now.

    ``message`` says why in words for the organiser; ``field`` names the form field
    it belongs next to, if any.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- Reading -------------------------------------------------------------------


@dataclass
class EventCounts:
    """How many registrations of an event stand where, for the organiser's eyes."""

    confirmed: int = 0
    waiting: int = 0
    pending: int = 0
    checked_in: int = 0
    walk_ins: int = 0

    @property
    def signed_up(self) -> int:
        """People who hold a place, a turn or a request: those told of a change."""
        return self.confirmed + self.waiting + self.pending


def managed_communities(user) -> list[Community]:
    """The communities ``user`` may create events for, by name."""
    statement = select(Community).order_by(Community.name)
    if not user.is_admin:
        statement = statement.where(Community.id.in_(user.organised_community_ids))
    return list(db.session.scalars(statement))


def managed_events(user) -> Select:
    """Select the events ``user`` manages: every event for admins."""
    statement = select(Event)
    if not user.is_admin:
        statement = statement.where(
            Event.community_id.in_(user.organised_community_ids)
        )
    return statement


#: Past events shown on the dashboard, newest first.
PAST_EVENTS_SHOWN = 50


@dataclass
class DashboardRow:
    """One line of the dashboard: an event, and the other dates of its series that
    fall in the same section, which a weekly series would otherwise spread over
    dozens of lines."""

    event: Event
    more: list[Event] = field(default_factory=list)


@dataclass
class DashboardSections:
    """The events one person manages, as the dashboard groups them."""

    upcoming: list[DashboardRow]
    drafts: list[DashboardRow]
    past: list[DashboardRow]

    @property
    def all_events(self) -> list[Event]:
        return [
            event
            for row in self.upcoming + self.drafts + self.past
            for event in (row.event, *row.more)
        ]


def dashboard_sections(user, *, now: datetime) -> DashboardSections:
    """Coming events soonest first, drafts, then the latest past events; each series
    on one line per section, under its first date listed there."""
    events = db.session.scalars(
        managed_events(user).order_by(Event.starts_at, Event.id)
    )
    upcoming, drafts, past = [], [], []
    for event in events:
        if event.status == "draft":
            drafts.append(event)
        elif event.ends_at > now:
            upcoming.append(event)
        else:
            past.append(event)
    past.reverse()
    return DashboardSections(
        _series_together(upcoming),
        _series_together(drafts),
        _series_together(past)[:PAST_EVENTS_SHOWN],
    )


def _series_together(events: list[Event]) -> list[DashboardRow]:
    rows: list[DashboardRow] = []
    row_of_series: dict[int, DashboardRow] = {}
    for event in events:
        row = row_of_series.get(event.series_id) if event.series_id else None
        if row is not None:
            row.more.append(event)
            continue
        row = DashboardRow(event)
        rows.append(row)
        if event.series_id:
            row_of_series[event.series_id] = row
    return rows


def counts_by_event(event_ids: Iterable[int]) -> dict[int, EventCounts]:
    """Count each event's registrations by status, in one grouped query."""
    event_ids = list(event_ids)
    counts = {event_id: EventCounts() for event_id in event_ids}
    if not event_ids:
        return counts

    rows = db.session.execute(
        select(
            Registration.event_id,
            Registration.status,
            Registration.source,
            func.count(Registration.id),
            func.count(Registration.attended_at),
        )
        .where(Registration.event_id.in_(event_ids))
        .group_by(Registration.event_id, Registration.status, Registration.source)
    )
    for event_id, status, source, total, attended in rows:
        tally = counts[event_id]
        if status == "confirmed":
            tally.confirmed += total
            tally.checked_in += attended
            if source == "walk-in":
                tally.walk_ins += total
        elif status == "waitlisted":
            tally.waiting += total
        elif status == "pending":
            tally.pending += total
    return counts


@dataclass
class RegistrantRow:
    """One registration on the organiser's list, with its place in the queue."""

    registration: Registration
    position: int | None = None


def registrant_rows(event: Event, status: str | None = None) -> list[RegistrantRow]:
    """The event's registrations in sign-up order, optionally of one status only.

    Waiting positions are worked out from the whole waiting list, so they are right
    whichever status is shown.
    """
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id)
        .order_by(Registration.id)
    ).all()

    waiting = [r.id for r in registrations if r.status == "waitlisted"]
    positions = {registration_id: n for n, registration_id in enumerate(waiting, 1)}
    return [
        RegistrantRow(registration, positions.get(registration.id))
        for registration in registrations
        if status is None or registration.status == status
    ]


def check_in_list(event: Event, search: str = "") -> list[Registration]:
    """Confirmed, not erased registrants, by name, matching ``search`` if given.

    The search ignores case and accents, so "diaz" finds "Díaz". Lists are the size
    of one event, so they are filtered here rather than in SQL, where SQLite would
    only fold the case of ASCII letters.
    """
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id)
        .where(Registration.status == "confirmed")
        .where(Registration.erased_at.is_(None))
        .order_by(Registration.id)
    ).all()

    wanted = _folded(search)
    if wanted:
        registrations = [r for r in registrations if wanted in _folded(r.name or "")]
    return sorted(registrations, key=lambda r: (r.name is None, _folded(r.name or "")))


def check_in_opens_at(event: Event) -> datetime:
    """The moment check-in opens: the start of the event's first day, in its zone.

    Doors often open early and people arrive before the start time, so the whole
    first day counts. Check-in stays open afterwards, so that attendance taken on
    paper can be entered later.
    """
    return datetime.combine(event.start_date, time(), tzinfo=event.zone)


def can_check_in(event: Event, *, now: datetime) -> bool:
    """Whether attendance can be recorded for ``event`` at ``now``."""
    return event.status == "published" and now >= check_in_opens_at(event)


# --- Events --------------------------------------------------------------------


def create_event(
    values: Mapping,
    *,
    actor,
    now: datetime,
    source: str | None = None,
    nonce: str | None = None,
) -> Event:
    """Create an event from checked ``values`` (see ``apply_event_changes``).

    The event is a draft unless ``values`` gives another status, as an import may.
    ``source`` names the kind of file it was imported from, for the trail.
    ``nonce`` is the one-time value of the form it came from, kept on the trail
    for :func:`event_made_by_form`.
    """
    begin_write()
    event = Event(status="draft", created_at=now)
    db.session.add(event)
    apply_event_changes(event, {**values, "status": values.get("status", "draft")})
    db.session.flush()

    details = {"source": source} if source else {}
    if nonce:
        details["nonce"] = nonce
    record(event, "event.created", actor=actor, **details)
    logger.info("event %s created", event.id)
    return event


def event_made_by_form(nonce: str, *, actor) -> Event | None:
    """The event that a new-event form with this one-time value made already, if any.

    For a series it is the first date. The author's account is locked first, so
    that a second copy of the form sent at the same moment (a double click) waits
    until the first is saved, and then finds its event instead of making another.
    """
    begin_write()
    db.session.execute(
        select(User.id).where(User.id == actor.id).with_for_update(of=User)
    )
    entry = entry_for_nonce("event.created", nonce, actor_id=actor.id)
    return db.session.get(Event, entry.event_id) if entry is not None else None


def update_event(event: Event, values: Mapping, *, actor, now: datetime) -> list[str]:
    """Change an event and tell whoever the change concerns; returns what changed.

    A change of time or place is e-mailed to the active registrants of a published
    event. A larger capacity confirms people from the waiting list. The names of
    the fields that changed are returned, none when the values were the same.

    :raise ActionRefused: when the capacity would drop below the people already
        confirmed, since nobody loses a place they were given.
    """
    event = _lock_event(event.id)
    before = _snapshot(event)

    # Walk-ins may already fill the room beyond the capacity; only a change of the
    # capacity itself is held against the people confirmed.
    new_capacity = values.get("capacity", event.capacity)
    confirmed = places_taken([event.id])[event.id]
    capacity_changed = new_capacity != event.capacity and new_capacity is not None
    if capacity_changed and new_capacity < confirmed:
        raise ActionRefused(
            ngettext(
                "%(num)d person already has a place. Raise the capacity to at least"
                " %(num)d, or cancel the registration first.",
                "%(num)d people already have a place. Raise the capacity to at least"
                " %(num)d, or cancel registrations first.",
                confirmed,
            ),
            field="capacity",
        )

    if not apply_event_changes(event, values):
        return []
    db.session.flush()

    changed = _after_change(event, before, actor=actor)
    if _more_places(before["capacity"], event.capacity):
        _promote(event, actor=actor, now=now)
    logger.info("event %s changed: %s", event.id, ", ".join(changed))
    return changed


def publish_event(event: Event, *, actor, now: datetime) -> None:
    """Make a draft public: on the site, in the feeds, open for sign-up.

    :raise ActionRefused: for an event that is not a draft, or one that has ended,
        which nobody could sign up for any more.
    """
    event = _lock_event(event.id)
    if event.status != "draft":
        raise ActionRefused(_("Only a draft can be published."))
    if event.ends_at <= now:
        raise ActionRefused(
            _("This event has already ended. Change its dates to publish it.")
        )

    apply_event_changes(event, {"status": "published"})
    record(event, "event.published", actor=actor)
    logger.info("event %s published", event.id)

    # A series is published as a whole: its coming dates go public together.
    if event.series is not None:
        for other in event.series.occurrences:
            if other.status == "draft" and other.ends_at > now:
                apply_event_changes(other, {"status": "published"})
                record(other, "event.published", actor=actor)


def cancel_event(event: Event, *, actor, now: datetime) -> int:
    """Cancel a published event and tell its registrants; returns how many are told.

    The event stays listed as cancelled, so that people and calendars learn of it;
    the registrations keep their status, so the event's history stays readable.

    :raise ActionRefused: for a draft, an event already cancelled or one that is over.
    """
    event = _lock_event(event.id)
    if event.status != "published":
        raise ActionRefused(_("Only a published event can be cancelled."))
    if event.ends_at <= now:
        raise ActionRefused(_("This event has already taken place."))

    apply_event_changes(event, {"status": "cancelled"})
    record(event, "event.cancelled", actor=actor)
    told = notify_event_cancelled(event)
    logger.info("event %s cancelled", event.id)
    return told


def delete_draft(event: Event, *, actor) -> None:
    """Delete a draft for good, with its audit trail.

    :raise ActionRefused: for an event that was ever public or holds registrations.
    """
    event = _lock_event(event.id)
    if event.status != "draft":
        raise ActionRefused(
            _("Only drafts can be deleted. Cancel a published event instead.")
        )
    has_registrations = db.session.scalar(
        select(func.count(Registration.id)).where(Registration.event_id == event.id)
    )
    if has_registrations:
        raise ActionRefused(
            _("This draft holds registrations from when it was public; it stays.")
        )

    event_id = event.id
    db.session.delete(event)
    db.session.flush()
    logger.info("draft event %s deleted by account %s", event_id, actor.id)


# --- Registrations -------------------------------------------------------------


def approve(registration: Registration, *, actor, now: datetime) -> Registration:
    """Give a pending person a place, or a turn on the waiting list when full.

    People already waiting keep their turn: free places go to them first.

    :raise ActionRefused: when the sign-up is not pending, or the event does not
        take sign-ups any more.
    """
    event = _lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status != "pending":
        raise ActionRefused(_("Only sign-ups waiting for approval can be approved."))
    if event.status != "published" or event.ends_at <= now:
        raise ActionRefused(_("This event no longer takes sign-ups."))

    _promote(event, actor=actor, now=now)
    taken = places_taken([event.id])[event.id]
    has_place = event.capacity is None or taken < event.capacity
    registration.status = "confirmed" if has_place else "waitlisted"
    registration.updated_at = now
    db.session.flush()

    record(
        event,
        "registration.approved",
        actor=actor,
        registration=registration,
        status=registration.status,
    )
    if registration.erased_at is None:
        notify_signup(registration)
    logger.info("registration %s approved (%s)", registration.id, registration.status)
    return registration


def reject(registration: Registration, *, actor, now: datetime) -> Registration:
    """Turn down a pending sign-up and tell the person so.

    :raise ActionRefused: when the sign-up is not pending.
    """
    event = _lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status != "pending":
        raise ActionRefused(_("Only sign-ups waiting for approval can be rejected."))

    registration.status = "rejected"
    registration.updated_at = now
    db.session.flush()

    record(event, "registration.rejected", actor=actor, registration=registration)
    if registration.erased_at is None:
        notify_rejected(registration)
    logger.info("registration %s rejected", registration.id)
    return registration


def cancel_by_organiser(
    registration: Registration, *, actor, now: datetime
) -> list[Registration]:
    """Cancel someone's registration for them; the next person waiting moves up.

    Returns the registrations confirmed from the waiting list as a result.

    :raise ActionRefused: when the registration is not active, or the event is over.
    """
    event = _lock_event(registration.event_id)
    db.session.refresh(registration)
    previous = registration.status
    if previous not in ACTIVE_STATUSES:
        raise ActionRefused(
            _("This registration is already %(status)s.", status=_status_word(previous))
        )

    # Written first, so that the trail reads in order: the cancellation, then the
    # promotion it causes, which ``cancel`` records itself.
    record(
        event,
        "registration.cancelled_by_organiser",
        actor=actor,
        registration=registration,
        previous_status=previous,
    )
    try:
        return cancel(registration, now=now, notify=True, by_organiser=True)
    except RegistrationClosed:
        raise ActionRefused(
            _("This event has already taken place; its registrations stay as they are.")
        ) from None


def erase(registration: Registration, *, actor, now: datetime) -> None:
    """Remove a registrant's personal data at their request; the counts stay.

    Name, e-mail and accessibility needs go, with the manage links and any e-mail
    about the registration. Status, attendance, sector and language stay: none of
    them says who the person was, and the event's figures are built from them.
    Erasing twice changes nothing the second time.
    """
    begin_write()
    db.session.refresh(registration)
    if registration.erased_at is not None:
        return

    registration.name = None
    registration.email = None
    registration.accessibility = None
    registration.erased_at = now
    registration.updated_at = now
    registration.tokens.clear()
    forget_messages(registration)
    db.session.flush()

    record(
        registration.event,
        "registration.erased",
        actor=actor,
        registration=registration,
    )
    logger.info("registration %s erased", registration.id)


def check_in(registration: Registration, *, actor, now: datetime) -> bool:
    """Mark a confirmed person as attending; returns whether anything changed.

    :raise ActionRefused: for anyone not confirmed, or before check-in opens.
    """
    begin_write()
    db.session.refresh(registration)
    event = registration.event
    _require_check_in_open(event, now)
    if registration.status != "confirmed":
        raise ActionRefused(_("Only people with a confirmed place can be checked in."))
    if registration.attended_at is not None:
        return False

    registration.attended_at = now
    registration.checked_in_by_id = actor.id
    registration.updated_at = now
    db.session.flush()

    record(event, "registration.checked_in", actor=actor, registration=registration)
    return True


def undo_check_in(registration: Registration, *, actor, now: datetime) -> bool:
    """Take back a check-in made by mistake; returns whether anything changed.

    A walk-in exists only because of their check-in, so taking it back removes
    them: they are cancelled, take no place and are not counted as attending.
    """
    event = _lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.attended_at is None:
        return False
    if registration.source == "walk-in":
        _remove_walk_in(event, registration, actor=actor, now=now)
        return True

    registration.attended_at = None
    registration.checked_in_by_id = None
    registration.updated_at = now
    db.session.flush()

    record(
        registration.event,
        "registration.check_in_undone",
        actor=actor,
        registration=registration,
    )
    return True


@dataclass
class WalkIn:
    """What is asked of someone who comes without having signed up.

    ``nonce`` is the one-time value of the form it came from, if any: a form sent
    twice, by a double tap at the door, adds one person only.
    """

    name: str | None
    sector: str | None
    language: str
    nonce: str | None = None


def add_walk_in(
    event: Event, walk_in: WalkIn, *, actor, now: datetime
) -> Registration | None:
    """Record someone who came without signing up, already checked in.

    Walk-ins may go beyond the capacity: they are in the room. Returns ``None``,
    adding nobody, when the same form was already sent.

    :raise ActionRefused: before check-in opens, or for an event not taking place.
    """
    # The event's lock makes a second copy of the form wait for the first, and then
    # find its nonce on the trail.
    event = _lock_event(event.id)
    _require_check_in_open(event, now)
    if walk_in.nonce and _walk_in_added(event, walk_in.nonce):
        logger.info("walk-in form for event %s sent again; nobody added", event.id)
        return None

    registration = Registration(
        event_id=event.id,
        name=walk_in.name or None,
        email=None,
        sector_slug=walk_in.sector or None,
        language=walk_in.language,
        status="confirmed",
        source="walk-in",
        attended_at=now,
        checked_in_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(registration)
    db.session.flush()

    details = {"sector": registration.sector_slug}
    if walk_in.nonce:
        details["nonce"] = walk_in.nonce
    record(
        event,
        "registration.walk_in_added",
        actor=actor,
        registration=registration,
        **details,
    )
    logger.info("walk-in %s added to event %s", registration.id, event.id)
    return registration


def _walk_in_added(event: Event, nonce: str) -> bool:
    """Whether a walk-in form with this one-time value was already taken."""
    entry = entry_for_nonce("registration.walk_in_added", nonce, event_id=event.id)
    return entry is not None


def _remove_walk_in(
    event: Event, registration: Registration, *, actor, now: datetime
) -> None:
    registration.status = "cancelled"
    registration.cancelled_at = now
    registration.attended_at = None
    registration.checked_in_by_id = None
    registration.updated_at = now
    db.session.flush()

    record(
        event, "registration.walk_in_removed", actor=actor, registration=registration
    )
    logger.info("walk-in %s removed from event %s", registration.id, event.id)
    # Walk-ins are counted among the confirmed, so removing one may free a place.
    _promote(event, actor=actor, now=now)


# --- Internals ------------------------------------------------------------------

#: Plain fields compared before and after an edit.
_TRACKED_FIELDS = (
    "title",
    "slug",
    "type",
    "community_id",
    "description",
    *SCHEDULE_FIELDS,
    *PLACE_FIELDS,
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "requires_approval",
)


def _lock_event(event_id: int) -> Event:
    begin_write()
    return db.session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update(of=Event)
        .execution_options(populate_existing=True)
    )


def _snapshot(event: Event) -> dict:
    """The values of an event that an edit is compared against."""
    values = {name: getattr(event, name) for name in _TRACKED_FIELDS}
    values["sectors"] = event.sector_slugs
    values["languages"] = event.language_codes
    return values


def _after_change(event: Event, before: Mapping, *, actor) -> list[str]:
    """Write what changed to the trail and tell registrants of a new time or place."""
    after = _snapshot(event)
    changed = [name for name in after if after[name] != before[name]]
    if not changed:
        return changed

    _record_changes(event, before, changed, actor=actor)
    moved = [name for name in changed if name in SCHEDULE_FIELDS + PLACE_FIELDS]
    if moved and event.status == "published" and has_active_registrations(event):
        notify_event_changed(
            event, {name: (before[name], after[name]) for name in moved}
        )
    return changed


def _record_changes(
    event: Event, before: Mapping, changed: list[str], *, actor
) -> None:
    if any(name in SCHEDULE_FIELDS for name in changed):
        record(
            event,
            "event.rescheduled",
            actor=actor,
            old_start=before["starts_at"],
            new_start=event.starts_at,
            old_end=before["ends_at"],
            new_end=event.ends_at,
            old_timezone=before["timezone"],
            new_timezone=event.timezone,
            old_all_day=before["all_day"],
            new_all_day=event.all_day,
        )
    if any(name in PLACE_FIELDS for name in changed):
        record(
            event,
            "event.moved",
            actor=actor,
            **{f"old_{name}": before[name] for name in PLACE_FIELDS},
            **{f"new_{name}": getattr(event, name) for name in PLACE_FIELDS},
        )

    others = [
        "community" if name == "community_id" else name
        for name in changed
        if name not in SCHEDULE_FIELDS + PLACE_FIELDS
    ]
    if others:
        details = {"fields": others}
        if "capacity" in others:
            details["capacity"] = [before["capacity"], event.capacity]
        record(event, "event.updated", actor=actor, **details)


def _promote(event: Event, *, actor, now: datetime) -> list[Registration]:
    if event.status != "published" or event.ends_at <= now:
        return []

    # Each person confirmed is e-mailed, and written to the trail, by
    # ``promote_waiting`` itself.
    return promote_waiting(event, now=now, actor=actor)


def _more_places(old: int | None, new: int | None) -> bool:
    return old is not None and (new is None or new > old)


def has_active_registrations(event: Event) -> bool:
    """Whether anyone holds a place, a turn or a request for ``event``."""
    return bool(
        db.session.scalar(
            select(func.count(Registration.id))
            .where(Registration.event_id == event.id)
            .where(Registration.status.in_(ACTIVE_STATUSES))
        )
    )


def _require_check_in_open(event: Event, now: datetime) -> None:
    if event.status != "published":
        raise ActionRefused(_("Only a published event that takes place has check-in."))
    if now < check_in_opens_at(event):
        raise ActionRefused(_("Check-in opens on the day of the event."))


def _status_word(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def _folded(text: str) -> str:
    """Text without case or accents, for searching by name."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()

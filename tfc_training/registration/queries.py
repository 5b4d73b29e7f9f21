"""Counting places and turns: read-only questions asked by pages and messages."""

from collections.abc import Iterable

from sqlalchemy import func, select

from ..events.models import Event
from ..extensions import db
from .models import Registration


def places_taken(event_ids: Iterable[int]) -> dict[int, int]:
    """Count confirmed registrations per event, in one query; unknown ids count 0."""
    event_ids = list(event_ids)
    taken = dict.fromkeys(event_ids, 0)
    if not event_ids:
        return taken

    rows = db.session.execute(
        select(Registration.event_id, func.count(Registration.id))
        .where(Registration.event_id.in_(event_ids))
        .where(Registration.status == "confirmed")
        .group_by(Registration.event_id)
    )
    taken.update({event_id: count for event_id, count in rows})
    return taken


def waiting_position(registration: Registration) -> int | None:
    """Return a waiting person's place in the queue (1 is next), else ``None``."""
    if registration.status != "waitlisted":
        return None

    ahead = db.session.scalar(
        select(func.count(Registration.id))
        .where(Registration.event_id == registration.event_id)
        .where(Registration.status == "waitlisted")
        .where(Registration.id < registration.id)
    )
    return ahead + 1


def newcomer_outlook(event: Event) -> tuple[str, int | None]:
    """The status a sign-up made now would get, and its place in the queue if any.

    Read only, and so only a forecast: a place may be taken in the meantime.
    """
    if event.requires_approval:
        return "pending", None
    if event.capacity is None:
        return "confirmed", None

    # People waiting take the places that come free before a newcomer does.
    free = event.capacity - places_taken([event.id])[event.id]
    waiting = db.session.scalar(
        select(func.count(Registration.id))
        .where(Registration.event_id == event.id)
        .where(Registration.status == "waitlisted")
    )
    if waiting < free:
        return "confirmed", None
    return "waitlisted", waiting - max(free, 0) + 1

"""Builders shared by the tests of the organiser tools, the check-in, CSV and audit."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from tfc_training.accounts.models import User
from tfc_training.audit.models import AuditEntry
from tfc_training.communities.models import Community
from tfc_training.events.models import Event
from tfc_training.extensions import db
from tfc_training.mail.models import OutboxMessage
from tfc_training.registration.models import Registration

PASSWORD = "correct horse battery"


@dataclass
class Site:
    """Two communities, their organisers, an admin, a learner and some events.

    ``event`` is published in ``home`` a week from now with two places; ``draft`` is a
    draft of ``home``; ``foreign`` is a published event of ``other``.
    """

    home: Community
    other: Community
    organiser: User
    other_organiser: User
    admin: User
    learner: User
    event: Event
    draft: Event
    foreign: Event
    start: datetime


def build_site(make_community, make_user, make_event, now) -> Site:
    """Make the people and events most organiser tests start from."""
    home = make_community(slug="koreatown", name="TraffickFree Koreatown")
    other = make_community(slug="boyle-heights", name="TraffickFree Boyle Heights")
    start = (now + timedelta(days=7)).replace(second=0)
    return Site(
        home=home,
        other=other,
        organiser=make_user(name="Olivia Organiser", organises=[home]),
        other_organiser=make_user(name="Oscar Elsewhere", organises=[other]),
        admin=make_user(name="Ada Admin", is_admin=True),
        learner=make_user(name="Lee Learner", member_of=[home]),
        event=make_event(
            slug="listening-group",
            title="Listening group",
            community=home,
            capacity=2,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
        ),
        draft=make_event(
            slug="draft-workshop",
            title="Draft workshop",
            community=home,
            status="draft",
            starts_at=start + timedelta(days=7),
            ends_at=start + timedelta(days=7, hours=2),
        ),
        foreign=make_event(
            slug="boyle-heights-awareness",
            title="Boyle Heights awareness",
            community=other,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
        ),
        start=start,
    )


def log_in(client, user, password=PASSWORD):
    """Log in through the login form, and check that it worked."""
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    return client


def add_registration(event, *, status="confirmed", name=None, email=None, **values):
    """Add a registration straight to the database, as sign-up would have made it."""
    number = db.session.scalar(select(func.count(Registration.id))) + 1
    registration = Registration(
        event_id=event.id,
        name=name if name is not None else f"Registrant {number}",
        email=email if email is not None else f"registrant{number}@example.org",
        sector_slug=values.pop("sector_slug", "schools"),
        language=values.pop("language", "en"),
        consented_at=values.pop("consented_at", event.created_at),
        status=status,
        cancelled_at=event.created_at if status == "cancelled" else None,
        **values,
    )
    db.session.add(registration)
    db.session.commit()
    return registration


def fresh(model, object_id):
    """Read a row again as the database now has it, after requests changed it."""
    db.session.rollback()
    return db.session.get(model, object_id)


def local(moment: datetime, event: Event) -> str:
    """An instant as the event form writes it: local to the event's zone."""
    return moment.astimezone(event.zone).strftime("%Y-%m-%dT%H:%M")


def form_data(event: Event, **changes) -> dict:
    """The event form as a browser posts it, filled in from ``event``, then changed.

    A change to ``None`` leaves the field out, as an unticked checkbox is.
    """
    languages = event.language_codes
    data = {
        "title": event.title,
        "slug": event.slug,
        "type": event.type,
        "community": str(event.community_id or ""),
        "sectors": event.sector_slugs,
        "language": languages[0],
        "other_languages": languages[1:],
        "description": event.description or "",
        "timezone": event.timezone,
        "all_day": "y" if event.all_day else None,
        "start_date": event.start_date.isoformat() if event.all_day else "",
        "end_date": event.last_date.isoformat() if event.all_day else "",
        "starts_at": "" if event.all_day else local(event.starts_at, event),
        "ends_at": "" if event.all_day else local(event.ends_at, event),
        "venue_name": event.venue_name or "",
        "venue_address": event.venue_address or "",
        "online_url": event.online_url or "",
        "capacity": "" if event.capacity is None else str(event.capacity),
        "registration_opens": "",
        "registration_closes": "",
        "requires_approval": "y" if event.requires_approval else None,
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def new_event_data(host, **changes) -> dict:
    """A valid new-event form for the community ``host`` (``None``: network-wide)."""
    data = {
        "title": "Teachers and parents listening group",
        "slug": "",
        "type": "listening-group",
        "community": str(host.id) if host is not None else "",
        "sectors": ["schools", "law-enforcement"],
        "language": "es",
        "other_languages": ["en"],
        "description": "Bring *questions*.",
        "timezone": "America/Los_Angeles",
        "starts_at": "2031-02-03T17:00",
        "ends_at": "2031-02-03T19:00",
        "venue_name": "Boyle Heights Youth Center",
        "venue_address": "2100 E 1st St, Los Angeles, CA 90033",
        "online_url": "",
        "capacity": "30",
        "registration_opens": "",
        "registration_closes": "",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def field_errors(html: str, field: str) -> str:
    """The error messages shown right under one field, as a single string."""
    found = re.search(
        rf'<ul class="field-errors" id="{field}-errors">(.*?)</ul>', html, re.DOTALL
    )
    return found.group(1) if found else ""


def audit_actions(event) -> list[str]:
    """The actions on an event's trail, oldest first."""
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.event_id == event.id)
            .order_by(AuditEntry.id)
        )
    )


def outbox(kind=None) -> list[OutboxMessage]:
    """The messages written to the outbox, optionally of one kind, oldest first."""
    db.session.rollback()
    statement = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        statement = statement.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(statement))


def count(model) -> int:
    """How many rows a table holds."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))

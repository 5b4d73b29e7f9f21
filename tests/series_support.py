"""Builders for the tests of repeating events."""

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from sqlalchemy import select

from tfc_training.events.models import Event, EventSeries
from tfc_training.events.recurrence import Rule
from tfc_training.extensions import db
from tfc_training.organise.series import create_series

LA = ZoneInfo("America/Los_Angeles")


def series_values(community, start: datetime, end: datetime, **changes) -> dict:
    """Event values for the first date of a series, from local wall times in LA."""
    values = {
        "slug": "koreatown-tfc-meeting",
        "title": "TFC meeting",
        "type": "tfc-meeting",
        "community": community,
        "sectors": ["consumers"],
        "languages": ["en"],
        "description": "",
        "timezone": "America/Los_Angeles",
        "all_day": False,
        "starts_at": start.replace(tzinfo=LA).astimezone(ZoneInfo("UTC")),
        "ends_at": end.replace(tzinfo=LA).astimezone(ZoneInfo("UTC")),
        "venue_name": "Community room",
        "venue_address": "3500 Wilshire Blvd",
        "online_url": None,
        "capacity": None,
        "registration_opens_at": None,
        "registration_closes_at": None,
        "requires_approval": False,
        "status": "published",
    }
    values.update(changes)
    return values


def make_series(community, actor, now, rule: Rule, start, end, **changes):
    """Make a published series through the service, committed."""
    series = create_series(
        series_values(community, start, end, **changes), rule, actor=actor, now=now
    )
    db.session.commit()
    return series


def occurrences(series_id) -> list[Event]:
    """The dates of a series as the database now has them, by original start."""
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.series_id == series_id)
            .order_by(Event.recurrence_id)
        )
    )


def series_row(series_id) -> EventSeries | None:
    db.session.rollback()
    return db.session.get(EventSeries, series_id)


def expanded(body: bytes, prefix: str = "TFC meeting") -> list[tuple]:
    """The occurrences a calendar reader sees in a feed whose summary starts with
    ``prefix``: UTC start and end, summary and status."""
    calendar = icalendar.Calendar.from_ical(body)
    found = recurring_ical_events.of(calendar).between((2000, 1, 1), (2100, 1, 1))
    found = [c for c in found if str(c["SUMMARY"]).startswith(prefix)]
    return sorted(
        (
            component["DTSTART"].dt.astimezone(ZoneInfo("UTC")),
            component["DTEND"].dt.astimezone(ZoneInfo("UTC")),
            str(component["SUMMARY"]),
            str(component.get("STATUS", "")),
        )
        for component in found
    )


def in_database(events) -> list[tuple]:
    """The same view of published events, read from the database."""
    return sorted(
        (event.starts_at, event.ends_at, event.title, "CONFIRMED")
        for event in events
        if event.status == "published"
    )


def unfolded_lines(body: bytes) -> list[str]:
    return body.decode().replace("\r\n ", "").split("\r\n")

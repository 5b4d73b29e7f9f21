"""Loading the Los Angeles sample so that the site always has upcoming events."""

import logging
from datetime import date, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from ..events.importer import (
    ImportData,
    ImportFailed,
    ImportResult,
    apply_import,
    communities_by_slug,
    parse_import,
)
from ..events.models import Event, EventSeries
from ..extensions import db
from ..organise.series import create_series
from ..registration.models import ACTIVE_STATUSES, Registration
from ..registration.services import RegistrationClosed, places_taken, sign_up
from .signups import DEMO_APPLICANTS, FULL_EVENT_SLUG

logger = logging.getLogger(__name__)

SAMPLE = resources.files("tfc_training").joinpath("sample", "los-angeles.yaml")


def read_sample() -> ImportData:
    """Read the shipped sample as it is written, with its own dates.

    :raise ImportFailed: if the sample itself has a problem.
    """
    data = parse_import(SAMPLE.read_text(encoding="utf-8"), str(SAMPLE))
    if data.problems:
        raise ImportFailed(data.problems)
    return data


def monday_of(day: date) -> date:
    """The Monday that starts the week ``day`` is in."""
    return day - timedelta(days=day.weekday())


def weeks_until_next_week(data: ImportData, today: date) -> int:
    """Whole weeks that move the earliest event into the week after ``today``'s.

    Negative when the sample's dates are further ahead than next week.
    """
    earliest = min(event.start.date() for event in data.events)
    next_week = monday_of(today) + timedelta(weeks=1)
    return (next_week - monday_of(earliest)).days // 7


def load_sample(*, now: datetime) -> ImportResult:
    """Import the sample, every event moved by the same number of whole weeks.

    Each event keeps its weekday and local time of day, across changes of the
    clocks too, since the move is made on local times before they become instants.
    Loading twice in the same week changes nothing. Flushes; the caller commits.
    """
    data = read_sample()
    today = now.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()
    data = data.shifted(weeks_until_next_week(data, today))
    result = apply_import(data)
    _load_series(data, result, now=now)
    return result


def _load_series(data: ImportData, result: ImportResult, *, now: datetime) -> None:
    """Make the sample's series that do not exist yet; existing ones stay as they
    are, since moving a whole series each week would only churn the calendars."""
    communities = communities_by_slug(data)
    for record in data.events:
        if record.repeat is None:
            continue
        series = db.session.scalar(
            select(EventSeries).where(EventSeries.slug == record.slug).limit(1)
        )
        if series is not None:
            result.events.unchanged += len(series.occurrences)
            continue
        community = communities[record.community] if record.community else None
        values = record.values(community)
        series = create_series(
            values, record.repeat, actor=None, now=now, source="yaml"
        )
        result.events.created += len(series.occurrences)


def fill_full_event(*, now: datetime) -> int:
    """Sign invented people up for the small sample event until it is full.

    Nobody is added when the event is already full, and an invented person who
    already holds a place is not signed up again. Returns how many were added.
    Runs in the caller's write transaction, so the sample and its sign-ups are
    written together or not at all.
    """
    event = db.session.scalar(select(Event).where(Event.slug == FULL_EVENT_SLUG))
    if event is None or event.capacity is None:
        return 0

    signed_up = set(
        db.session.scalars(
            select(Registration.email)
            .where(Registration.event_id == event.id)
            .where(Registration.status.in_(ACTIVE_STATUSES))
        )
    )
    added = 0
    for applicant in DEMO_APPLICANTS:
        if places_taken([event.id])[event.id] >= event.capacity:
            break
        if applicant.email in signed_up:
            continue
        try:
            sign_up(event.id, applicant, now=now)
        except RegistrationClosed as closed:
            logger.warning(
                "demo event %s takes no sign-ups: %s", event.id, closed.reason
            )
            break
        added += 1
    return added

"""``flask demo load``: the sample, moved to next week, with one event full."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tfc_training.database import utcnow
from tfc_training.demo.loading import (
    fill_full_event,
    load_sample,
    read_sample,
    weeks_until_next_week,
)
from tfc_training.demo.signups import FULL_EVENT_SLUG
from tfc_training.events.models import Event
from tfc_training.extensions import db
from tfc_training.registration.models import Registration
from tfc_training.registration.services import places_taken

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def demo_load(runner):
    return runner.invoke(args=["demo", "load"])


def next_monday(moment: datetime) -> date:
    today = moment.astimezone(LOS_ANGELES).date()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=1)


def events():
    return db.session.scalars(select(Event).order_by(Event.starts_at)).all()


def test_first_load_creates_the_sample(runner):
    result = demo_load(runner)

    assert result.exit_code == 0, result.output
    assert "Communities: 10 created, 0 updated, 0 unchanged." in result.output
    assert f"Events: {len(events())} created, 0 updated, 0 unchanged." in result.output


def test_second_load_changes_nothing(runner):
    demo_load(runner)
    before = {e.slug: (e.starts_at, e.updated_at, e.sequence) for e in events()}
    registrations = db.session.scalar(select(func.count(Registration.id)))

    result = demo_load(runner)

    assert result.exit_code == 0, result.output
    assert "Communities: 0 created, 0 updated, 10 unchanged." in result.output
    assert f"Events: 0 created, 0 updated, {len(before)} unchanged." in result.output
    assert "Invented sign-ups: 0 added." in result.output
    assert {e.slug: (e.starts_at, e.updated_at, e.sequence) for e in events()} == before
    assert db.session.scalar(select(func.count(Registration.id))) == registrations


def test_events_are_upcoming_and_the_first_is_next_week(runner):
    started = utcnow()

    demo_load(runner)

    published = [e for e in events() if e.status == "published"]
    assert all(e.starts_at > started for e in published)
    # The week may have turned while the command ran; either Monday is right.
    mondays = {next_monday(started), next_monday(utcnow())}
    first = events()[0].start_date
    assert any(monday <= first < monday + timedelta(weeks=1) for monday in mondays)


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 4, 15, 0, tzinfo=UTC),
        datetime(2027, 6, 20, 6, 59, tzinfo=UTC),  # Saturday evening, summer time
        datetime(2028, 3, 6, 8, 0, tzinfo=UTC),  # a week before the clocks change
    ],
    ids=["winter", "summer", "before-the-change"],
)
def test_each_event_keeps_its_weekday_and_local_time(app, now):
    sample = {record.slug: record for record in read_sample().events}

    load_sample(now=now)
    db.session.commit()

    for event in events():
        # The dates of a series are written once, under the series' slug.
        written = sample[event.series.slug if event.series else event.slug]
        start = event.local_start.replace(tzinfo=None)
        end = event.local_end.replace(tzinfo=None)
        assert start.weekday() == written.start.weekday(), event.slug
        assert start.time() == written.start.time(), event.slug
        assert end - start == written.end - written.start, event.slug
    assert next_monday(now) <= events()[0].start_date < next_monday(now) + timedelta(7)


@pytest.mark.parametrize(
    ("today", "weeks"),
    [
        (date(2027, 1, 31), 0),  # Sunday: next week is the sample's own first week
        (date(2027, 2, 1), 1),  # Monday: a new week has begun
        (date(2026, 12, 6), -8),
    ],
)
def test_weeks_until_next_week(app, today, weeks):
    # The sample's first event is on Tuesday 2 February 2027.
    assert weeks_until_next_week(read_sample(), today) == weeks


def test_small_event_is_full(runner):
    demo_load(runner)

    event = db.session.scalar(select(Event).where(Event.slug == FULL_EVENT_SLUG))
    assert places_taken([event.id])[event.id] == event.capacity
    assert db.session.scalar(select(func.count(Registration.id))) == event.capacity


def test_invented_people_are_clearly_invented(runner):
    demo_load(runner)

    people = db.session.execute(select(Registration.name, Registration.email))
    for name, email in people:
        assert name.startswith("Demo ")
        assert email.endswith("@example.org")


def test_full_event_is_topped_up_after_a_cancellation(runner):
    demo_load(runner)
    event = db.session.scalar(select(Event).where(Event.slug == FULL_EVENT_SLUG))
    registration = db.session.scalars(select(Registration)).first()
    registration.status = "cancelled"
    registration.cancelled_at = utcnow()
    db.session.commit()

    added = fill_full_event(now=utcnow())
    db.session.commit()

    assert added == 1
    assert places_taken([event.id])[event.id] == event.capacity

"""``flask demo generate``: a reproducible year of invented activity."""

import hashlib
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tfc_training.accounts.models import User
from tfc_training.communities.models import Community
from tfc_training.events.models import Event, event_sector
from tfc_training.extensions import db
from tfc_training.indicators.models import (
    Milestone,
    OutsideMeeting,
    SurveyReceipt,
    SurveyResponse,
    milestone_sector,
    outside_meeting_sector,
)
from tfc_training.learning.models import Certificate, ModuleCompletion
from tfc_training.registration.models import Registration

LOS_ANGELES = ZoneInfo("America/Los_Angeles")

#: A fixed last day, so that runs on different days agree.
TODAY = date(2026, 11, 30)

SMALL = [
    "demo",
    "generate",
    "--communities",
    "3",
    "--events",
    "60",
    "--registrations",
    "900",
    "--seed",
    "7",
    "--today",
    TODAY.isoformat(),
]


def generate(runner, *args):
    return runner.invoke(args=[*SMALL, *args])


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fingerprint() -> str:
    """A digest of the generated content, by natural keys rather than ids, which
    differ between databases."""
    db.session.rollback()
    parts = []
    parts += db.session.execute(
        select(Community.slug, Community.name).order_by(Community.slug)
    ).all()
    parts += db.session.execute(
        select(
            Event.slug, Event.type, Event.status, Event.starts_at, Event.capacity
        ).order_by(Event.slug)
    ).all()
    parts += db.session.execute(
        select(
            Event.slug,
            Registration.email,
            Registration.status,
            Registration.source,
            Registration.sector_slug,
            Registration.language,
            Registration.attended_at,
        )
        .join(Event, Event.id == Registration.event_id)
        .order_by(Event.slug, Registration.email, Registration.attended_at)
    ).all()
    parts += db.session.execute(
        select(Community.slug, Milestone.kind, Milestone.achieved_on)
        .join(Community, Community.id == Milestone.community_id)
        .order_by(Community.slug, Milestone.kind, Milestone.achieved_on)
    ).all()
    parts += db.session.execute(
        select(
            Event.slug,
            SurveyResponse.knows_hotline,
            SurveyResponse.can_name_sign,
            SurveyResponse.channel,
            SurveyResponse.submitted_on,
        )
        .join(Event, Event.id == SurveyResponse.event_id)
        .order_by(Event.slug, SurveyResponse.channel, SurveyResponse.submitted_on)
    ).all()
    parts.append(
        (
            count(ModuleCompletion),
            count(Certificate),
            count(OutsideMeeting),
            count(User),
        )
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def empty_the_database():
    """Delete every row but the reference ones, as a fresh database would be."""
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in ("sector", "alembic_version"):
            db.session.execute(table.delete())
    db.session.commit()


def test_small_generation_fills_every_table(runner):
    result = generate(runner)

    assert result.exit_code == 0, result.output
    assert "Events: 60 written." in result.output
    assert "Registrations: 900 of 900 written." in result.output
    assert "Done:" in result.output
    assert count(Community) == 3
    assert count(Event) == 60
    assert count(Registration) == 900
    for model in (Milestone, OutsideMeeting, SurveyResponse, ModuleCompletion):
        assert count(model) > 0, model.__name__
    assert db.session.scalar(
        select(func.count(Registration.id)).where(Registration.attended_at.is_not(None))
    )
    assert db.session.scalar(
        select(func.count(Registration.id)).where(Registration.status == "cancelled")
    )
    types = set(db.session.scalars(select(Event.type).distinct()))
    assert {"awareness", "listening-group", "stakeholder-meeting"} <= types


def test_same_seed_gives_the_same_data(runner):
    assert generate(runner).exit_code == 0
    first = fingerprint()
    empty_the_database()

    assert generate(runner).exit_code == 0

    assert fingerprint() == first


def test_another_seed_gives_other_data(runner):
    assert generate(runner).exit_code == 0
    first = fingerprint()
    empty_the_database()

    result = runner.invoke(args=[*SMALL[:-4], "--seed", "8", *SMALL[-2:]])

    assert result.exit_code == 0, result.output
    assert fingerprint() != first


def test_data_follows_the_rules_of_the_product(runner):
    assert generate(runner).exit_code == 0
    db.session.rollback()

    # Attendance only at events that have taken place, and not when cancelled.
    now = datetime.combine(TODAY, time(12), LOS_ANGELES)
    assert not db.session.scalar(
        select(func.count(Registration.id))
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.attended_at.is_not(None))
        .where((Event.ends_at > now) | (Event.status != "published"))
    )
    # Events spread over the past year and a few weeks ahead.
    starts = db.session.execute(
        select(func.min(Event.starts_at), func.max(Event.starts_at))
    ).one()
    assert starts[0].date() >= TODAY - timedelta(days=366)
    assert starts[1].date() <= TODAY + timedelta(days=43)
    # Listening groups and stakeholder meetings bring two or more sectors together.
    for event_id, number in db.session.execute(
        select(Event.id, func.count(event_sector.c.sector_slug))
        .join(event_sector, event_sector.c.event_id == Event.id)
        .where(Event.type.in_(["listening-group", "stakeholder-meeting"]))
        .group_by(Event.id)
    ):
        assert number >= 2, event_id
    # Key sectors: one or two; meetings held elsewhere: two sectors or more.
    for kind, number in db.session.execute(
        select(Milestone.kind, func.count(milestone_sector.c.sector_slug))
        .join(milestone_sector, milestone_sector.c.milestone_id == Milestone.id)
        .group_by(Milestone.id, Milestone.kind)
    ):
        assert kind in ("key-sectors-chosen", "justice-responders-trained")
        assert 1 <= number <= 2
    for (number,) in db.session.execute(
        select(func.count(outside_meeting_sector.c.sector_slug)).group_by(
            outside_meeting_sector.c.outside_meeting_id
        )
    ):
        assert number >= 2
    # Survey answers only for awareness events, and a receipt for each e-mailed one.
    assert set(
        db.session.scalars(
            select(Event.type)
            .join(SurveyResponse, SurveyResponse.event_id == Event.id)
            .distinct()
        )
    ) == {"awareness"}
    emailed = db.session.scalar(
        select(func.count(SurveyResponse.id)).where(SurveyResponse.channel == "email")
    )
    assert emailed == count(SurveyReceipt)
    # Every address is one that never receives mail.
    assert not db.session.scalar(
        select(func.count(Registration.id))
        .where(Registration.email.is_not(None))
        .where(~Registration.email.endswith("@demo.example.org"))
    )


def test_refuses_a_database_with_real_data(runner, make_community):
    make_community(slug="koreatown")

    result = generate(runner)

    assert result.exit_code == 1
    assert "did not make" in result.output
    assert "--force" in result.output
    assert count(Event) == 0


def test_force_writes_beside_other_data(runner, make_community):
    make_community(slug="koreatown")

    result = generate(runner, "--force")

    assert result.exit_code == 0, result.output
    assert count(Community) == 4


def test_the_same_seed_twice_is_refused(runner):
    assert generate(runner).exit_code == 0

    again = generate(runner, "--force")

    assert again.exit_code == 1
    assert "already holds the demo data of seed 7" in again.output
    assert count(Event) == 60


@pytest.mark.parametrize("option", ["--events", "--registrations", "--communities"])
def test_negative_numbers_are_refused(runner, option):
    result = runner.invoke(args=["demo", "generate", option, "-1"])

    assert result.exit_code == 2
    assert count(Community) == 0


def test_generation_raises_the_feed_version(runner):
    """Rows written in bulk still tell calendar apps that the feeds changed."""
    from tfc_training.calendar.models import FeedState

    before = db.session.scalar(select(func.max(FeedState.version))) or 0
    db.session.rollback()

    result = generate(runner)

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.max(FeedState.version))) > before

"""A small, known year of activity for the indicators report, and helpers to read it.

Two communities, Alpha and Beta, and one network event, spread over January–June 2026
and the half year before it; the expected figures are written out beside each test.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from learning_support import add_module

from tfc_training.accounts.models import Membership, User
from tfc_training.communities.models import Community, Sector
from tfc_training.events.models import Event, EventLanguage
from tfc_training.extensions import db
from tfc_training.indicators.models import (
    Milestone,
    MilestoneLanguage,
    OutsideMeeting,
    SurveyResponse,
)
from tfc_training.learning.models import Certificate, ModuleCompletion
from tfc_training.registration.models import Registration

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def local(text: str) -> datetime:
    """``2026-02-10 18:00`` in Los Angeles, as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=LOS_ANGELES).astimezone(UTC)


class Builder:
    """Writes events, check-ins and training straight to the database."""

    def __init__(self):
        self.events = 0
        self.registrations = 0

    def community(self, slug: str, name: str) -> Community:
        community = Community(slug=slug, name=name, area=name)
        db.session.add(community)
        db.session.flush()
        return community

    def event(self, community, event_type, start, status="published") -> Event:
        self.events += 1
        starts_at = local(start)
        event = Event(
            slug=f"report-event-{self.events}",
            title=f"Event {self.events}",
            type=event_type,
            community_id=community.id if community else None,
            status=status,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=30),
            venue_name="Community hall",
        )
        event.sectors = [db.session.get(Sector, "schools")]
        event.languages = [EventLanguage(code="en", position=0)]
        db.session.add(event)
        db.session.flush()
        return event

    def attend(self, event, sector, language="en", status="confirmed", checked_in=True):
        """A registration; checked in unless ``checked_in`` is false or it is
        cancelled (the database allows no other)."""
        self.registrations += 1
        attended = checked_in and status == "confirmed"
        registration = Registration(
            event_id=event.id,
            name=f"Person {self.registrations}",
            email=f"person{self.registrations}@example.org",
            sector_slug=sector,
            language=language,
            consented_at=event.starts_at,
            status=status,
            cancelled_at=event.starts_at if status == "cancelled" else None,
            attended_at=event.starts_at if attended else None,
        )
        db.session.add(registration)
        return registration

    def milestone(
        self, community, kind, achieved_on, withdrawn=False, sectors=(), languages=()
    ):
        milestone = Milestone(
            community_id=community.id,
            kind=kind,
            achieved_on=date.fromisoformat(achieved_on),
            withdrawn_at=local(f"{achieved_on} 12:00") if withdrawn else None,
        )
        milestone.sectors = [db.session.get(Sector, slug) for slug in sectors]
        milestone.languages = [MilestoneLanguage(code=code) for code in languages]
        db.session.add(milestone)

    def outside_meeting(self, community, held_on, sectors, people=10, withdrawn=False):
        meeting = OutsideMeeting(
            community_id=community.id,
            held_on=date.fromisoformat(held_on),
            people_present=people,
            withdrawn_at=local(f"{held_on} 12:00") if withdrawn else None,
        )
        meeting.sectors = [db.session.get(Sector, slug) for slug in sectors]
        db.session.add(meeting)

    def answer(self, event, submitted_on, knows_hotline, can_name_sign):
        db.session.add(
            SurveyResponse(
                event_id=event.id,
                knows_hotline=knows_hotline,
                can_name_sign=can_name_sign,
                channel="event",
                submitted_on=date.fromisoformat(submitted_on),
            )
        )

    def leader(self, email, *communities) -> User:
        user = User(email=email, name=email.split("@")[0], password_hash="x")
        user.memberships = [
            Membership(community_id=community.id, role="member")
            for community in communities
        ]
        db.session.add(user)
        db.session.flush()
        return user


@dataclass
class KnownYear:
    alpha: Community
    beta: Community
    leaders: dict


def build_known_year() -> KnownYear:
    """The dataset the exact figures of ``test_reports.py`` are counted from."""
    build = Builder()
    alpha = build.community("alpha", "Alpha TFC")
    beta = build.community("beta", "Beta TFC")

    # Alpha, January–June 2026.
    awareness = build.event(alpha, "awareness", "2026-02-10 18:00")
    build.attend(awareness, "schools", "en")
    build.attend(awareness, "media", "es")
    build.attend(awareness, None, "es")
    build.attend(awareness, "consumers", "en", status="cancelled")
    build.attend(awareness, "legislatures", "en", checked_in=False)

    two_sectors = build.event(alpha, "listening-group", "2026-03-05 17:00")
    build.attend(two_sectors, "schools", "en")
    build.attend(two_sectors, "law-enforcement", "en")

    # A listening group with one sector present is not a stakeholder meeting.
    one_sector = build.event(alpha, "listening-group", "2026-04-01 17:00")
    build.attend(one_sector, "schools", "en")
    build.attend(one_sector, "schools", "es")

    build.event(alpha, "tfc-meeting", "2026-01-15 19:00")
    build.event(alpha, "tfc-meeting", "2026-01-29 19:00")
    build.event(alpha, "tfc-meeting", "2026-05-20 19:00")

    # Late on 30 June in Los Angeles is already July in UTC: still the first half.
    training = build.event(alpha, "stakeholder-training", "2026-06-30 23:00")
    build.attend(training, "law-enforcement", "en")
    build.attend(training, "first-responders", "ko")
    build.attend(training, "media", "en")

    # Early on 1 July in Los Angeles: the second half, in neither period.
    july = build.event(alpha, "awareness", "2026-07-01 00:30")
    build.attend(july, "schools", "en")

    build.event(alpha, "awareness", "2026-02-11 18:00", status="cancelled")
    build.event(alpha, "workshop", "2026-02-12 18:00", status="draft")

    # Alpha, July–December 2025: New Year's Eve evening is 2026 in UTC.
    eve = build.event(alpha, "awareness", "2025-12-31 23:00")
    build.attend(eve, "consumers", "en")
    build.event(alpha, "tfc-meeting", "2025-09-10 19:00")
    build.event(alpha, "awareness", "2025-05-01 18:00")

    # Beta.
    meeting = build.event(beta, "stakeholder-meeting", "2026-05-05 10:00")
    build.attend(meeting, "faith-ngo", "en")
    build.attend(meeting, "legislatures", "zh")
    build.attend(meeting, "local-business", "en", status="cancelled")
    workshop = build.event(beta, "workshop", "2025-10-10 10:00")
    build.attend(workshop, "schools", "en")

    # The network's own campaign: city-wide only.
    campaign = build.event(None, "campaign", "2026-03-03 12:00")
    build.attend(campaign, "consumers", "en")

    # Milestones. One recorded in July is absent from the January–June report, and
    # a withdrawn record counts for nothing.
    build.milestone(alpha, "research-completed", "2025-11-20")
    build.milestone(alpha, "key-sectors-chosen", "2025-08-01", withdrawn=True)
    build.milestone(
        alpha,
        "key-sectors-chosen",
        "2026-03-15",
        sectors=["schools", "law-enforcement"],
    )
    build.milestone(alpha, "survivor-referral-ready", "2026-07-10")
    build.milestone(alpha, "justice-responders-trained", "2026-06-30")
    build.milestone(
        alpha, "recovery-resources-identified", "2026-05-01", languages=["es", "en"]
    )
    build.milestone(beta, "research-completed", "2026-02-01")
    build.milestone(beta, "research-completed", "2026-01-05")
    build.milestone(beta, "recovery-resources-identified", "2026-02-02", withdrawn=True)

    # Meetings held elsewhere count only with two or more sectors, and not when
    # withdrawn.
    build.outside_meeting(alpha, "2026-04-10", ["schools", "faith-ngo"], people=12)
    build.outside_meeting(alpha, "2026-04-11", ["schools"])
    build.outside_meeting(alpha, "2026-04-12", ["schools", "media"], withdrawn=True)
    build.outside_meeting(beta, "2025-12-30", ["media", "schools"], withdrawn=True)
    build.outside_meeting(alpha, "2026-07-01", ["schools", "media"])
    build.outside_meeting(beta, "2025-12-31", ["media", "consumers", "schools"])

    # Survey answers, by the day they were given.
    for hotline, sign in (
        ("yes", "yes"),
        ("yes", "no"),
        ("no", "unsure"),
        ("unsure", "yes"),
    ):
        build.answer(awareness, "2026-02-11", hotline, sign)
    build.answer(awareness, "2026-07-02", "yes", "yes")
    build.answer(eve, "2025-12-31", "yes", "yes")
    build.answer(campaign, "2026-03-04", "no", "no")

    # Training.
    first = add_module("report-first", position=1, lessons=1, questions=1)
    second = add_module("report-second", position=2, lessons=1, questions=1)
    one = build.leader("one@example.org", alpha)
    both = build.leader("both@example.org", alpha, beta)
    loner = build.leader("loner@example.org")
    for user, module, day in (
        (one, first, "2026-02-01 10:00"),
        (one, second, "2025-11-01 10:00"),
        (both, first, "2026-03-01 10:00"),
        (loner, first, "2026-03-01 10:00"),
    ):
        db.session.add(
            ModuleCompletion(
                user_id=user.id,
                module_id=module.id,
                module_version=1,
                completed_at=local(day),
            )
        )
    db.session.add_all(
        [
            Certificate(
                user_id=both.id,
                code="report-both",
                name="both",
                curriculum_title="Training",
                issued_at=local("2026-03-02 10:00"),
            ),
            Certificate(
                user_id=one.id,
                code="report-one",
                name="one",
                curriculum_title="Training",
                issued_at=local("2026-04-01 10:00"),
                revoked_at=local("2026-04-02 10:00"),
                revoked_reason="Issued in error",
            ),
        ]
    )
    db.session.commit()
    return KnownYear(alpha, beta, {"one": one, "both": both, "loner": loner})

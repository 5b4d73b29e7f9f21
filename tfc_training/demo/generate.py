"""A year of invented activity, for trying the indicators report at scale.

Everything is drawn from one seeded random generator, in a fixed order, so the same
seed and the same day give the same data. Rows are written with bulk inserts in
batches: the generator never builds an ORM object per registration.

Generated rows are marked so they can be told from real ones: community and event
slugs start with ``demo-s<seed>-`` and every address ends with
:data:`DEMO_DOMAIN`, a domain that never receives mail.
"""

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from ..accounts.models import Membership, User
from ..calendar.state import note_feed_change
from ..communities.models import Community
from ..database import begin_write
from ..events.models import Event, EventLanguage, event_sector
from ..extensions import db
from ..indicators.models import (
    MILESTONE_KINDS,
    Milestone,
    MilestoneLanguage,
    OutsideMeeting,
    SurveyReceipt,
    SurveyResponse,
    milestone_sector,
    outside_meeting_sector,
)
from ..indicators.services import JUSTICE_SECTORS
from ..learning.models import Certificate, Module, ModuleCompletion
from ..registration.models import Registration
from ..vocabulary import EVENT_TYPES, SECTORS

logger = logging.getLogger(__name__)

#: Every generated address ends with this: ``example.org`` never receives mail.
DEMO_DOMAIN = "demo.example.org"

#: Rows written per INSERT statement.
BATCH = 2000

#: How far back the activity goes, and how far ahead some events are planned.
PAST_DAYS = 365
FUTURE_DAYS = 42

#: Share of events that lie ahead of today.
UPCOMING_SHARE = 0.08

LOS_ANGELES = ZoneInfo("America/Los_Angeles")

#: Parts of Los Angeles with the languages most spoken there, main one first.
AREAS = (
    ("Koreatown", ("ko", "es", "en")),
    ("Boyle Heights", ("es", "en")),
    ("Westlake", ("es", "en")),
    ("Chinatown", ("zh", "en", "vi")),
    ("Historic Filipinotown", ("tl", "en", "es")),
    ("Little Armenia", ("hy", "ru", "en")),
    ("Van Nuys", ("es", "en", "fa")),
    ("Wilmington", ("es", "en")),
    ("Hollywood", ("en", "es", "hy")),
    ("South Park", ("es", "en")),
    ("Pacoima", ("es", "en")),
    ("Little Tokyo", ("ja", "en")),
    ("Thai Town", ("en", "es")),
    ("Cambodia Town", ("km", "en")),
    ("Westwood", ("fa", "en")),
)

#: How often each type of event is held, roughly as a network year goes.
TYPE_WEIGHTS = {
    "awareness": 28,
    "stakeholder-training": 14,
    "workshop": 10,
    "listening-group": 12,
    "campaign": 8,
    "tfc-meeting": 18,
    "stakeholder-meeting": 10,
}

#: How many people an event of each type draws, relative to one another.
TYPE_PULL = {
    "awareness": 3.0,
    "stakeholder-training": 1.5,
    "workshop": 1.0,
    "listening-group": 1.2,
    "campaign": 2.0,
    "tfc-meeting": 0.7,
    "stakeholder-meeting": 0.9,
}

#: Types that bring two or more sectors together by design.
MULTI_SECTOR_TYPES = ("listening-group", "stakeholder-meeting")

SECTOR_SLUGS = tuple(SECTORS)

START_HOURS = (9, 10, 12, 14, 17, 18, 19)


class AlreadyHoldsData(Exception):
    """The database holds data the generator must not mix with; ``message`` says
    what and how to go on."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Totals:
    """What one run wrote, table by table."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, number: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + number


@dataclass
class _Plan:
    """One event, as drawn before it is written."""

    slug: str
    type: str
    community: int | None
    starts_at: datetime
    ends_at: datetime
    status: str
    capacity: int | None
    sectors: list[str]
    languages: list[str]


def slug_prefix(seed: int) -> str:
    return f"demo-s{seed}-"


def check_database(seed: int, *, force: bool) -> None:
    """Refuse to write into a database that holds real data, or this seed's data.

    :raise AlreadyHoldsData: saying what was found and what to do.
    """
    prefix = slug_prefix(seed)
    if db.session.scalar(
        select(func.count(Community.id)).where(Community.slug.startswith(prefix))
    ):
        raise AlreadyHoldsData(
            f"This database already holds the demo data of seed {seed}. Generate into"
            " a fresh database, or choose another --seed."
        )
    if force:
        return

    foreign = [
        db.session.scalar(
            select(func.count(Community.id)).where(~Community.slug.startswith("demo-"))
        ),
        db.session.scalar(
            select(func.count(Event.id)).where(~Event.slug.startswith("demo-"))
        ),
        db.session.scalar(
            select(func.count(User.id)).where(~User.email.endswith("@" + DEMO_DOMAIN))
        ),
    ]
    if any(foreign):
        raise AlreadyHoldsData(
            "This database already holds communities, events or accounts that the"
            " generator did not make. Invented data mixed with real data would end"
            " up in real reports, so nothing was written. Use a fresh database, or"
            " add --force if this one is only for trying things out."
        )


def generate(
    *,
    communities: int,
    events: int,
    registrations: int,
    seed: int,
    today: date,
    now: datetime,
    progress: Callable[[str], None] = lambda message: None,
) -> Totals:
    """Write a year of activity up to ``today``; flushes, the caller commits.

    ``now`` decides which events have taken place (and so have attendance); it is
    noon of ``today`` in Los Angeles when runs must agree exactly.
    """
    begin_write()
    # Rows are written as SQL statements, which the feed version does not notice.
    note_feed_change(db.session)
    rng = random.Random(seed)
    totals = Totals()
    prefix = slug_prefix(seed)
    stamp = datetime.combine(today - timedelta(days=PAST_DAYS + 30), time(), UTC)

    community_ids, languages_of = _communities(communities, prefix, stamp, totals)
    progress(f"Communities: {len(community_ids)} written.")

    leaders = _leaders(rng, seed, community_ids, stamp, totals)
    _training(rng, leaders, today, totals)
    progress(f"Leaders: {totals.counts['accounts']} accounts, with their training.")

    plans = _plan_events(rng, events, prefix, community_ids, languages_of, today, now)
    event_ids = _write_events(plans, stamp, prefix, totals)
    progress(f"Events: {len(plans)} written.")

    _registrations(rng, seed, plans, event_ids, registrations, now, totals, progress)

    _milestones(rng, community_ids, languages_of, leaders, today, totals)
    _outside_meetings(rng, community_ids, leaders, today, totals)
    progress("Milestones and meetings held elsewhere: written.")

    _survey(rng, seed, plans, event_ids, today, now, totals)
    progress(f"Survey answers: {totals.counts.get('survey answers', 0)} written.")

    db.session.flush()
    return totals


# --- Communities and leaders -----------------------------------------------------


def _communities(number, prefix, stamp, totals):
    rows = []
    languages_of = {}
    for index in range(number):
        area, languages = AREAS[index % len(AREAS)]
        round_ = index // len(AREAS)
        name = area if round_ == 0 else f"{area} {round_ + 1}"
        slug = prefix + name.lower().replace(" ", "-")
        rows.append(
            {
                "slug": slug,
                "name": f"TraffickFree {name}",
                "area": name,
                "description": f"An invented community in {area}, for trying the site.",
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        languages_of[slug] = languages
    _insert(Community, rows)
    totals.add("communities", len(rows))

    ids = dict(
        db.session.execute(
            select(Community.slug, Community.id).where(
                Community.slug.startswith(prefix)
            )
        ).all()
    )
    ordered = [ids[row["slug"]] for row in rows]
    return ordered, {ids[slug]: langs for slug, langs in languages_of.items()}


def _leaders(rng, seed, community_ids, stamp, totals) -> dict[int, list[int]]:
    """Two organisers and a few members per community; returns their ids by
    community, organisers first. They have no password: nobody logs in as them."""
    users = []
    roles = []
    for position, community_id in enumerate(community_ids):
        for number in range(2 + rng.randint(2, 5)):
            email = f"leader-{seed}-{position:03d}-{number:02d}@{DEMO_DOMAIN}"
            users.append(
                {
                    "email": email,
                    "name": f"Demo Leader {position + 1}.{number + 1}",
                    "password_hash": None,
                    "is_admin": False,
                    "language": "en",
                    "created_at": stamp,
                }
            )
            roles.append((email, community_id, "organiser" if number < 2 else "member"))
    _insert(User, users)

    ids = dict(
        db.session.execute(
            select(User.email, User.id).where(
                User.email.in_([user["email"] for user in users])
            )
        ).all()
    )
    _insert(
        Membership,
        [
            {
                "user_id": ids[email],
                "community_id": community,
                "role": role,
                "created_at": stamp,
            }
            for email, community, role in roles
        ],
    )
    totals.add("accounts", len(users))

    leaders: dict[int, list[int]] = {community_id: [] for community_id in community_ids}
    for email, community, _role in roles:
        leaders[community].append(ids[email])
    return leaders


def _training(rng, leaders, today, totals) -> None:
    """Module completions for most leaders, and certificates for those who finished."""
    modules = db.session.execute(
        select(Module.id, Module.version)
        .where(Module.archived_at.is_(None))
        .order_by(Module.position)
    ).all()
    if not modules:
        return

    completions = []
    certificates = []
    names = dict(
        db.session.execute(
            select(User.id, User.name).where(
                User.id.in_([uid for ids in leaders.values() for uid in ids])
            )
        ).all()
    )
    for user_ids in leaders.values():
        for user_id in user_ids:
            done = min(len(modules), int(rng.triangular(0, len(modules) + 2, 4)))
            finished_on = today - timedelta(days=rng.randint(200, PAST_DAYS))
            for module_id, version in modules[:done]:
                finished_on += timedelta(days=rng.randint(3, 40))
                completions.append(
                    {
                        "user_id": user_id,
                        "module_id": module_id,
                        "module_version": version,
                        "completed_at": _noon(min(finished_on, today)),
                    }
                )
            if done == len(modules):
                certificates.append(
                    {
                        "user_id": user_id,
                        "code": f"{rng.getrandbits(128):032x}",
                        "name": names[user_id],
                        "curriculum_title": current_app.config["CURRICULUM_TITLE"],
                        "issued_at": _noon(min(finished_on, today)),
                    }
                )
    _insert(ModuleCompletion, completions)
    _insert(Certificate, certificates)
    totals.add("module completions", len(completions))
    totals.add("certificates", len(certificates))


# --- Events ----------------------------------------------------------------------


def _plan_events(rng, number, prefix, community_ids, languages_of, today, now):
    types = list(TYPE_WEIGHTS)
    weights = list(TYPE_WEIGHTS.values())
    # Some communities are busier than others.
    activity = [rng.uniform(0.5, 2.0) for _ in community_ids]
    plans = []
    for index in range(number):
        event_type = rng.choices(types, weights)[0]
        community = None
        if rng.random() > 0.05:
            community = rng.choices(community_ids, activity)[0]

        if rng.random() < UPCOMING_SHARE:
            day = today + timedelta(days=rng.randint(1, FUTURE_DAYS))
        else:
            day = today - timedelta(days=rng.randint(1, PAST_DAYS))
        start = datetime.combine(day, time(rng.choice(START_HOURS)), LOS_ANGELES)
        start = start.astimezone(UTC)
        end = start + timedelta(minutes=rng.choice((60, 90, 120, 180)))

        status = "published"
        draw = rng.random()
        if draw < 0.04:
            status = "cancelled"
        elif draw < 0.07 and start > now:
            status = "draft"

        spoken = languages_of.get(community, ("en", "es"))
        languages = [spoken[0]]
        if len(spoken) > 1 and rng.random() < 0.4:
            languages.append(spoken[1])

        sector_count = rng.randint(2, 3) if event_type in MULTI_SECTOR_TYPES else 1
        sector_count += rng.random() < 0.3
        sectors = rng.sample(SECTOR_SLUGS, sector_count)

        capacity = None
        if rng.random() < 0.7:
            capacity = rng.choice((15, 20, 25, 30, 40, 60, 80, 120))
        plans.append(
            _Plan(
                slug=f"{prefix}{index + 1:05d}-{event_type}",
                type=event_type,
                community=community,
                starts_at=start,
                ends_at=end,
                status=status,
                capacity=capacity,
                sectors=sectors,
                languages=languages,
            )
        )
    return plans


def _write_events(plans, stamp, prefix, totals) -> dict[str, int]:
    areas = dict(db.session.execute(select(Community.id, Community.area)).all())
    rows = []
    for plan in plans:
        area = areas.get(plan.community, "Los Angeles")
        created = min(plan.starts_at - timedelta(days=30), plan.starts_at)
        rows.append(
            {
                "slug": plan.slug,
                "title": f"{EVENT_TYPES[plan.type]} in {area}",
                "type": plan.type,
                "community_id": plan.community,
                "description": "",
                "timezone": "America/Los_Angeles",
                "all_day": False,
                "starts_at": plan.starts_at,
                "ends_at": plan.ends_at,
                "venue_name": f"{area} community room",
                "venue_address": f"{area}, Los Angeles, CA",
                "online_url": None,
                "capacity": plan.capacity,
                "status": plan.status,
                "requires_approval": False,
                "sequence": 0,
                "created_at": max(created, stamp),
                "updated_at": max(created, stamp),
            }
        )
    _insert(Event, rows)
    totals.add("events", len(rows))

    ids = dict(
        db.session.execute(
            select(Event.slug, Event.id).where(Event.slug.startswith(prefix))
        ).all()
    )
    _insert_table(
        event_sector,
        [
            {"event_id": ids[plan.slug], "sector_slug": slug}
            for plan in plans
            for slug in plan.sectors
        ],
    )
    _insert(
        EventLanguage,
        [
            {"event_id": ids[plan.slug], "code": code, "position": position}
            for plan in plans
            for position, code in enumerate(plan.languages)
        ],
    )
    return ids


# --- Registrations and attendance ------------------------------------------------


def _registrations(rng, seed, plans, event_ids, number, now, totals, progress):
    open_plans = [plan for plan in plans if plan.status != "draft"]
    if not open_plans or number <= 0:
        return
    pull = [TYPE_PULL[plan.type] * (plan.capacity or 50) for plan in open_plans]
    chosen = rng.choices(range(len(open_plans)), pull, k=number)
    per_event = [0] * len(open_plans)
    for index in chosen:
        per_event[index] += 1

    rows = []
    written = 0
    serial = 0
    for plan, count in zip(open_plans, per_event, strict=True):
        confirmed = 0
        held = plan.ends_at <= now
        for _ in range(count):
            serial += 1
            rows.append(_registration(rng, seed, serial, plan, event_ids, held))
            row = rows[-1]
            if row["status"] == "confirmed" and row["source"] == "online":
                if plan.capacity is not None and confirmed >= plan.capacity:
                    row["status"] = "waitlisted"
                    row["attended_at"] = None
                else:
                    confirmed += 1
        if len(rows) >= BATCH:
            _insert(Registration, rows)
            written += len(rows)
            rows = []
            progress(f"Registrations: {written} of {number} written.")
    _insert(Registration, rows)
    written += len(rows)
    totals.add("registrations", written)
    progress(f"Registrations: {written} of {number} written.")


def _registration(rng, seed, serial, plan, event_ids, held) -> dict:
    signed_up = plan.starts_at - timedelta(hours=rng.randint(2, 24 * 40))
    walk_in = held and plan.status == "published" and rng.random() < 0.06

    # Everyone's place goes with a cancelled event; otherwise a few cancel.
    cancels = not walk_in and rng.random() < 0.08
    status = "cancelled" if plan.status == "cancelled" or cancels else "confirmed"

    draw = rng.random()
    if draw < 0.72:
        sector = rng.choice(plan.sectors)
    elif draw < 0.9:
        sector = rng.choice(SECTOR_SLUGS)
    else:
        sector = None
    language = plan.languages[0] if rng.random() < 0.8 else rng.choice(plan.languages)

    attended = None
    if held and status == "confirmed" and (walk_in or rng.random() < 0.78):
        attended = plan.starts_at + timedelta(minutes=rng.randint(-15, 30))
    cancelled = None
    if status == "cancelled":
        cancelled = min(signed_up + timedelta(hours=rng.randint(1, 72)), plan.starts_at)

    if walk_in:
        name = email = consented = None
        signed_up = attended
    else:
        name = f"Demo Person {seed}-{serial}"
        email = f"person-{seed}-{serial:06d}@{DEMO_DOMAIN}"
        consented = signed_up
    return {
        "event_id": event_ids[plan.slug],
        "name": name,
        "email": email,
        "sector_slug": sector,
        "language": language,
        "accessibility": None,
        "consented_at": consented,
        "status": status,
        "source": "walk-in" if walk_in else "online",
        "attended_at": attended,
        "checked_in_by_id": None,
        "erased_at": None,
        "created_at": signed_up,
        "updated_at": cancelled or attended or signed_up,
        "cancelled_at": cancelled,
    }


# --- Milestones and meetings held elsewhere --------------------------------------


def _milestones(rng, community_ids, languages_of, leaders, today, totals) -> None:
    rows = []
    details = []
    for community_id in community_ids:
        recorder = leaders[community_id][0]
        spoken = languages_of[community_id]
        for kind in MILESTONE_KINDS:
            if rng.random() > 0.65:
                continue
            achieved = today - timedelta(days=rng.randint(1, PAST_DAYS))
            recorded = _noon(min(achieved + timedelta(days=rng.randint(0, 10)), today))
            rows.append(
                _milestone_row(community_id, kind, achieved, recorder, recorded, None)
            )
            details.append(_milestone_details(rng, kind, spoken))
            # Now and then a record turns out wrong and is withdrawn.
            if rng.random() < 0.08:
                mistaken = achieved - timedelta(days=rng.randint(5, 60))
                rows.append(
                    _milestone_row(
                        community_id,
                        kind,
                        mistaken,
                        recorder,
                        _noon(mistaken),
                        _noon(mistaken + timedelta(days=1)),
                    )
                )
                details.append(_milestone_details(rng, kind, spoken))

    ids = _insert_returning_ids(Milestone, rows)
    _insert_table(
        milestone_sector,
        [
            {"milestone_id": milestone_id, "sector_slug": slug}
            for milestone_id, (slugs, _codes) in zip(ids, details, strict=True)
            for slug in slugs
        ],
    )
    _insert(
        MilestoneLanguage,
        [
            {"milestone_id": milestone_id, "code": code}
            for milestone_id, (_slugs, codes) in zip(ids, details, strict=True)
            for code in codes
        ],
    )
    totals.add("milestones", len(rows))


def _milestone_row(community_id, kind, achieved, recorder, recorded, withdrawn):
    return {
        "community_id": community_id,
        "kind": kind,
        "achieved_on": achieved,
        "note": (
            "Entered by mistake." if withdrawn else "Recorded for the demonstration."
        ),
        "recorded_by_id": recorder,
        "created_at": recorded,
        "withdrawn_at": withdrawn,
        "withdrawn_by_id": recorder if withdrawn else None,
    }


def _milestone_details(rng, kind, spoken) -> tuple[list[str], list[str]]:
    """The sectors and languages a milestone of ``kind`` names."""
    if kind == "key-sectors-chosen":
        return rng.sample(SECTOR_SLUGS, rng.randint(1, 2)), []
    if kind == "justice-responders-trained":
        return sorted(rng.sample(JUSTICE_SECTORS, rng.randint(1, 2))), []
    if kind == "recovery-resources-identified":
        return [], sorted(rng.sample(spoken, rng.randint(1, len(spoken))))
    return [], []


def _outside_meetings(rng, community_ids, leaders, today, totals) -> None:
    meetings = []
    sectors = []
    for community_id in community_ids:
        for _ in range(rng.randint(1, 8)):
            held = today - timedelta(days=rng.randint(1, PAST_DAYS))
            meetings.append(
                {
                    "community_id": community_id,
                    "held_on": held,
                    "people_present": rng.randint(4, 40),
                    "note": "A meeting held elsewhere, for the demonstration.",
                    "recorded_by_id": leaders[community_id][0],
                    "created_at": _noon(held + timedelta(days=rng.randint(0, 7))),
                }
            )
            sectors.append(rng.sample(SECTOR_SLUGS, rng.randint(2, 4)))

    ids = _insert_returning_ids(OutsideMeeting, meetings)
    _insert_table(
        outside_meeting_sector,
        [
            {"outside_meeting_id": meeting_id, "sector_slug": slug}
            for meeting_id, slugs in zip(ids, sectors, strict=True)
            for slug in slugs
        ],
    )
    totals.add("outside meetings", len(meetings))


# --- The survey ------------------------------------------------------------------


def _survey(rng, seed, plans, event_ids, today, now, totals) -> None:
    """Answers for the awareness events held so far, more of them knowing the
    hotline as the year goes on."""
    held = [
        plan
        for plan in plans
        if plan.type == "awareness"
        and plan.status == "published"
        and plan.ends_at <= now
    ]
    if not held:
        return
    held_ids = [event_ids[plan.slug] for plan in held]
    attendees: dict[int, list[tuple[int, bool]]] = {
        event_id: [] for event_id in held_ids
    }
    rows = db.session.execute(
        select(Registration.event_id, Registration.id, Registration.email)
        .where(Registration.event_id.in_(held_ids))
        .where(Registration.attended_at.is_not(None))
        .order_by(Registration.id)
    )
    for event_id, registration_id, email in rows:
        attendees[event_id].append((registration_id, email is not None))

    first_day = today - timedelta(days=PAST_DAYS)
    answers = []
    receipts = []
    for plan in held:
        event_id = event_ids[plan.slug]
        day = plan.starts_at.astimezone(LOS_ANGELES).date()
        share = (day - first_day).days / PAST_DAYS
        for registration_id, reachable in attendees[event_id]:
            if reachable and rng.random() < 0.35:
                receipts.append({"registration_id": registration_id})
                late = day + timedelta(days=rng.randint(0, 6))
                answers.append(_answer(rng, event_id, "email", min(late, today), share))
            elif rng.random() < 0.15:
                answers.append(_answer(rng, event_id, "event", day, share))

    _insert(SurveyReceipt, receipts)
    _insert(SurveyResponse, answers)
    totals.add("survey answers", len(answers))


def _answer(rng, event_id, channel, day, share) -> dict:
    return {
        "event_id": event_id,
        "knows_hotline": _yes_no_unsure(rng, 0.3 + 0.35 * share),
        "can_name_sign": _yes_no_unsure(rng, 0.4 + 0.3 * share),
        "channel": channel,
        "submitted_on": day,
    }


def _yes_no_unsure(rng, yes: float) -> str:
    draw = rng.random()
    if draw < yes:
        return "yes"
    return "no" if draw < yes + (1 - yes) * 0.6 else "unsure"


# --- Writing ---------------------------------------------------------------------


def _insert(model, rows: list[dict]) -> None:
    _insert_table(model.__table__, rows)


def _insert_table(table, rows: list[dict]) -> None:
    # Core inserts: the ORM's bulk path costs several times more per row here.
    for start in range(0, len(rows), BATCH):
        db.session.execute(table.insert(), rows[start : start + BATCH])


def _insert_returning_ids(model, rows: list[dict]) -> list[int]:
    table = model.__table__
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    ids = []
    for start in range(0, len(rows), BATCH):
        ids += db.session.scalars(statement, rows[start : start + BATCH]).all()
    return ids


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), LOS_ANGELES).astimezone(UTC)

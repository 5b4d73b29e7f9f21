"""Recording milestones and outside meetings, and reading them back.

Functions take and return model objects and flush, but never commit: the view or
command that calls them commits once. A milestone or meeting that was recorded by
mistake is withdrawn, never deleted, so that a figure once reported can still be
explained.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from ..communities.models import Community, Sector
from ..database import begin_write
from ..extensions import db
from ..vocabulary import LANGUAGES, SECTORS
from .models import (
    MILESTONE_KINDS,
    Milestone,
    MilestoneLanguage,
    OutsideMeeting,
    Withdrawable,
)

logger = logging.getLogger(__name__)

#: What each kind of milestone is called on the pages.
MILESTONE_LABELS = {
    "research-completed": _l("Research and discovery process completed"),
    "key-sectors-chosen": _l("Key stakeholder sectors chosen"),
    "survivor-referral-ready": _l("Able to refer and support survivors"),
    "recovery-resources-identified": _l("Recovery resources identified"),
    "justice-responders-trained": _l(
        "Police, prosecutors, judges or first responders trained"
    ),
}

#: A community chooses one or two key sectors to deepen its engagement with.
KEY_SECTORS_MAX = 2

#: The sectors that police, prosecutors, judges and first responders belong to.
JUSTICE_SECTORS = ("law-enforcement", "first-responders")

#: Kinds that name sectors, with the sectors they may name.
SECTOR_KINDS = {
    "key-sectors-chosen": tuple(SECTORS),
    "justice-responders-trained": JUSTICE_SECTORS,
}

#: Kinds that name the languages they serve.
LANGUAGE_KINDS = ("recovery-resources-identified",)

#: The earliest day a milestone or meeting may be dated: older is a typing mistake.
EARLIEST_DAY = date(2000, 1, 1)

#: The most people a single meeting may be recorded with.
MOST_PEOPLE = 10_000


class Refused(Exception):
    """The record does not make sense as given.

    ``message`` says why, in words for the organiser; ``field`` names the form field
    it belongs next to, if any.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class MilestoneValues:
    """What an organiser enters for a milestone."""

    kind: str
    achieved_on: date
    note: str = ""
    sectors: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


@dataclass
class MeetingValues:
    """What an organiser enters for a meeting held elsewhere."""

    held_on: date
    people_present: int
    sectors: list[str]
    note: str = ""


def local_today(now: datetime) -> date:
    """Today's date in Los Angeles (the default zone), where the records are made."""
    return now.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()


# --- Milestones ------------------------------------------------------------------


def check_milestone(values: MilestoneValues, *, today: date) -> None:
    """Refuse a milestone that its kind does not allow, with the reason.

    :raise Refused: naming the field at fault.
    """
    if values.kind not in MILESTONE_KINDS:
        raise Refused(str(_l("Choose one of the milestones listed.")), "kind")
    _check_day(values.achieved_on, today, "achieved_on")

    sectors = values.sectors
    allowed = SECTOR_KINDS.get(values.kind)
    if allowed is None and sectors:
        raise Refused(
            str(_l("Sectors are recorded only for key sectors and trainings.")),
            "sectors",
        )
    if allowed is not None:
        if not sectors:
            raise Refused(
                str(_l("Choose the sectors this milestone is about.")), "sectors"
            )
        if any(slug not in allowed for slug in sectors):
            raise Refused(
                str(_l("For trainings, choose law enforcement or first responders.")),
                "sectors",
            )
        if values.kind == "key-sectors-chosen" and len(set(sectors)) > KEY_SECTORS_MAX:
            raise Refused(
                str(_l("Choose one or two key sectors, not more.")), "sectors"
            )

    languages = values.languages
    if values.kind in LANGUAGE_KINDS and not languages:
        raise Refused(
            str(_l("Choose the languages the resources serve survivors in.")),
            "languages",
        )
    if values.kind not in LANGUAGE_KINDS and languages:
        raise Refused(
            str(_l("Languages are recorded only for recovery resources.")),
            "languages",
        )
    if any(code not in LANGUAGES for code in languages):
        raise Refused(str(_l("Choose languages from the list.")), "languages")


def record_milestone(
    community: Community, values: MilestoneValues, *, actor, now: datetime
) -> Milestone:
    """Record that ``community`` reached a milestone on ``values.achieved_on``.

    :raise Refused: when the values do not fit the milestone's kind.
    """
    check_milestone(values, today=local_today(now))
    begin_write()

    milestone = Milestone(
        community_id=community.id,
        kind=values.kind,
        achieved_on=values.achieved_on,
        note=values.note.strip(),
        recorded_by_id=_account_id(actor),
        created_at=now,
        sectors=_sectors(values.sectors),
        languages=[
            MilestoneLanguage(code=code) for code in sorted(set(values.languages))
        ],
    )
    db.session.add(milestone)
    db.session.flush()
    logger.info(
        "milestone %s (%s) recorded for community %s by account %s",
        milestone.id,
        milestone.kind,
        community.id,
        milestone.recorded_by_id,
    )
    return milestone


def withdraw_milestone(milestone: Milestone, *, actor, now: datetime) -> None:
    """Mark a milestone recorded by mistake as withdrawn; it then counts for nothing.

    The row stays, with who withdrew it and when, so the history can be read.

    :raise Refused: when it was already withdrawn, perhaps by someone else just now.
    """
    _withdraw(milestone, actor=actor, now=now)
    logger.info(
        "milestone %s withdrawn by account %s", milestone.id, milestone.withdrawn_by_id
    )


def milestone_history(community: Community) -> list[Milestone]:
    """Every milestone record of the community, withdrawn ones included, newest
    achievement first."""
    return list(
        db.session.scalars(
            select(Milestone)
            .where(Milestone.community_id == community.id)
            .options(
                selectinload(Milestone.sectors),
                selectinload(Milestone.languages),
                selectinload(Milestone.recorded_by),
                selectinload(Milestone.withdrawn_by),
            )
            .order_by(Milestone.achieved_on.desc(), Milestone.id.desc())
        )
    )


def milestones_reached(community_ids: Iterable[int]) -> dict[int, dict[str, date]]:
    """For each community, the day each milestone became true, counting only
    records that stand (not withdrawn). Kinds never reached are left out."""
    ids = list(community_ids)
    reached: dict[int, dict[str, date]] = {community_id: {} for community_id in ids}
    if not ids:
        return reached

    rows = db.session.execute(
        select(Milestone.community_id, Milestone.kind, func.min(Milestone.achieved_on))
        .where(Milestone.community_id.in_(ids))
        .where(Milestone.withdrawn_at.is_(None))
        .group_by(Milestone.community_id, Milestone.kind)
    )
    for community_id, kind, first_day in rows:
        reached[community_id][kind] = first_day
    return reached


def milestone_of_community(community: Community, milestone_id: int) -> Milestone | None:
    """The milestone with this id, if it belongs to ``community``."""
    return db.session.scalar(
        select(Milestone)
        .where(Milestone.id == milestone_id)
        .where(Milestone.community_id == community.id)
    )


# --- Meetings held elsewhere -----------------------------------------------------


def check_meeting(values: MeetingValues, *, today: date) -> None:
    """Refuse a meeting that could not count as a stakeholder meeting.

    :raise Refused: naming the field at fault.
    """
    _check_day(values.held_on, today, "held_on")
    if not 1 <= values.people_present <= MOST_PEOPLE:
        raise Refused(
            str(
                _l("Enter how many people came, from 1 to %(most)d.", most=MOST_PEOPLE)
            ),
            "people_present",
        )
    if len(set(values.sectors)) < 2:
        raise Refused(
            str(_l("A stakeholder meeting brings together two or more sectors.")),
            "sectors",
        )
    if any(slug not in SECTORS for slug in values.sectors):
        raise Refused(str(_l("Choose sectors from the list.")), "sectors")


def record_meeting(
    community: Community, values: MeetingValues, *, actor, now: datetime
) -> OutsideMeeting:
    """Record a stakeholder meeting of ``community`` held outside the product.

    :raise Refused: when the values could not make a stakeholder meeting.
    """
    check_meeting(values, today=local_today(now))
    begin_write()

    meeting = OutsideMeeting(
        community_id=community.id,
        held_on=values.held_on,
        people_present=values.people_present,
        note=values.note.strip(),
        recorded_by_id=_account_id(actor),
        created_at=now,
        sectors=_sectors(values.sectors),
    )
    db.session.add(meeting)
    db.session.flush()
    logger.info(
        "outside meeting %s recorded for community %s by account %s",
        meeting.id,
        community.id,
        meeting.recorded_by_id,
    )
    return meeting


def meetings_of(community: Community) -> list[OutsideMeeting]:
    """The community's meetings held elsewhere, withdrawn ones included, the latest
    first."""
    return list(
        db.session.scalars(
            select(OutsideMeeting)
            .where(OutsideMeeting.community_id == community.id)
            .options(
                selectinload(OutsideMeeting.sectors),
                selectinload(OutsideMeeting.recorded_by),
                selectinload(OutsideMeeting.withdrawn_by),
            )
            .order_by(OutsideMeeting.held_on.desc(), OutsideMeeting.id.desc())
        )
    )


def meeting_of_community(
    community: Community, meeting_id: int
) -> OutsideMeeting | None:
    """The meeting held elsewhere with this id, if it belongs to ``community``."""
    return db.session.scalar(
        select(OutsideMeeting)
        .where(OutsideMeeting.id == meeting_id)
        .where(OutsideMeeting.community_id == community.id)
    )


def withdraw_meeting(meeting: OutsideMeeting, *, actor, now: datetime) -> None:
    """Mark a meeting recorded by mistake as withdrawn; it then counts for nothing.

    The row stays, with who withdrew it and when, so that a report already given
    for its half-year can still be explained. A wrong detail is corrected by
    withdrawing the meeting and recording it again.

    :raise Refused: when it was already withdrawn, perhaps by someone else just now.
    """
    _withdraw(meeting, actor=actor, now=now)
    logger.info(
        "outside meeting %s withdrawn by account %s",
        meeting.id,
        meeting.withdrawn_by_id,
    )


# --- Helpers ---------------------------------------------------------------------


def _withdraw(record: Withdrawable, *, actor, now: datetime) -> None:
    """Mark ``record`` withdrawn unless it already is, and read it back.

    The condition is part of the update, so two people withdrawing at once cannot
    both succeed, and the first one's name and time are the ones kept.

    :raise Refused: when it was already withdrawn.
    """
    model = type(record)
    begin_write()
    changed = db.session.execute(
        update(model)
        .where(model.id == record.id)
        .where(model.withdrawn_at.is_(None))
        .values(withdrawn_at=now, withdrawn_by_id=_account_id(actor))
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise Refused(str(_l("This record was already withdrawn.")))

    db.session.refresh(record)


def _check_day(day: date, today: date, field_name: str) -> None:
    if day > today:
        raise Refused(str(_l("The date cannot be in the future.")), field_name)
    if day < EARLIEST_DAY:
        raise Refused(
            str(_l("Enter a date from %(year)d on.", year=EARLIEST_DAY.year)),
            field_name,
        )


def _sectors(slugs: Iterable[str]) -> list[Sector]:
    wanted = set(slugs)
    if not wanted:
        return []
    return list(db.session.scalars(select(Sector).where(Sector.slug.in_(wanted))))


def _account_id(actor) -> int | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor.id

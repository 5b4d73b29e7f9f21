"""What a TFC records for its twice-yearly indicators, beyond events and training.

Milestones are yes/no indicators that become true on a date. Outside meetings are
stakeholder meetings that were not held as events in the product. Survey responses
are the anonymous answers residents give after an awareness event.

Nothing here is ever deleted to correct it: a wrong milestone or meeting is
withdrawn, so the history of what was reported stays readable.
"""

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from ..accounts.models import User
from ..communities.models import Community, Sector
from ..database import UTCDateTime, utcnow
from ..extensions import db

#: Milestone kinds, in the order the network lists its indicators.
MILESTONE_KINDS = (
    "research-completed",
    "key-sectors-chosen",
    "survivor-referral-ready",
    "recovery-resources-identified",
    "justice-responders-trained",
)

SURVEY_ANSWERS = ("yes", "no", "unsure")

#: How a survey answer arrived: a personal link in the follow-up e-mail, or the
#: event's shared link behind the QR code at the door.
SURVEY_CHANNELS = ("email", "event")


def _in_list(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Withdrawable:
    """A record that is withdrawn, not deleted, when it turns out to be wrong.

    The row stays with who withdrew it and when, so that a figure once reported can
    still be explained; a withdrawn record counts for nothing. A table that uses it
    adds :func:`withdrawn_check` to its constraints.
    """

    #: Set when the record turned out to be wrong; it then counts for nothing.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )

    @declared_attr
    def withdrawn_by(cls) -> Mapped[User | None]:
        # The table also names the account that recorded it, so the relationship
        # has to say which of the two keys it follows.
        return relationship(foreign_keys=f"{cls.__name__}.withdrawn_by_id")

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


def withdrawn_check() -> CheckConstraint:
    """Who withdrew a record is kept only once it is withdrawn.

    It is not required the other way round: deleting the account that withdrew it
    leaves the record withdrawn by nobody known.
    """
    return CheckConstraint(
        "withdrawn_by_id IS NULL OR withdrawn_at IS NOT NULL",
        name="withdrawn_by_only_when_withdrawn",
    )


milestone_sector = Table(
    "milestone_sector",
    db.metadata,
    Column(
        "milestone_id", ForeignKey("milestone.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("sector_slug", ForeignKey("sector.slug"), primary_key=True),
)


class MilestoneLanguage(db.Model):
    """A language the recovery resources of a milestone serve survivors in."""

    __tablename__ = "milestone_language"

    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestone.id", ondelete="CASCADE"), primary_key=True
    )
    #: Code from :data:`tfc_training.vocabulary.LANGUAGES`.
    code: Mapped[str] = mapped_column(String(8), primary_key=True)


class Milestone(Withdrawable, db.Model):
    """A community reached one of the network's yes/no indicators on a day.

    A milestone is true for a reporting period when a record that has not been
    withdrawn was achieved on or before the period's last day.
    """

    __table_args__ = (
        CheckConstraint(_in_list("kind", MILESTONE_KINDS), name="kind_known"),
        withdrawn_check(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    #: The day the community reached it, which may be before it was recorded.
    achieved_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    #: The key sectors chosen, or the justice sectors trained, depending on the kind.
    sectors: Mapped[list[Sector]] = relationship(
        secondary=milestone_sector, order_by=Sector.position
    )
    languages: Mapped[list[MilestoneLanguage]] = relationship(
        order_by=MilestoneLanguage.code, cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Milestone {self.id} {self.kind}>"

    @property
    def language_codes(self) -> list[str]:
        return [language.code for language in self.languages]


outside_meeting_sector = Table(
    "outside_meeting_sector",
    db.metadata,
    Column(
        "outside_meeting_id",
        ForeignKey("outside_meeting.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("sector_slug", ForeignKey("sector.slug"), primary_key=True),
)


class OutsideMeeting(Withdrawable, db.Model):
    """A stakeholder meeting held elsewhere than at an event in the product.

    It keeps no names: only the day, the sectors present and how many people came.
    It counts as long as it is not withdrawn.
    """

    __tablename__ = "outside_meeting"
    __table_args__ = (
        CheckConstraint("people_present > 0", name="people_present_positive"),
        withdrawn_check(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    people_present: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    sectors: Mapped[list[Sector]] = relationship(
        secondary=outside_meeting_sector, order_by=Sector.position
    )

    def __repr__(self) -> str:
        return f"<OutsideMeeting {self.id}>"


class SurveyResponse(db.Model):
    """One anonymous answer to the short survey after an awareness event.

    Nothing that names the respondent is kept: no registration, address or browser
    details, and only the day it was given, so that an answer cannot be matched to
    a sign-up by its time.
    """

    __tablename__ = "survey_response"
    __table_args__ = (
        CheckConstraint(
            _in_list("knows_hotline", SURVEY_ANSWERS), name="knows_hotline_known"
        ),
        CheckConstraint(
            _in_list("can_name_sign", SURVEY_ANSWERS), name="can_name_sign_known"
        ),
        CheckConstraint(_in_list("channel", SURVEY_CHANNELS), name="channel_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    #: "Do you know how to reach the trafficking hotline?"
    knows_hotline: Mapped[str] = mapped_column(String(8))
    #: "Can you name a sign of trafficking?"
    can_name_sign: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8))
    submitted_on: Mapped[date] = mapped_column(Date)


class SurveyReceipt(db.Model):
    """That a registration has used its survey link, and nothing about its answer.

    The primary key allows one answer per registration; the receipt is written in
    the same transaction as the response.
    """

    __tablename__ = "survey_receipt"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )

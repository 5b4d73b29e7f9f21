from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..communities.models import Community, Sector
from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..vocabulary import EVENT_TYPES, LANGUAGES

EVENT_STATUSES = ("draft", "published", "cancelled")


def _in_list(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


event_sector = Table(
    "event_sector",
    db.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_slug", ForeignKey("sector.slug"), primary_key=True),
)


class EventLanguage(db.Model):
    """A language an event is held in (an event may be bilingual)."""

    __tablename__ = "event_language"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    #: Code from :data:`tfc_training.vocabulary.LANGUAGES`.
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    #: Order in which the languages were listed, the first being the main one.
    position: Mapped[int] = mapped_column(Integer, default=0)


class Event(db.Model):
    """A community engagement event, hosted by one TFC or by the whole network.

    Timed events keep their start and end as UTC instants together with the IANA
    zone they are held in. All-day events keep the local midnights that bound them,
    so the same two columns order and filter every event; the flag says how to show
    them and how to write them in a calendar.
    """

    __table_args__ = (
        CheckConstraint(_in_list("type", EVENT_TYPES), name="type_known"),
        CheckConstraint(_in_list("status", EVENT_STATUSES), name="status_known"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        CheckConstraint(
            "venue_name IS NOT NULL OR online_url IS NOT NULL", name="has_place"
        ),
        CheckConstraint(
            "registration_opens_at IS NULL OR registration_closes_at IS NULL"
            " OR registration_closes_at > registration_opens_at",
            name="registration_window_ordered",
        ),
        CheckConstraint("length(slug) > 0", name="slug_not_empty"),
        Index("ix_event_status_ends_at", "status", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    #: Host community; empty for a network-wide event.
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id"), index=True
    )
    #: Markdown source; rendered sanitised on pages and as plain text in feeds.
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="America/Los_Angeles")
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_name: Mapped[str | None] = mapped_column(String(200))
    venue_address: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(500))
    #: Number of confirmed places; empty means unlimited.
    capacity: Mapped[int | None] = mapped_column(Integer)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    #: Sign-ups wait as ``pending`` until an organiser approves them.
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    #: iCalendar SEQUENCE: raised on every change to time, place, title or status.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last change of anything shown on the event page or in a feed.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community | None] = relationship(lazy="joined")
    sectors: Mapped[list[Sector]] = relationship(
        secondary=event_sector, order_by=Sector.position
    )
    languages: Mapped[list[EventLanguage]] = relationship(
        order_by=EventLanguage.position, cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    @property
    def start_date(self) -> date:
        """The first day, in the event's own zone."""
        return self.local_start.date()

    @property
    def last_date(self) -> date:
        """The last day the event runs on, in its own zone (inclusive)."""
        if self.all_day:
            return self.local_end.date() - timedelta(days=1)
        return (self.local_end - timedelta(microseconds=1)).date()

    @property
    def type_label(self) -> str:
        return str(EVENT_TYPES[self.type])

    @property
    def language_codes(self) -> list[str]:
        return [language.code for language in self.languages]

    @property
    def language_labels(self) -> list[str]:
        return [LANGUAGES.get(code, code) for code in self.language_codes]

    @property
    def sector_slugs(self) -> list[str]:
        return [sector.slug for sector in self.sectors]

    def registration_state(self, now: datetime) -> str:
        """Say whether sign-up is possible now, and if not, why.

        One of ``open``, ``draft``, ``cancelled``, ``past``, ``not-yet-open`` and
        ``closed``.
        """
        if self.status != "published":
            return self.status
        if self.ends_at <= now:
            return "past"
        if self.registration_opens_at and now < self.registration_opens_at:
            return "not-yet-open"
        if self.registration_closes_at and now >= self.registration_closes_at:
            return "closed"
        if now >= self.starts_at and not self.all_day:
            return "closed"
        return "open"

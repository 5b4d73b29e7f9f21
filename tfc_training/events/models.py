from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..communities.models import Community, Sector
from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..vocabulary import EVENT_TYPES, LANGUAGES
from .recurrence import Rule

EVENT_STATUSES = ("draft", "published", "cancelled")

#: How often a series can repeat.
SERIES_FREQUENCIES = ("weekly", "monthly")


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


class EventSeries(db.Model):
    """The rule of a repeating event; each of its dates is an :class:`Event` row.

    The rule is kept in the terms of RFC 5545 so that a feed can write it back as
    an RRULE: a weekly rule names its weekdays, a monthly one either a day of the
    month or a weekday and its place in the month (``-1`` for the last). Times are
    local to ``timezone``, so a series keeps its wall-clock time across changes of
    daylight saving time. A series ends on a date or after a number of dates.
    """

    __tablename__ = "event_series"
    __table_args__ = (
        CheckConstraint(_in_list("freq", SERIES_FREQUENCIES), name="freq_known"),
        CheckConstraint("every >= 1", name="every_positive"),
        CheckConstraint("(until IS NULL) <> (count IS NULL)", name="until_or_count"),
        CheckConstraint("count IS NULL OR count >= 1", name="count_positive"),
        CheckConstraint(
            "month_day IS NULL OR month_day BETWEEN 1 AND 31", name="month_day_valid"
        ),
        CheckConstraint(
            "week_of_month IS NULL OR week_of_month IN (-1, 1, 2, 3, 4)",
            name="week_of_month_valid",
        ),
        CheckConstraint(
            "(freq = 'weekly' AND weekdays IS NOT NULL AND month_day IS NULL"
            " AND week_of_month IS NULL)"
            " OR (freq = 'monthly' AND month_day IS NOT NULL AND weekdays IS NULL"
            " AND week_of_month IS NULL)"
            " OR (freq = 'monthly' AND month_day IS NULL AND weekdays IS NOT NULL"
            " AND week_of_month IS NOT NULL)",
            name="rule_shape",
        ),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: iCalendar UID of the series, fixed when it is made; a split makes a new one.
    uid: Mapped[str] = mapped_column(String(200), unique=True)
    #: Start of the slugs of the dates made from the rule, followed by the date.
    slug: Mapped[str] = mapped_column(String(108))
    freq: Mapped[str] = mapped_column(String(8))
    #: Repeat every ``every`` weeks or months (the RRULE's INTERVAL).
    every: Mapped[int] = mapped_column(Integer, default=1)
    #: Two-letter RFC 5545 weekday codes joined by commas, such as ``MO,WE``.
    weekdays: Mapped[str | None] = mapped_column(String(20))
    month_day: Mapped[int | None] = mapped_column(Integer)
    #: With one weekday: 1 to 4 for the first to fourth of the month, -1 for the last.
    week_of_month: Mapped[int | None] = mapped_column(Integer)
    #: Local date of the first date of the series, which the rule always includes.
    starts_on: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    #: Last local date a repetition may fall on (inclusive).
    until: Mapped[date | None] = mapped_column(Date)
    count: Mapped[int | None] = mapped_column(Integer)
    #: iCalendar SEQUENCE of the series: raised on every change to it or its dates.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    occurrences: Mapped[list["Event"]] = relationship(
        back_populates="series", order_by="Event.recurrence_id"
    )

    def __repr__(self) -> str:
        return f"<EventSeries {self.uid}>"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def weekday_codes(self) -> list[str]:
        return self.weekdays.split(",") if self.weekdays else []

    @property
    def rule(self) -> Rule:
        """The repetition as a :class:`~.recurrence.Rule`."""
        return Rule(
            freq=self.freq,
            every=self.every,
            weekdays=tuple(self.weekday_codes),
            month_day=self.month_day,
            week_of_month=self.week_of_month,
            until=self.until,
            count=self.count,
        )

    @property
    def first_local_start(self) -> datetime:
        """The wall time of the first date, without a zone: the series' DTSTART."""
        return datetime.combine(self.starts_on, self.start_time)

    def touch(self, now: datetime) -> None:
        """Record a change that calendars must pick up: a new SEQUENCE."""
        self.sequence = (self.sequence or 0) + 1
        self.updated_at = now


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
        CheckConstraint(
            "(series_id IS NULL) = (recurrence_id IS NULL)",
            name="occurrence_has_recurrence_id",
        ),
        UniqueConstraint(
            "series_id", "recurrence_id", name="uq_event_series_id_recurrence_id"
        ),
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
    #: The series this event is one date of, if it repeats.
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_series.id"), index=True
    )
    #: The start the series' rule gave this date, kept when the date is moved: it
    #: is the date's RECURRENCE-ID in calendars.
    recurrence_id: Mapped[datetime | None] = mapped_column(UTCDateTime)

    community: Mapped[Community | None] = relationship(lazy="joined")
    sectors: Mapped[list[Sector]] = relationship(
        secondary=event_sector, order_by=Sector.position
    )
    languages: Mapped[list[EventLanguage]] = relationship(
        order_by=EventLanguage.position, cascade="all, delete-orphan"
    )
    series: Mapped[EventSeries | None] = relationship(back_populates="occurrences")

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

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..events.models import Event
from ..extensions import db

REGISTRATION_STATUSES = ("confirmed", "waitlisted", "pending", "cancelled", "rejected")

#: Statuses that hold a place, a turn or a request; an e-mail has at most one per
#: event. ``pending`` waits for an organiser's approval and takes no place yet.
ACTIVE_STATUSES = ("confirmed", "waitlisted", "pending")

#: How a registration came about: the public form, or added at the door.
SOURCES = ("online", "walk-in")


class Registration(db.Model):
    """A person's sign-up for one event. Personal data: never public, never logged."""

    __table_args__ = (
        CheckConstraint(
            "status IN ('confirmed', 'waitlisted', 'pending', 'cancelled', 'rejected')",
            name="status_known",
        ),
        CheckConstraint("source IN ('online', 'walk-in')", name="source_known"),
        # Online sign-ups keep a name, an e-mail and consent until they are erased;
        # walk-ins may give no more than their sector.
        CheckConstraint(
            "source = 'walk-in' OR erased_at IS NOT NULL"
            " OR (name IS NOT NULL AND email IS NOT NULL AND consented_at IS NOT NULL)",
            name="online_has_contact",
        ),
        CheckConstraint(
            "attended_at IS NULL OR status = 'confirmed'", name="only_confirmed_attend"
        ),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)",
            name="cancelled_at_matches_status",
        ),
        # The database, not the code, guarantees one active sign-up per person.
        Index(
            "uq_registration_event_email_active",
            "event_id",
            "email",
            unique=True,
            sqlite_where=text("status NOT IN ('cancelled', 'rejected')"),
            postgresql_where=text("status NOT IN ('cancelled', 'rejected')"),
        ),
        Index("ix_registration_event_status", "event_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    #: Empty once erased, and possibly for a walk-in.
    name: Mapped[str | None] = mapped_column(String(120))
    #: Stored trimmed and lower-cased, so that case never makes a second sign-up.
    email: Mapped[str | None] = mapped_column(String(254))
    sector_slug: Mapped[str | None] = mapped_column(ForeignKey("sector.slug"))
    #: Preferred language for messages, a code from the vocabulary.
    language: Mapped[str] = mapped_column(String(8))
    accessibility: Mapped[str | None] = mapped_column(Text)
    #: When the person agreed to the privacy notice; sign-up requires it.
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), default="online")
    #: Check-in time at the event: attendance figures are counted from it.
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )
    #: When the personal fields were removed on request; the row stays for counts.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    tokens: Mapped[list["ManageToken"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        # Only the id: a repr can end up in a log or a traceback.
        return f"<Registration {self.id}>"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class ManageToken(db.Model):
    """A secret link to a registration's own page; only its SHA-256 is stored.

    A registration can have several: a repeated sign-up with the same e-mail gets a
    link of its own rather than a different answer, so that the answer never tells
    a stranger whether that address had already signed up.
    """

    __tablename__ = "manage_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    #: Hex SHA-256 of the token in the link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="tokens")

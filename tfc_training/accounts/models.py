from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..communities.models import Community
from ..database import UTCDateTime, utcnow
from ..extensions import db


class User(UserMixin, db.Model):
    """A person with an account.

    Every account is a learner; an organiser also runs the events of the communities
    named in their memberships; an admin (network staff) may do everything.
    """

    # "user" is a reserved word in PostgreSQL; a plain name keeps raw SQL simple.
    __tablename__ = "account"
    __table_args__ = (
        # Disabling ends the sessions for good; an account disabled without that
        # would get its old sessions back when enabled again.
        db.CheckConstraint(
            "disabled_at IS NULL OR sessions_ended_at IS NOT NULL",
            name="disabled_sessions_ended",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored trimmed and lower-cased, like registrants' addresses.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: Empty until the person accepts their invitation and chooses a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: Network staff: may do everything.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A disabled account cannot log in; its history stays.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the account was last disabled. Sessions and links made before then stay
    #: dead after it is enabled again, so a cookie stolen earlier is no use.
    sessions_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Preferred language for messages, a code from the vocabulary.
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: SHA-256 of the secret in the personal calendar feed URL; reset to break it.
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the latest invitation was sent; links from earlier ones stop working.
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<User {self.id}>"

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None and self.password_hash is not None

    @property
    def organised_community_ids(self) -> set[int]:
        return {m.community_id for m in self.memberships if m.role == "organiser"}

    @property
    def is_organiser(self) -> bool:
        return bool(self.organised_community_ids)


class Membership(db.Model):
    """A person's role in one community: organisers run its events and see its
    registrants, members belong to it as learners."""

    user_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), primary_key=True
    )
    #: ``organiser`` or ``member`` (a learner who belongs to the community).
    role: Mapped[str] = mapped_column(String(16), default="member")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    community: Mapped[Community] = relationship()

    __table_args__ = (
        db.CheckConstraint("role IN ('organiser', 'member')", name="role_known"),
    )

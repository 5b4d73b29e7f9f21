from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..database import UTCDateTime, utcnow
from ..extensions import db


class AuditEntry(db.Model):
    """One thing that happened to an event, shown to its organisers.

    Entries name people by id only: a registrant's name is looked up when the trail
    is shown, so erasing the registrant also removes it from the trail.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    #: Who did it; empty for the registrant themselves or the system.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL")
    )
    #: A code such as ``event.rescheduled`` or ``registration.checked_in``.
    action: Mapped[str] = mapped_column(String(60))
    #: What changed, without personal data (for example old and new start times).
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()

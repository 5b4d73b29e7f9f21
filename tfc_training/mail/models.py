from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import db


class OutboxMessage(db.Model):
    """One e-mail waiting to be sent, or sent.

    Holding the message in the database means a sign-up is never lost because the
    SMTP server was down: the row is committed with the sign-up and sent later.
    Once sent, its text is cleared, since it may hold a secret link; what it was
    about, to whom and when stay.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the message is about, such as ``signup-confirmed`` or ``reminder``.
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    #: An iCalendar attachment, and the METHOD it was written with.
    ics_body: Mapped[str | None] = mapped_column(Text)
    ics_method: Mapped[str | None] = mapped_column(String(16))
    #: The registration the message is about, so that erasing it erases its mail.
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    #: Set for messages that must go only once, such as ``reminder:<registration>``.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The technical reason of the last failure; never holds personal data.
    last_error: Mapped[str | None] = mapped_column(String(300))
    #: While set and in the future, a sender has claimed the message and is sending
    #: it: others pass it by. A sender that dies leaves it to run out.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind}>"

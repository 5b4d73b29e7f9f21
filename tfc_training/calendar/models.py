from datetime import datetime

from sqlalchemy import CheckConstraint, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import db


class FeedState(db.Model):
    """How far the data every calendar feed is built from has come: one row.

    Each transaction that changes an event, a community or who organises one raises
    ``version`` and moves ``changed_at`` forward as it commits (see
    :mod:`tfc_training.calendar.state`). A feed's ETag and Last-Modified are read
    from this row with one query, before anything is built, and Last-Modified never
    goes back, not even when an event is deleted or leaves the feeds.
    """

    __tablename__ = "feed_state"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("version >= 0", name="version_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: Raised by one on every committed change to what the feeds show.
    version: Mapped[int] = mapped_column(Integer)
    #: When the latest such change was committed; never moves backwards.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

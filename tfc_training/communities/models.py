from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..vocabulary import SECTOR_DESCRIPTIONS, SECTORS


class Sector(db.Model):
    """One of the eight stakeholder sectors; rows are written by the first migration."""

    slug: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: Display order, following the network's numbering of the sectors.
    position: Mapped[int] = mapped_column(Integer, unique=True)

    @property
    def label(self) -> str:
        return str(SECTORS[self.slug])

    @property
    def description(self) -> str:
        return str(SECTOR_DESCRIPTIONS[self.slug])


class Community(db.Model):
    """A TraffickFree Community: a citizen-led group in one part of Los Angeles."""

    __table_args__ = (
        CheckConstraint("length(slug) > 0", name="slug_not_empty"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: The neighbourhood or part of the city it serves, such as "Koreatown".
    area: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    def __repr__(self) -> str:
        return f"<Community {self.slug}>"

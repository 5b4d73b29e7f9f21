"""Finding published events: the filters shared by the events list and the feeds."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ..communities.models import Community
from ..extensions import db
from ..plain_text import printable
from ..slugs import is_slug
from ..vocabulary import EVENT_TYPES, LANGUAGES, SECTORS
from .models import Event, EventLanguage, EventSeries, event_sector

FILTER_NAMES = ("community", "type", "sector", "language")


class UnknownFilter(ValueError):
    """A filter named a value that does not exist; the message says which and why."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass(frozen=True)
class EventFilter:
    """The optional ``community``, ``type``, ``sector`` and ``language`` filters."""

    community: Community | None = None
    type: str | None = None
    sector: str | None = None
    language: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.community or self.type or self.sector or self.language)

    def as_args(self) -> dict[str, str]:
        """The filter as query-string arguments, for building links that keep it."""
        args = {"type": self.type, "sector": self.sector, "language": self.language}
        if self.community:
            args["community"] = self.community.slug
        return {name: value for name, value in args.items() if value}


def parse_filter(args) -> EventFilter:
    """Read the filters from request arguments; empty values mean "any".

    :raise UnknownFilter: for a community, type, sector or language that does not
        exist, so that a mistyped subscription URL is refused rather than answered
        with an empty calendar.
    """
    values = {name: (args.get(name) or "").strip() or None for name in FILTER_NAMES}

    if values["type"] and values["type"] not in EVENT_TYPES:
        raise UnknownFilter(
            "type",
            _(
                "There is no event type “%(value)s”. Known types: %(known)s.",
                value=printable(values["type"]),
                known=", ".join(EVENT_TYPES),
            ),
        )
    if values["sector"] and values["sector"] not in SECTORS:
        raise UnknownFilter(
            "sector",
            _(
                "There is no sector “%(value)s”. Known sectors: %(known)s.",
                value=printable(values["sector"]),
                known=", ".join(SECTORS),
            ),
        )
    if values["language"] and values["language"] not in LANGUAGES:
        raise UnknownFilter(
            "language",
            _(
                "There is no language “%(value)s”. Known languages: %(known)s.",
                value=printable(values["language"]),
                known=", ".join(LANGUAGES),
            ),
        )

    community = None
    if values["community"]:
        if is_slug(values["community"]):
            community = db.session.scalar(
                select(Community).where(Community.slug == values["community"])
            )
        if community is None:
            raise UnknownFilter(
                "community",
                _(
                    "There is no community “%(value)s”.",
                    value=printable(values["community"]),
                ),
            )

    return EventFilter(
        community=community,
        type=values["type"],
        sector=values["sector"],
        language=values["language"],
    )


def with_details(statement: Select) -> Select:
    """Load each event's community, sectors and languages in a fixed number of queries."""
    return statement.options(selectinload(Event.sectors), selectinload(Event.languages))


def with_calendar_details(statement: Select) -> Select:
    """Load what a calendar writes of each event: its community and its sectors.

    Calendars do not show an event's languages; loading them for every event of
    a full feed cost about as much as loading its sectors.
    """
    return statement.options(selectinload(Event.sectors))


def with_series(statement: Select) -> Select:
    """Also load each event's series with all its dates, as feeds write them whole."""
    return statement.options(
        selectinload(Event.series)
        .selectinload(EventSeries.occurrences)
        .selectinload(Event.sectors)
    )


def published_events(
    event_filter: EventFilter = EventFilter(),
    *,
    ending_after: datetime | None = None,
    ending_before: datetime | None = None,
    include_cancelled: bool = True,
) -> Select:
    """Select published (and, unless told otherwise, cancelled) events in time order.

    Cancelled events stay listed so that people who planned to come, and calendars
    that hold them, learn of the cancellation. Drafts never appear.
    """
    if include_cancelled:
        # "Not a draft" rather than a list of statuses: with equality on the status,
        # SQLite takes the (status, ends_at) index and sorts every coming event to
        # show the first twenty; this way it walks the starts_at index in order and
        # stops after the first page.
        statement = select(Event).where(Event.status != "draft")
    else:
        statement = select(Event).where(Event.status == "published")

    if ending_after is not None:
        statement = statement.where(Event.ends_at >= ending_after)
    if ending_before is not None:
        statement = statement.where(Event.ends_at < ending_before)
    if event_filter.community is not None:
        statement = statement.where(Event.community_id == event_filter.community.id)
    if event_filter.type:
        statement = statement.where(Event.type == event_filter.type)
    if event_filter.sector:
        statement = statement.where(
            Event.id.in_(
                select(event_sector.c.event_id).where(
                    event_sector.c.sector_slug == event_filter.sector
                )
            )
        )
    if event_filter.language:
        statement = statement.where(
            Event.id.in_(
                select(EventLanguage.event_id).where(
                    EventLanguage.code == event_filter.language
                )
            )
        )
    return statement.order_by(Event.starts_at, Event.id)


#: How many of the next dates of a series an event page links.
LATER_DATES_SHOWN = 5


def later_dates(event: Event, limit: int = LATER_DATES_SHOWN) -> list[Event]:
    """The next published dates of ``event``'s series after it, soonest first."""
    if event.series_id is None:
        return []
    return list(
        db.session.scalars(
            published_events(include_cancelled=False)
            .where(Event.series_id == event.series_id)
            .where(Event.starts_at > event.starts_at)
            .limit(limit)
        )
    )

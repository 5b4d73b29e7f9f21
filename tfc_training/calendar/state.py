"""Knowing whether a feed has changed, with one query and without building it.

Every transaction that changes what the feeds show raises the version in the one
row of :class:`~tfc_training.calendar.models.FeedState` as it commits. A feed's ETag
is a digest of that version and of everything else its bytes depend on (the
address it was asked for, the language, the events that have aged out of it since);
its Last-Modified is the newest of the row's change time and the moments events
left it. Both only move forwards, so a calendar app holding a copy is told the
truth even when an event is deleted, goes back to draft or grows too old for the
feed.

The version is raised by a listener on every session rather than by each service,
so that the organiser tools, the imports, the command line and anything added
later cannot forget it. It is written just before the commit, so the row is locked
only for the moment the commit takes and never while other rows are waited for.
"""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain

from sqlalchemy import Select, case, event, func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..accounts.models import Membership, User
from ..communities.models import Community
from ..database import utcnow
from ..events.models import Event, EventLanguage, EventSeries
from ..extensions import db
from ..registration.models import Registration
from .feeds import EMPTY_FEED_MODIFIED
from .models import FeedState

#: Raise this whenever the builder writes different bytes for the same data, so
#: that calendar apps holding a copy from before fetch the new one.
FEED_FORMAT = 2

#: The id of the single row of ``feed_state``.
STATE_ROW = 1

#: ``Session.info`` key: a change that the feeds show was flushed.
_CHANGED = "tfc_feeds_changed"

#: Rows whose every change shows in some feed.
_SHOWN = (Event, EventLanguage, EventSeries, Community, Membership)

#: Fields of rows that decide which events a personal feed holds. Other changes to
#: these rows move their ``updated_at`` (registrations) or show in no feed.
_DECIDING = {User: ("email", "is_admin"), Registration: ("email",)}


def track_feed_changes() -> None:
    """Raise the feed version in every transaction that changes what feeds show.

    Listens on the Session class, which covers every session Flask-SQLAlchemy
    makes; safe to call more than once.
    """
    if event.contains(Session, "after_flush", _note_changes):
        return
    event.listen(Session, "after_flush", _note_changes)
    event.listen(Session, "before_commit", _raise_version)
    event.listen(Session, "after_transaction_end", _forget_changes)


def _note_changes(session, flush_context):
    for instance in chain(session.new, session.dirty, session.deleted):
        if _shows_in_feeds(instance, deleted=instance in session.deleted):
            session.info[_CHANGED] = True
            return


def _shows_in_feeds(instance, *, deleted: bool) -> bool:
    if isinstance(instance, _SHOWN):
        return True
    for model, fields in _DECIDING.items():
        if isinstance(instance, model):
            state = inspect(instance)
            if deleted:
                return True
            return not state.pending and any(
                state.attrs[name].history.has_changes() for name in fields
            )
    return False


def _raise_version(session):
    # A savepoint's changes are counted when the transaction around it commits.
    if session.in_nested_transaction():
        return

    # Changes not flushed yet are flushed by the commit only after this listener.
    session.flush()
    if not session.info.pop(_CHANGED, False):
        return
    connection = session.connection()
    connection.execute(_raise_statement(connection.dialect.name, utcnow()))


def _forget_changes(session, transaction):
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)


def _raise_statement(dialect: str, now: datetime):
    """Raise the version and move the change time forward, never back.

    Written as an upsert, so a database whose row is missing gets it back.
    """
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    table = FeedState.__table__
    statement = insert(table).values(id=STATE_ROW, version=1, changed_at=now)
    later = case(
        (table.c.changed_at > statement.excluded.changed_at, table.c.changed_at),
        else_=statement.excluded.changed_at,
    )
    return statement.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={"version": table.c.version + 1, "changed_at": later},
    )


# --- Reading ------------------------------------------------------------------


@dataclass(frozen=True)
class FeedVersion:
    """The validators of one feed: its strong ETag and its Last-Modified."""

    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class StateReading:
    """What one query said about the data behind a feed."""

    version: int
    changed_at: datetime | None
    #: How many events of the feed's scope have aged out of it, and the end of the
    #: latest of them; both ``None`` for a feed that keeps its events forever.
    aged_out: int | None
    last_aged_end: datetime | None
    #: The values of the extra columns asked for, in order.
    extra: tuple


def read_state(
    scope: Select | None = None,
    *,
    ended_before: datetime | None = None,
    extra: Sequence = (),
) -> StateReading:
    """Read the feed version, and what else a feed's validators need, in one query.

    :param scope: the events a feed holds, without its time window; the events of
        it that ended before ``ended_before`` have aged out of the feed.
    :param extra: further scalar columns (subqueries) read in the same query.
    """
    version = select(FeedState.version).where(FeedState.id == STATE_ROW)
    changed = select(FeedState.changed_at).where(FeedState.id == STATE_ROW)
    columns = [version.scalar_subquery(), changed.scalar_subquery()]
    if scope is not None:
        aged = scope.where(Event.ends_at < ended_before).order_by(None)
        columns += [
            aged.with_only_columns(func.count(Event.id)).scalar_subquery(),
            aged.with_only_columns(func.max(Event.ends_at)).scalar_subquery(),
        ]
    row = db.session.execute(select(*columns, *extra)).one()

    aged_out = last_aged_end = None
    if scope is not None:
        aged_out, last_aged_end = row[2], row[3]
        rest = tuple(row[4:])
    else:
        rest = tuple(row[2:])
    return StateReading(
        version=row[0] or 0,
        changed_at=_aware(row[1]),
        aged_out=aged_out,
        last_aged_end=_aware(last_aged_end),
        extra=rest,
    )


def feed_version(
    reading: StateReading,
    key: Iterable[object],
    *,
    past: timedelta = timedelta(0),
    changed: Iterable[datetime | None] = (),
) -> FeedVersion:
    """The validators of a feed from a reading and what else its bytes depend on.

    :param key: everything besides the data that the bytes depend on: the address,
        the language, the settings, and for a personal feed its reader's rows.
    :param past: how long a feed keeps ended events, to tell when one left it.
    :param changed: further moments the feed changed at, such as a reader leaving
        an event of a personal feed.
    """
    parts = (FEED_FORMAT, reading.version, reading.aged_out, *key)
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]

    moments = [reading.changed_at, *changed]
    if reading.last_aged_end is not None:
        moments.append(reading.last_aged_end + past)
    last_modified = max(
        (moment for moment in moments if moment is not None),
        default=EMPTY_FEED_MODIFIED,
    )
    return FeedVersion(etag=digest, last_modified=last_modified)


def _aware(moment: datetime | None) -> datetime | None:
    """Scalar subqueries come back without the column type's conversion to UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)

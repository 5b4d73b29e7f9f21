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
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import chain

from cachetools import TTLCache
from flask import current_app
from sqlalchemy import Select, bindparam, case, event, func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..accounts.models import Membership, User
from ..caching.versions import KEEP_SECONDS, current_version
from ..communities.models import Community
from ..database import UTCDateTime, utcnow
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

#: The least a restore moves the feed version on (see :func:`leap_past_restore`):
#: more changes than a site makes between a backup and its restore.
RESTORE_LEAP = 2**20

#: Statuses of the events that feeds show.
PUBLIC_STATUSES = ("published", "cancelled")

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


def note_feed_change(session) -> None:
    """Raise the feed version when ``session`` commits, for changes made in bulk.

    Inserts and updates written as SQL statements pass no rows through the session,
    so the listener below cannot see them; code that writes events that way says so
    here, or calendar apps would keep their old copy of the feeds.
    """
    session.info[_CHANGED] = True


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


def leap_past_restore() -> None:
    """Move the feed version far on after a restore, and the change time to now.

    A restore brings the row back as it was at the backup. Raised one by one from
    there, the version would soon repeat numbers given out after the backup, for
    other data, and a calendar app holding a copy made under such a number would be
    told that the feed had not changed. A leap of at least :data:`RESTORE_LEAP`,
    by a random amount, lands past every number given out since the backup.
    """
    if FeedState.__tablename__ not in inspect(db.engine).get_table_names():
        # A backup from before the feeds kept a version: the migration that adds
        # the row starts it afresh.
        return
    step = RESTORE_LEAP + secrets.randbelow(RESTORE_LEAP)
    connection = db.session.connection()
    connection.execute(_raise_statement(connection.dialect.name, utcnow(), step=step))
    db.session.commit()


def _raise_statement(dialect: str, now: datetime, *, step: int = 1):
    """Raise the version by ``step`` and move the change time forward, never back.

    Written as an upsert, so a database whose row is missing gets it back, with a
    version from a random point as the migrations give a new database, so that
    it repeats no version handed out for other data.
    """
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    table = FeedState.__table__
    start = RESTORE_LEAP * 4 + secrets.randbelow(2**30 - RESTORE_LEAP * 4)
    statement = insert(table).values(id=STATE_ROW, version=start, changed_at=now)
    later = case(
        (table.c.changed_at > statement.excluded.changed_at, table.c.changed_at),
        else_=statement.excluded.changed_at,
    )
    return statement.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={"version": table.c.version + step, "changed_at": later},
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
    #: The end of the latest public event that has aged out of the feeds, when
    #: asked for: as time passes it moves, and with it every ETag of a feed that
    #: drops old events.
    last_aged_end: datetime | None
    #: The values of the further columns asked for, by name.
    extra: dict
    #: When the database was asked, on ``time.monotonic``'s clock: anything
    #: derived from a reading kept in memory lasts no longer than the reading.
    taken_at: float = field(default_factory=time.monotonic)


def _aged_end():
    return (
        select(func.max(Event.ends_at))
        .where(Event.status.in_(PUBLIC_STATUSES))
        .where(Event.ends_at < bindparam("ended_before", type_=UTCDateTime()))
        .scalar_subquery()
    )


def _next_aged_end():
    return (
        select(func.min(Event.ends_at))
        .where(Event.status.in_(PUBLIC_STATUSES))
        .where(Event.ends_at >= bindparam("ended_before", type_=UTCDateTime()))
        .scalar_subquery()
    )


def _public_event_id():
    return (
        select(Event.id)
        .where(Event.slug == bindparam("slug"))
        .where(Event.status.in_(PUBLIC_STATUSES))
        .scalar_subquery()
    )


def _event_status():
    return select(Event.status).where(Event.id == bindparam("event_id"))


def _own_registrations():
    return select(func.count(Registration.id)).where(
        Registration.email == bindparam("email")
    )


def _last_registration_change():
    return select(func.max(Registration.updated_at)).where(
        Registration.email == bindparam("email")
    )


#: The further columns a feed may ask :func:`read_state` for, with the parameters
#: they take: ``aged_end`` and ``next_aged_end`` (``ended_before``), ``event_id`` of a public event
#: (``slug``), ``event_status`` (``event_id``), and ``registrations`` and
#: ``last_registration_change`` of an e-mail address (``email``).
_COLUMNS = {
    "aged_end": _aged_end,
    "next_aged_end": _next_aged_end,
    "event_id": _public_event_id,
    "event_status": lambda: _event_status().scalar_subquery(),
    "registrations": lambda: _own_registrations().scalar_subquery(),
    "last_registration_change": lambda: _last_registration_change().scalar_subquery(),
}


@cache
def _state_query(names: tuple[str, ...]) -> Select:
    """The query for ``names``, built once: a 304 should cost little more than the
    database's answer, and a statement built anew each time costs more than that."""
    version = select(FeedState.version).where(FeedState.id == STATE_ROW)
    changed = select(FeedState.changed_at).where(FeedState.id == STATE_ROW)
    columns = [version.scalar_subquery(), changed.scalar_subquery()]
    columns += [_COLUMNS[name]().label(name) for name in names]
    return select(*columns)


def read_state(*names: str, **parameters) -> StateReading:
    """Read the feed version, and the further columns ``names``, in one query.

    :param parameters: the values the columns asked for take (see ``_COLUMNS``).
    """
    # The query names columns only, so it runs on the session's connection: the
    # same transaction, without the ORM's handling of entities it would not use.
    row = db.session.connection().execute(_state_query(names), parameters).one()
    extra = dict(zip(names, row[2:], strict=True))
    return StateReading(
        version=row[0] or 0,
        changed_at=_aware(row[1]),
        last_aged_end=_aware(extra.get("aged_end")),
        extra=extra,
    )


def read_public_state(ended_before: datetime) -> StateReading:
    """:func:`read_state` of the public feeds, reused while the data stays the same.

    Such a reading changes only with the data or when an event ages out of the
    feeds. So a worker keeps it under the shared data version (see
    :mod:`tfc_training.caching.versions`) with the moment the next event will age
    out, and answers from memory until either comes: calendar apps asking whether
    the site feed changed then cost no query at all.
    """
    version = current_version()
    if version is not None and _snapshot_may_predate():
        # This request reads from a snapshot taken before the version was read,
        # which may miss a change the version already counts: what it reads must
        # not be kept under that version, nor a newer reading given to its older
        # data.
        version = None
    if version is not None:
        with _public_lock:
            kept = _public_readings.get(_reading_key(version))
        if kept is not None:
            reading, since, until = kept
            if since <= ended_before and (until is None or ended_before <= until):
                return reading

    reading = read_state("aged_end", "next_aged_end", ended_before=ended_before)
    if version is not None:
        # Up to and including the next end, no further event has aged out: the
        # query counts only ends strictly before the moment it is given.
        until = _aware(reading.extra["next_aged_end"])
        with _public_lock:
            _public_readings[_reading_key(version)] = (reading, ended_before, until)
    return reading


def public_reading_until(reading: StateReading, past: timedelta) -> datetime | None:
    """When a reading of :func:`read_public_state` stops being true while the data
    stays the same: as the next event ages out of feeds that keep ``past`` of the
    ended ones. ``None`` when no event is left to age out."""
    next_end = _aware(reading.extra["next_aged_end"])
    return None if next_end is None else next_end + past


#: Readings of the public feeds by data version: a few suffice, since only the
#: newest version is ever asked for again.
_public_readings = TTLCache(maxsize=4, ttl=KEEP_SECONDS)
_public_lock = threading.Lock()


def _snapshot_may_predate() -> bool:
    """Whether this request reads from a snapshot older than the version it read.

    On SQLite a transaction reads from the snapshot its first query took, so one
    already open (a feed that looked its community up first) does not see what was
    committed since. Every statement on PostgreSQL sees all that was committed
    before it began.
    """
    # A request that has not touched the database has no session, and making one
    # only to ask would cost a 304 more than the rest of its work.
    if not db.session.registry.has():
        return False
    session = db.session()
    return session.in_transaction() and session.get_bind().dialect.name == "sqlite"


def _reading_key(version: str) -> tuple[str, str]:
    # Sites sharing one Redis keep their versions under their own prefixes.
    return (current_app.config["REDIS_KEY_PREFIX"], version)


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
    parts = (FEED_FORMAT, reading.version, reading.last_aged_end, *key)
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
    """A time read from a labelled subquery, as an aware UTC datetime."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)

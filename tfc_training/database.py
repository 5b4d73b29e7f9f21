"""Database behaviour shared by every feature: SQLite settings, UTC times, locking."""

from datetime import UTC, datetime

from flask import g, has_request_context, request
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from .extensions import db


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """An instant, stored as naive UTC and returned as an aware UTC datetime.

    SQLite keeps no time zone and PostgreSQL's ``timestamptz`` converts to the
    session zone; storing naive UTC behaves the same on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime, got a naive one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def configure_sqlite(engine: Engine, busy_timeout: int) -> None:
    """Give SQLite real transactions, WAL, a busy timeout and foreign keys.

    Python's sqlite3 module only opens a transaction before a data change, so a
    read followed by a write would not be atomic. Turning that off and issuing
    ``BEGIN`` ourselves makes every session transaction a real one, and lets
    :func:`begin_write` ask for ``BEGIN IMMEDIATE``.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "")
        if not mode and request_may_write():
            mode = "IMMEDIATE"
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


def request_may_write() -> bool:
    """Say whether the current request is one that may change data (not GET or HEAD).

    On SQLite such requests take the write lock when their first transaction
    begins. A transaction that read first and writes later would otherwise fail at
    once with "database is locked" whenever another request wrote in between,
    instead of waiting its turn; readers are unaffected, since WAL lets them read
    alongside the writer.
    """
    return (
        has_request_context()
        and request.method not in SAFE_METHODS
        and not g.get(_DONE_WRITING, False)
    )


def done_writing() -> None:
    """Say that the current request has committed its change and now only reads.

    On SQLite its later transactions (such as the one that reads what the answer
    page shows) then begin as readers, alongside the writer, instead of queuing for
    the write lock that other requests are waiting for. A later write still works:
    :func:`begin_write` takes the lock as it does outside a request.
    """
    g.setdefault(_DONE_WRITING, True)


#: Methods that never change data; their transactions only read.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: The ``flask.g`` key set by :func:`done_writing`.
_DONE_WRITING = "tfc_done_writing"

#: ``Session.info`` keys: a write transaction is open; changes have been flushed.
_WRITING = "tfc_writing"
_FLUSHED = "tfc_flushed"


def track_write_transactions() -> None:
    """Keep each session's writing and flushed flags, cleared when its transaction ends.

    :func:`begin_write` reads them; listening on the Session class covers every
    session Flask-SQLAlchemy makes. Safe to call more than once.
    """
    if event.contains(Session, "after_flush", _mark_flushed):
        return
    event.listen(Session, "after_flush", _mark_flushed)
    event.listen(Session, "after_begin", _mark_writing)
    event.listen(Session, "after_transaction_end", _clear_flags)


def _mark_writing(session, transaction, connection):
    # A SQLite transaction begun for a request that may write already holds the
    # write lock (see request_may_write); PostgreSQL needs no upgrade at all.
    if connection.dialect.name != "sqlite" or request_may_write():
        session.info[_WRITING] = True


def _mark_flushed(session, flush_context):
    session.info[_FLUSHED] = True


def _clear_flags(session, transaction):
    if transaction.parent is None:
        session.info.pop(_WRITING, None)
        session.info.pop(_FLUSHED, None)


def begin_write(session=None) -> None:
    """Make sure the session's transaction may write and holds the write lock.

    On SQLite this is ``BEGIN IMMEDIATE``: the writer waits its turn (up to the busy
    timeout) instead of failing when two transactions that read first both try to
    write. On PostgreSQL it is an ordinary transaction and the caller locks the rows
    it depends on with ``SELECT ... FOR UPDATE``.

    Inside a transaction that already may write (opened by this function, by a
    POST request on SQLite, or any transaction on PostgreSQL) nothing happens, so
    service functions that each call it combine into one atomic change. On SQLite a
    read-only transaction already open is ended first; changes made in it are a
    programming error, since ending it would commit them unseen.
    """
    session = session or db.session()
    if session.in_transaction() and session.info.get(_WRITING):
        return

    if session.in_transaction():
        if (
            session.new
            or session.dirty
            or session.deleted
            or session.info.get(_FLUSHED)
        ):
            raise RuntimeError(
                "begin_write() called after changes were made outside a write"
                " transaction; call it before the first change"
            )
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    session.info[_WRITING] = True

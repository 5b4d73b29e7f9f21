"""Database behaviour shared by every feature: SQLite settings, UTC times, locking."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
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
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


def begin_write(session=None) -> None:
    """Start a transaction that may write, holding the write lock from its start.

    On SQLite this is ``BEGIN IMMEDIATE``: the writer waits its turn (up to the busy
    timeout) instead of failing when two transactions that read first both try to
    write. On PostgreSQL it is an ordinary transaction and the caller locks the rows
    it depends on with ``SELECT ... FOR UPDATE``.

    A read-only transaction already open in the session is ended first; pending
    changes are a programming error, since they would be committed unseen.
    """
    session = session or db.session()
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() called with unsaved changes in the session")
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})

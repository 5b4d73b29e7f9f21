"""The shared data version: one number in Redis, raised after every committed write.

A worker that kept something computed at version *n* may reuse it while Redis still
says *n*. The number is raised only after the commit, so a worker that reads it
and then the database either sees the write or sees the number move on afterwards;
either way it never keeps an old answer under a new number. A worker reads the
number at most once every :data:`RECHECK_SECONDS` and learns of its own writes at
once, so another worker's write shows in its pages within that time.

If a process dies between its commit and the raise, or Redis is out of reach, the
number stays behind the data. Everything kept under it therefore also expires after
a short time (see :data:`KEEP_SECONDS`), and a worker that cannot read the number
keeps nothing and asks the database, as it would without Redis.
"""

import logging
import secrets
import time

import redis
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..database import begin_write

logger = logging.getLogger(__name__)

#: Seconds anything filed under a version is kept at most, however long the
#: version stays the same: the bound on how stale a page or a feed's answer can be
#: when the raise after a commit was lost.
KEEP_SECONDS = 60

#: Seconds a worker goes on using the version it last read before asking Redis
#: again: a write made by another worker or a command shows within this time, and
#: most requests cost no round trip to Redis.
RECHECK_SECONDS = 1.0

#: Seconds to wait for Redis before answering from the database instead.
REDIS_TIMEOUT = 0.25

#: Seconds between two warnings that Redis cannot be reached, so that an outage
#: does not write a line per request.
_WARN_INTERVAL = 60

#: ``Session.info`` key: the current transaction has written something.
_WROTE = "tfc_data_written"

#: ``Session.info`` key: the current transaction writes nothing a visitor sees.
_UNSEEN = "tfc_data_unseen"

#: ``app.extensions`` key of the Redis client, or ``None`` when none is configured.
_EXTENSION = "tfc_data_version"

_last_warning = 0.0

#: The clock of :data:`RECHECK_SECONDS`; tests replace it.
_clock = time.monotonic


def init_app(app) -> None:
    """Connect to ``REDIS_URL`` (lazily; nothing is sent yet) and listen for writes."""
    url = app.config.get("REDIS_URL")
    state = None
    if url:
        client = redis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT,
            socket_connect_timeout=REDIS_TIMEOUT,
            decode_responses=True,
        )
        state = _SharedVersion(client, f"{app.config['REDIS_KEY_PREFIX']}:data-version")
    app.extensions[_EXTENSION] = state
    _track_writes()


class _SharedVersion:
    """The Redis key of the version, and the value this worker last saw in it."""

    def __init__(self, client, key):
        self.client = client
        self.key = key
        #: ``(value, when it was read)``, replaced whole so that threads never see
        #: one half of it new and the other old.
        self.seen: tuple[str | None, float] = (None, -RECHECK_SECONDS)


def current_version() -> str | None:
    """The data version now; ``None`` means keep nothing.

    It is ``None`` without Redis and when Redis cannot be reached. A worker asks
    Redis at most every :data:`RECHECK_SECONDS`, and learns its own writes at once.
    """
    return version_of(current_app)


def version_of(app) -> str | None:
    """:func:`current_version` of ``app``, for code that runs before its context."""
    state = app.extensions.get(_EXTENSION)
    if state is None:
        return None
    value, read_at = state.seen
    now = _clock()
    if now - read_at < RECHECK_SECONDS:
        return value
    try:
        value = state.client.get(state.key)
        if value is None:
            value = _start_version(state)
    except redis.RedisError as error:
        _warn("read", error)
        value = None
    state.seen = (value, now)
    return value


def _start_version(state) -> str:
    """Give a Redis that has no version yet (new, or restarted) one to start from.

    A random one, like a lost number raised again (see :func:`raise_version`), so
    that it never repeats a number a worker filed something under before. If
    another process set one meanwhile, that one stands.
    """
    mine = str(secrets.randbelow(2**48))
    theirs = state.client.set(state.key, mine, nx=True, get=True)
    return theirs if theirs is not None else mine


def raise_version() -> bool:
    """Raise the data version now, for writes that no session saw (a restore, the
    migrations); return whether Redis took it.

    A number that Redis lost (a restart) starts again from a random point rather
    than from one, so that it never repeats a number a worker filed something
    under before the restart. Without Redis, or when it cannot be reached, nothing
    is raised and nothing fails: what workers kept expires by itself.
    """
    state = current_app.extensions.get(_EXTENSION)
    if state is None:
        return False
    try:
        with state.client.pipeline(transaction=False) as pipe:
            pipe.set(state.key, secrets.randbelow(2**48), nx=True)
            pipe.incr(state.key)
            _, value = pipe.execute()
    except redis.RedisError as error:
        _warn("raise", error)
        # Until Redis answers again, this worker keeps nothing rather than trust
        # a number that its own write did not move.
        state.seen = (None, _clock())
        return False
    state.seen = (str(value), _clock())
    return True


def _warn(action: str, error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_INTERVAL:
        _last_warning = now
        logger.warning(
            "could not %s the data version in Redis (%s); answering from the "
            "database meanwhile",
            action,
            type(error).__name__,
        )


# --- Noticing writes --------------------------------------------------------------


def writes_unseen(session) -> None:
    """Say that the transaction of ``session`` writes only what no public page or
    feed shows (the outbox, a login time, a learner's progress), so that its commit
    leaves the data version alone.

    Call it before the transaction writes: if it has written, or holds changes not
    flushed yet, those may be seen, and the version is raised as usual. The caller
    vouches for the whole transaction, up to its commit, so only a view or command
    that sees all of it should call this.

    The transaction is made a write transaction here (see
    :func:`~tfc_training.database.begin_write`): a mark made with none open would
    otherwise outlive a request that ends up writing nothing (a refused login) and
    pass to the session's next transaction, and on SQLite a later ``begin_write``
    would end the transaction that holds the mark and start one without it.
    """
    if session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
        return
    begin_write(session)
    session.info[_UNSEEN] = True


def _track_writes() -> None:
    """Listen on the Session class, which covers every session Flask-SQLAlchemy
    makes; safe to call more than once."""
    if event.contains(Session, "after_commit", _after_commit):
        return
    event.listen(Session, "after_flush", _note_flush)
    event.listen(Session, "do_orm_execute", _note_statement)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_transaction_end", _forget)


def _note_flush(session, flush_context):
    session.info[_WROTE] = True


def _note_statement(state):
    # Bulk INSERT, UPDATE and DELETE statements pass no rows through the flush.
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def _after_commit(session):
    # SQLAlchemy reports a savepoint released as a commit too, while the savepoint
    # is still the session's transaction. Its writes reach other workers only with
    # the commit of the transaction around it, and must be counted then, marks and
    # all.
    if session.in_nested_transaction():
        return
    wrote = session.info.pop(_WROTE, False)
    unseen = session.info.pop(_UNSEEN, False)
    if wrote and not unseen and has_app_context():
        raise_version()


def _forget(session, transaction):
    # A savepoint rolled back leaves the writes made before it, so only the end of
    # the whole transaction forgets them.
    if transaction.parent is None:
        session.info.pop(_WROTE, None)
        session.info.pop(_UNSEEN, None)

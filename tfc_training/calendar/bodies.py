"""The bytes of public feeds, kept in each worker under their ETag.

Calendar apps that do not revalidate (Google Calendar among them) fetch a whole
feed every few hours, and a feed of a few hundred events takes a fifth of a second
to build. A public feed's ETag is a digest of everything its bytes depend on (see
:func:`~tfc_training.calendar.state.feed_version`), so bytes built once can be
given to every later request with the same ETag, with or without Redis, and are
never out of date: any change that feeds show gives a new ETag.

Personal feeds are never kept: their bytes hold someone's registrations.
"""

import threading
from collections.abc import Callable

from cachetools import LRUCache
from flask import current_app

#: ``app.extensions`` key of the feeds kept, or ``None`` when none are.
_EXTENSION = "tfc_feed_bodies"

_lock = threading.Lock()

#: A lock per ETag being built, so that requests arriving during a build wait for
#: its bytes rather than build the same feed again each.
_building: dict[str, threading.Lock] = {}


def init_app(app) -> None:
    """Give ``app`` room for ``FEED_CACHE_BYTES`` of feeds, or none when that is 0."""
    size = app.config["FEED_CACHE_BYTES"]
    app.extensions[_EXTENSION] = LRUCache(maxsize=size, getsizeof=len) if size else None


def kept_body(etag: str, build: Callable[[], bytes]) -> bytes:
    """The bytes of the public feed whose ETag is ``etag``, built once in each
    worker while they stay kept."""
    bodies = current_app.extensions[_EXTENSION]
    if bodies is None:
        return build()
    with _lock:
        body = bodies.get(etag)
        if body is not None:
            return body
        building = _building.setdefault(etag, threading.Lock())
    with building:
        with _lock:
            body = bodies.get(etag)
        if body is not None:
            return body
        try:
            body = build()
            with _lock:
                # A feed larger than the whole room is given out but not kept.
                if len(body) <= bodies.maxsize:
                    bodies[etag] = body
        finally:
            with _lock:
                _building.pop(etag, None)
    return body

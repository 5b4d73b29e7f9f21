"""The calendar file of a message, built once for each version of its event.

Every confirmation of a place or a turn on an event carries the same file but for
its DTSTAMP, the moment the message was written. Writing it with icalendar costs
more than the rest of the message, and it is written while the event is locked, so
this module keeps the bytes of each file made, keyed by everything they are made
from: every column of the event, its community's name and its sectors, the method,
the standing, the language and the site's address. A change to any of them is a new
key, so a file is never reused for an event that has changed since. Only the
DTSTAMP differs from one message to the next: the file is kept with a fixed stamp
that is replaced by the moment of each message.

Files that name their reader (``REQUEST`` and ``CANCEL``) or say that they left are
not kept; their callers build them with :func:`~..calendar.feeds.build_calendar`.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import inspect

from ..calendar.feeds import build_calendar
from ..events.models import Event

#: Files kept per process; each is a few kilobytes.
CACHE_SIZE = 256

#: The stamp a kept file is written with, and how it reads in the file.
_KEPT_STAMP = datetime(2000, 1, 1, tzinfo=UTC)
_KEPT_STAMP_LINE = b"DTSTAMP:20000101T000000Z"

_kept: OrderedDict[tuple, bytes] = OrderedDict()
_lock = threading.Lock()


def event_calendar(
    event: Event,
    method: str,
    *,
    tentative: bool,
    page_url: Callable[[Event], str],
    stamp: datetime,
) -> bytes:
    """The event as a calendar file with ``method``, written at ``stamp``: the same
    bytes as :func:`~..calendar.feeds.build_calendar` gives for it."""
    key = _key(event, method, tentative, page_url(event))
    with _lock:
        kept = _kept.get(key)
        if kept is not None:
            _kept.move_to_end(key)

    if kept is None:
        kept = build_calendar(
            [event],
            event.title,
            method=method,
            tentative=tentative,
            page_url=page_url,
            stamp=_KEPT_STAMP,
        )
        if kept.count(_KEPT_STAMP_LINE) != 1:
            # Not the layout this module expects: build this one as it is.
            return build_calendar(
                [event],
                event.title,
                method=method,
                tentative=tentative,
                page_url=page_url,
                stamp=stamp,
            )
        with _lock:
            _kept[key] = kept
            while len(_kept) > CACHE_SIZE:
                _kept.popitem(last=False)

    written = stamp.astimezone(UTC).strftime("DTSTAMP:%Y%m%dT%H%M%SZ").encode()
    return kept.replace(_KEPT_STAMP_LINE, written, 1)


def _key(event: Event, method: str, tentative: bool, page: str) -> tuple:
    community = event.community
    return (
        tuple(getattr(event, name) for name in _event_columns()),
        community.name if community is not None else None,
        tuple(event.sector_slugs),
        method,
        tentative,
        str(get_locale()),
        current_app.config["SITE_HOST"],
        page,
    )


@cache
def _event_columns() -> tuple[str, ...]:
    # Asked once the mappers are complete, not when this module is imported.
    return tuple(attribute.key for attribute in inspect(Event).column_attrs)

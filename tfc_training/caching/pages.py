"""Public pages kept rendered in each worker, for visitors who are not logged in.

The events list, an event's page and the home page cost tens of milliseconds to
render and are the same for every visitor without an account. Each worker keeps
the bytes of such a page, filed under the data version, the minute, the language
and the full address, and hands them out again until any of these moves on.

The minute is part of the key because a page also depends on the time: an event
starts, sign-ups open or close. Those moments are set to the minute, so a page
rendered within a minute is right for all of it.

Nothing is kept or reused for a visitor whose session holds anything besides a
form token (logged in, a message waiting to be shown) or who carries a
remember-me cookie, nor for an answer other than a plain 200 that left the session
alone.
"""

import functools
import threading
import time

from cachetools import TTLCache
from flask import Response, current_app, make_response, request, session
from flask_babel import get_locale
from flask_login.config import COOKIE_NAME

from .versions import KEEP_SECONDS, current_version

#: Session keys that say nothing about who the visitor is.
_ANONYMOUS_KEYS = frozenset({"csrf_token"})

#: ``app.extensions`` key of the pages kept, or ``None`` when none are.
_EXTENSION = "tfc_pages"

_lock = threading.Lock()


def init_app(app) -> None:
    """Give ``app`` room for ``PAGE_CACHE_SIZE`` pages, or none when that is 0."""
    size = app.config["PAGE_CACHE_SIZE"]
    app.extensions[_EXTENSION] = (
        TTLCache(maxsize=size, ttl=KEEP_SECONDS) if size else None
    )


def kept_for_visitors(view):
    """Serve ``view``'s page from this worker's memory when it may be reused."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = _page_key()
        if key is None:
            return view(*args, **kwargs)

        pages = current_app.extensions[_EXTENSION]
        with _lock:
            kept = pages.get(key)
        if kept is not None:
            body, mimetype = kept
            return Response(body, mimetype=mimetype)

        response = make_response(view(*args, **kwargs))
        if _reusable(response):
            with _lock:
                pages[key] = (response.get_data(), response.mimetype)
        return response

    return wrapper


def _page_key() -> tuple | None:
    if (
        request.method not in ("GET", "HEAD")
        or current_app.extensions[_EXTENSION] is None
    ):
        return None
    if _visitor_has_state():
        return None
    version = current_version()
    if version is None:
        return None
    # The scheme and host are part of the page: feed links on it are absolute.
    address = (request.scheme, request.host, request.root_path, request.full_path)
    return (version, _minute(), str(get_locale()), address)


def _minute() -> int:
    return int(time.time() // 60)


def _visitor_has_state() -> bool:
    if current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies:
        return True
    return any(name not in _ANONYMOUS_KEYS for name in session)


def _reusable(response: Response) -> bool:
    return (
        response.status_code == 200
        and not response.direct_passthrough
        and not response.is_streamed
        and not session.modified
    )

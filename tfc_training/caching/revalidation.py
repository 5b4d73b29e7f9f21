"""Answering a calendar app's repeated "has it changed?" before Flask is entered.

Calendar apps ask for a feed every few minutes with the ETag of the copy they hold,
and nearly every time the answer is 304, Not Modified. When a public feed gives
that answer through the whole application (the host check, the language, the
security headers), this layer keeps the status and headers it sent, filed under the
data version (see :mod:`.versions`) and every part of the request the answer can
depend on. The same request asked again while the version stands gets the same
answer from here, byte for byte, without the request passing through Flask.

Only a view can tell that its 304 may be repeated (see :func:`may_repeat`), and
until when: a feed that drops ended events changes when the next one ends, whatever
the data does. Nothing is kept for a request that carries a cookie or credentials,
for an answer that sets a cookie, or without a data version to file it under.
"""

import threading
import time
from datetime import datetime

from cachetools import TTLCache
from flask import request

from ..database import utcnow
from .versions import KEEP_SECONDS, version_of

#: ``environ`` key where a view leaves the moment its 304 stops being true (or
#: ``None`` when only the data can change it) and when the reading it rests on
#: was taken.
_REPEATABLE = "tfc.repeatable"

#: Longer ``If-None-Match`` headers are not kept: a client sends back the one ETag
#: it was given, and a stranger must not fill the memory with long keys.
_LONGEST_ETAGS = 256

#: Nor are requests whose address and language together are longer than this.
_LONGEST_REQUEST = 1024

#: The clock of the readings' ``taken_at``; tests replace it.
_clock = time.monotonic

#: The request parts an answer to a feed can depend on. Cookies and credentials are
#: not among them: a request that carries either is never answered from here.
_KEY_HEADERS = ("HTTP_HOST", "HTTP_ACCEPT_LANGUAGE", "HTTP_IF_NONE_MATCH")


def may_repeat(until: datetime | None = None, *, taken_at: float | None = None):
    """Let the 304 this request is answered with be repeated to the same request
    while the data version stands, and at most up to ``until``.

    :param taken_at: when the reading the answer rests on was taken (on
        ``time.monotonic``'s clock), if it was kept in memory: the answer is then
        repeated no longer than the reading itself would be kept, so that a lost
        raise of the version leaves nothing stale for longer than a minute.
    """
    request.environ[_REPEATABLE] = (until, taken_at)


class RepeatNotModified:
    """WSGI middleware that repeats the 304 answers views allowed it to repeat.

    It sits inside any proxy fix, so that the scheme, host and prefix it files
    answers under are the ones the application saw.
    """

    def __init__(self, app, wsgi_app, size: int):
        self.app = app
        self.wsgi_app = wsgi_app
        self._answers = TTLCache(maxsize=size, ttl=KEEP_SECONDS)
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)

        with self._lock:
            kept = self._answers.get(key)
        if kept is not None:
            status, headers, until, expires = kept
            if _clock() < expires and (until is None or utcnow() < until):
                start_response(status, list(headers))
                return []

        def keep_and_start(status, headers, exc_info=None):
            if (
                status.startswith("304")
                and _REPEATABLE in environ
                and not any(name.lower() == "set-cookie" for name, _ in headers)
            ):
                until, taken_at = environ[_REPEATABLE]
                expires = (_clock() if taken_at is None else taken_at) + KEEP_SECONDS
                answer = (status, tuple(headers), until, expires)
                with self._lock:
                    self._answers[key] = answer
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, keep_and_start)

    def _key(self, environ) -> tuple | None:
        etags = environ.get("HTTP_IF_NONE_MATCH")
        if (
            not etags
            or len(etags) > _LONGEST_ETAGS
            or _request_length(environ) > _LONGEST_REQUEST
            or environ["REQUEST_METHOD"] not in ("GET", "HEAD")
            or "HTTP_COOKIE" in environ
            or "HTTP_AUTHORIZATION" in environ
        ):
            return None
        version = version_of(self.app)
        if version is None:
            return None
        # Read before the application reads any data, so that whatever it answers
        # is at least as new as the version it is filed under.
        return (
            version,
            environ["REQUEST_METHOD"],
            environ["wsgi.url_scheme"],
            environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            *(environ.get(name) for name in _KEY_HEADERS),
        )


def _request_length(environ) -> int:
    return sum(
        len(environ.get(name) or "")
        for name in ("PATH_INFO", "QUERY_STRING", "HTTP_ACCEPT_LANGUAGE", "HTTP_HOST")
    )


def init_app(app) -> None:
    """Put the middleware in front of ``app`` when it keeps pages at all."""
    size = app.config["PAGE_CACHE_SIZE"]
    if size:
        app.wsgi_app = RepeatNotModified(app, app.wsgi_app, size)

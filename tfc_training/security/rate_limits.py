"""Rate limits on the forms that anyone can send: sign-up, log-in, password reset.

A view asks for a limit with :func:`rate_limited`; :func:`init_app` gives each app
a limiter of its own (Flask-Limiter) and wraps the views that asked. Requests are
counted per client address, which ``TFC_PROXY_FIX`` makes the visitor's own behind a
reverse proxy. The counts live in ``RATELIMIT_STORAGE_URI``: in memory by default,
in Redis in production, so that every worker shares them.

A refused request is answered with 429, a ``Retry-After`` header and, where the view
gives one, its own form filled in again with what the person typed, so that nothing
is lost by waiting.
"""

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)

#: An answer to a refused request: gets the message to show, returns a page.
Answer = Callable[[str], object]


@dataclass(frozen=True)
class RateLimit:
    """What a view asked for: the setting holding its limits, and how to answer."""

    setting: str
    answer: Answer | None = None
    #: Counts only the requests whose response this returns true for.
    counts: Callable[[object], bool] | None = None


def rate_limited(setting: str, *, answer: Answer | None = None, counts=None):
    """Limit the POST requests to a view by the limits in the ``setting`` config key.

    ``answer`` renders the view's own page for a refused request (with the message it
    is given shown on it); without one, the site's error page explains. ``counts``
    takes a response and says whether it uses up one of the allowed tries; by
    default every request does.
    """

    def mark(view):
        view.rate_limit = RateLimit(setting, answer, counts)
        return view

    return mark


def rate_limited_endpoints(app) -> dict[str, RateLimit]:
    """The endpoints of ``app`` that asked for a limit, with what they asked."""
    return {
        endpoint: view.rate_limit
        for endpoint, view in app.view_functions.items()
        if isinstance(getattr(view, "rate_limit", None), RateLimit)
    }


def init_app(app) -> None:
    """Give ``app`` its limiter and wrap the views that asked for a limit.

    Off in tests unless a test sets ``RATELIMIT_ENABLED``, so that tests sending
    many forms are not refused.
    """
    config = app.config
    if config.get("RATELIMIT_ENABLED") is None:
        config["RATELIMIT_ENABLED"] = not app.testing

    limiter = Limiter(key_func=get_remote_address)
    limiter.init_app(app)
    app.extensions["tfc_limiter"] = limiter
    if not config["RATELIMIT_ENABLED"]:
        return

    limited = rate_limited_endpoints(app)
    # Flask-Limiter checks every request before its view, for limits set on the whole
    # app; this site sets none, and the views that asked for one check it themselves
    # (the decorator below). Other endpoints skip that check, which would otherwise
    # resolve the limits of every page only to find none.
    limited_names = frozenset(limited)
    limiter.request_filter(lambda: request.endpoint not in limited_names)

    for endpoint, wanted in limited.items():
        app.view_functions[endpoint] = limiter.limit(
            _limits_from(wanted.setting),
            methods=["POST"],
            deduct_when=wanted.counts,
            on_breach=_answer_with(wanted.answer),
        )(app.view_functions[endpoint])


def _limits_from(setting: str) -> Callable[[], str]:
    # Read at each request, so that a changed setting needs no new limiter.
    return lambda: current_app.config[setting]


def _answer_with(answer: Answer | None):
    def on_breach(limit: RequestLimit):
        wait = max(math.ceil(limit.reset_at - time.time()), 1)
        logger.warning("rate limit reached on %s", request.endpoint)

        page = None
        if answer is not None:
            try:
                page = answer(refusal_message(wait, form_kept=True))
            except HTTPException:
                # The page the form is on has gone (an event was deleted): the
                # plain explanation still says when to try again.
                page = None
        if page is None:
            page = render_template(
                "errors/error.html",
                code=429,
                title=_("Too many requests"),
                message=refusal_message(wait, form_kept=False),
            )

        response = make_response(page)
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        return response

    return on_breach


def refusal_message(seconds: int, *, form_kept: bool) -> str:
    """Say that nothing was sent and how long to wait, in whole minutes."""
    minutes = max(math.ceil(seconds / 60), 1)
    if form_kept:
        return ngettext(
            "Too many tries from your connection in a short time, so this was not"
            " sent. What you typed is still here: please send it again in %(num)d"
            " minute.",
            "Too many tries from your connection in a short time, so this was not"
            " sent. What you typed is still here: please send it again in %(num)d"
            " minutes.",
            minutes,
        )
    return ngettext(
        "Too many tries from your connection in a short time, so this was not sent."
        " Please try again in %(num)d minute.",
        "Too many tries from your connection in a short time, so this was not sent."
        " Please try again in %(num)d minutes.",
        minutes,
    )

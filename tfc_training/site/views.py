"""The home page, the privacy notice, the subscription guide and the error pages."""

from flask import Blueprint, current_app, render_template, request
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, InternalServerError

from ..caching.pages import kept_for_visitors
from ..communities.models import Community
from ..database import utcnow
from ..events.queries import (
    EventFilter,
    UnknownFilter,
    parse_filter,
    published_events,
    with_details,
)
from ..extensions import db
from ..registration.services import places_taken

bp = Blueprint("site", __name__)

# The layout names the page's language from the locale chosen for the request.
bp.add_app_template_global(get_locale, "get_locale")

#: How many upcoming events the home page shows before pointing to the full list.
HOME_EVENT_COUNT = 6


@bp.get("/")
@kept_for_visitors
def home():
    """Welcome visitors with the next events and the communities near them."""
    statement = published_events(ending_after=utcnow()).limit(HOME_EVENT_COUNT)
    events = db.session.scalars(with_details(statement)).all()
    communities = db.session.scalars(select(Community).order_by(Community.name)).all()

    return render_template(
        "site/home.html",
        events=events,
        taken=places_taken(event.id for event in events),
        communities=communities,
    )


@bp.get("/privacy")
def privacy():
    """Say what is kept about people who sign up, why, who sees it and for how long."""
    return render_template("site/privacy.html")


@bp.get("/calendar/")
def subscribe():
    """Explain how to subscribe to the calendar, with links for the chosen filters."""
    try:
        event_filter = parse_filter(request.args)
    except UnknownFilter as error:
        page = render_template(
            "site/subscribe.html", event_filter=EventFilter(), filter_error=error
        )
        return page, 400

    return render_template(
        "site/subscribe.html", event_filter=event_filter, filter_error=None
    )


#: Page titles for the errors the site answers with a page of its own.
ERROR_TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You may not see this page"),
    404: _l("Page not found"),
    405: _l("This address does not accept that"),
    409: _l("That could not be done"),
    413: _l("That was too large to send"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
}

#: What to say when the code that raised the error gave no message of its own.
ERROR_MESSAGES = {
    400: _l("Please check the address or the form and try again."),
    403: _l("You do not have permission to see this page."),
    404: _l("There is nothing at this address. It may have moved or been removed."),
    405: _l("This address cannot be used that way."),
    409: _l("Something changed while you were working. Please reload and try again."),
    429: _l("Please wait a little before trying again."),
    500: _l(
        "The problem has been recorded. Please try again in a few minutes; if it"
        " persists, contact the network."
    ),
}


@bp.app_errorhandler(400)
@bp.app_errorhandler(403)
@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
@bp.app_errorhandler(409)
@bp.app_errorhandler(429)
def error_page(error: HTTPException):
    """Show an error in the site's layout, with the message the view gave.

    An error that brings its own answer (a rate-limited form filled in again) keeps it.
    """
    if error.response is not None:
        return error.response

    code = error.code or 500
    # Werkzeug's own default texts are English only; use ours unless a view gave one.
    message = error.description
    if not message or message == type(error).description:
        message = ERROR_MESSAGES.get(code, "")

    headers = [
        (name, value)
        for name, value in error.get_headers()
        if name.lower() != "content-type"
    ]
    page = render_template(
        "errors/error.html", code=code, title=ERROR_TITLES[code], message=message
    )
    return page, code, headers


@bp.app_errorhandler(413)
def too_large(error: HTTPException):
    """Say how large a request may be; people meet this when they upload a file."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit:
        message = _(
            "Nothing was saved: what you sent is larger than the %(size)s this site"
            " accepts at once. If it was a file, split it into smaller files and"
            " send them one by one.",
            size=size_in_words(limit),
        )
    else:
        message = _(
            "Nothing was saved: what you sent is larger than this site accepts at"
            " once. If it was a file, split it into smaller files and send them one"
            " by one."
        )
    page = render_template(
        "errors/error.html", code=413, title=ERROR_TITLES[413], message=message
    )
    return page, 413


@bp.app_template_global()
def size_in_words(size: int) -> str:
    """A number of bytes as people read it: "4 MB", "512 KB"."""
    megabytes = size / (1024 * 1024)
    if megabytes >= 1:
        return _("%(number)s MB", number=format_decimal(megabytes, format="#,##0.#"))
    return _("%(number)s KB", number=format_decimal(size / 1024, format="#,##0.#"))


@bp.app_errorhandler(CSRFError)
def form_expired(error: CSRFError):
    """Explain a refused form in words a visitor can act on, in their language."""
    message = _(
        "This form had expired or could not be checked, so nothing was saved. Your"
        " browser must accept cookies from this site. Please go back, reload the"
        " page and send the form again."
    )
    page = render_template(
        "errors/error.html", code=400, title=ERROR_TITLES[400], message=message
    )
    return page, 400


@bp.app_errorhandler(InternalServerError)
def internal_error(error):
    """Answer an unexpected failure with a plain apology and nothing of its cause."""
    page = render_template(
        "errors/500.html",
        code=500,
        title=ERROR_TITLES[500],
        message=ERROR_MESSAGES[500],
    )
    return page, 500

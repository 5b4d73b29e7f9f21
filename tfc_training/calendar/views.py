"""iCalendar feeds that calendar apps subscribe to."""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..communities.models import Community
from ..database import utcnow
from ..events.models import Event
from ..events.queries import (
    EventFilter,
    UnknownFilter,
    parse_filter,
    published_events,
    with_details,
    with_series,
)
from ..extensions import db
from .feeds import (
    build_calendar,
    community_calendar_name,
    feed_etag,
    feed_last_modified,
    site_calendar_name,
)
from .links import feed_links, google_event_link
from .personal import (
    account_by_feed_token,
    account_calendar_name,
    account_feed_events,
    registration_by_feed_token,
    registration_feed_token,
    registration_withdrawn,
)

bp = Blueprint("calendar", __name__)

bp.add_app_template_global(feed_links, "feed_links")
bp.add_app_template_global(google_event_link, "google_event_link")
bp.add_app_template_global(registration_feed_token, "registration_feed_token")

#: Seconds a cache may reuse a feed before asking again; it then revalidates with
#: the ETag, which costs little, so a cancellation reaches subscribers quickly.
FEED_MAX_AGE = 300


@bp.get("/calendar.ics")
def site_feed():
    """Every recent and coming event, optionally filtered by the query string."""
    try:
        event_filter = parse_filter(request.args)
    except UnknownFilter as error:
        return _refusal(error.message, 400)

    events = _recent_and_coming(event_filter)
    return _calendar_response(events, site_calendar_name(event_filter), series=True)


@bp.get("/communities/<slug:slug>/calendar.ics")
def community_feed(slug):
    """One community's recent and coming events, optionally filtered further."""
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None:
        return _refusal(_("There is no community “%(slug)s”.", slug=slug), 404)

    # The address names the community, so a ``community`` argument is not read.
    arguments = {k: v for k, v in request.args.items() if k != "community"}
    try:
        event_filter = parse_filter(arguments)
    except UnknownFilter as error:
        return _refusal(error.message, 400)

    event_filter = EventFilter(
        community=community,
        type=event_filter.type,
        sector=event_filter.sector,
        language=event_filter.language,
    )
    events = _recent_and_coming(event_filter)
    name = community_calendar_name(community.name)
    if event_filter.type or event_filter.sector or event_filter.language:
        name = site_calendar_name(event_filter)
    return _calendar_response(events, name, series=True)


@bp.get("/events/<slug:slug>.ics")
def event_feed(slug):
    """One event, for a download or an "add to calendar" button."""
    statement = with_details(published_events().where(Event.slug == slug))
    event = db.session.scalar(statement)
    if event is None:
        return _refusal(_("There is no event “%(slug)s”.", slug=slug), 404)

    return _calendar_response([event], event.title)


@bp.get("/feeds/<token>.ics")
def account_feed(token):
    """An account's own events, behind the secret shown on their account page."""
    user = account_by_feed_token(token)
    if user is None:
        return _keep_private(_refusal(_("This calendar address does not work."), 404))

    events = account_feed_events(user, now=utcnow())
    return _keep_private(_calendar_response(events, account_calendar_name()))


@bp.get("/r/<token>/calendar.ics")
def registration_feed(token):
    """The event of one sign-up, for the registrant's own calendar."""
    registration = registration_by_feed_token(token)
    if registration is None or registration.event.status == "draft":
        return _keep_private(_refusal(_("This calendar address does not work."), 404))

    event = registration.event
    response = _calendar_response(
        [event], event.title, withdrawn=registration_withdrawn(registration)
    )
    return _keep_private(response)


def _recent_and_coming(event_filter: EventFilter) -> list[Event]:
    past_days = current_app.config["FEED_PAST_DAYS"]
    statement = published_events(
        event_filter, ending_after=utcnow() - timedelta(days=past_days)
    )
    return list(db.session.scalars(with_series(with_details(statement))))


def _calendar_response(
    events: Sequence[Event],
    name: str,
    *,
    withdrawn: Mapping[int, datetime] | None = None,
    series: bool = False,
) -> Response:
    """Answer with the feed, or with 304 when the client already holds these bytes.

    Only the ETag decides a 304: an event leaving the feed (past, or back to draft)
    changes the feed without moving its newest change time, so If-Modified-Since
    could keep a stale copy alive.
    """
    body = build_calendar(events, name, withdrawn=withdrawn, series=series)
    etag = feed_etag(body)

    response = Response(mimetype="text/calendar")
    response.set_etag(etag)
    response.last_modified = feed_last_modified(events, withdrawn)
    response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    response.cache_control.must_revalidate = True
    response.vary.add("Accept-Language")

    if request.if_none_match.contains_weak(etag):
        response.status_code = 304
        return response

    response.set_data(body)
    return response


def _keep_private(response: Response) -> Response:
    """Keep a personal feed out of shared caches, search engines and Referer headers.

    Its address is a secret: a shared cache could hand the feed to someone else, and
    a link followed from it must not carry the address along.
    """
    response.cache_control.public = False
    response.cache_control.private = True
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _refusal(message: str, status: int) -> Response:
    """A plain-text answer that a person can read when a calendar app shows it."""
    return Response(message + "\n", status=status, mimetype="text/plain")

"""iCalendar feeds that calendar apps subscribe to."""

from datetime import timedelta

from flask import Blueprint, Response, current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.http import http_date, quote_etag

from ..caching.revalidation import may_repeat
from ..communities.models import Community
from ..database import utcnow
from ..events.models import Event
from ..events.queries import (
    EventFilter,
    UnknownFilter,
    parse_filter,
    published_events,
    with_calendar_details,
    with_series,
)
from ..extensions import db
from .bodies import kept_body
from .feeds import build_calendar, community_calendar_name, site_calendar_name
from .links import feed_links, google_event_link
from .personal import (
    account_by_feed_token,
    account_calendar_name,
    account_feed_events,
    registration_by_feed_token,
    registration_feed_token,
    registration_withdrawn,
)
from .state import (
    PUBLIC_STATUSES,
    FeedVersion,
    feed_version,
    public_reading_until,
    read_public_state,
    read_state,
)

bp = Blueprint("calendar", __name__)

bp.add_app_template_global(feed_links, "feed_links")
bp.add_app_template_global(google_event_link, "google_event_link")
bp.add_app_template_global(registration_feed_token, "registration_feed_token")

#: Seconds a cache may reuse a feed before asking again; it then revalidates with
#: the ETag, which costs little, so a cancellation reaches subscribers quickly.
FEED_MAX_AGE = 300

_FEED_CACHE_CONTROL = f"public, max-age={FEED_MAX_AGE}, must-revalidate"


@bp.get("/calendar.ics")
def site_feed():
    """Every recent and coming event, optionally filtered by the query string."""
    try:
        event_filter = parse_filter(request.args)
    except UnknownFilter as error:
        return _refusal(error.message, 400)

    return _filtered_feed(event_filter, site_calendar_name(event_filter))


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
    name = community_calendar_name(community.name)
    if event_filter.type or event_filter.sector or event_filter.language:
        name = site_calendar_name(event_filter)
    return _filtered_feed(event_filter, name)


@bp.get("/events/<slug:slug>.ics")
def event_feed(slug):
    """One event, for a download or an "add to calendar" button."""
    reading = read_state("event_id", slug=slug)
    found = reading.extra["event_id"]
    if found is None:
        return _refusal(_("There is no event “%(slug)s”.", slug=slug), 404)

    version = feed_version(reading, _request_key(found))
    if _client_holds(version):
        may_repeat()
        return _not_modified(version)

    def build():
        event = db.session.scalar(
            with_calendar_details(select(Event).where(Event.id == found))
        )
        return build_calendar([event], event.title)

    return _calendar_response(version, kept_body(version.etag, build))


@bp.get("/feeds/<token>.ics")
def account_feed(token):
    """An account's own events, behind the secret shown on their account page."""
    user = account_by_feed_token(token)
    if user is None:
        return _keep_private(_refusal(_("This calendar address does not work."), 404))

    now = utcnow()
    past = timedelta(days=current_app.config["FEED_PAST_DAYS"])
    reading = read_state(
        "aged_end",
        "registrations",
        "last_registration_change",
        ended_before=now - past,
        email=user.email,
    )
    last_registration_change = reading.extra["last_registration_change"]
    version = feed_version(
        reading,
        _request_key(
            user.id,
            user.email,
            user.is_admin,
            reading.extra["registrations"],
            last_registration_change,
        ),
        past=past,
        changed=[last_registration_change],
    )
    if _client_holds(version):
        return _keep_private(_not_modified(version))

    events = account_feed_events(user, now=now)
    body = build_calendar(events, account_calendar_name())
    return _keep_private(_calendar_response(version, body))


@bp.get("/r/<token>/calendar.ics")
def registration_feed(token):
    """The event of one sign-up, for the registrant's own calendar."""
    registration = registration_by_feed_token(token)
    if registration is None:
        return _keep_private(_refusal(_("This calendar address does not work."), 404))

    reading = read_state("event_status", event_id=registration.event_id)
    if reading.extra["event_status"] not in PUBLIC_STATUSES:
        return _keep_private(_refusal(_("This calendar address does not work."), 404))

    withdrawn = registration_withdrawn(registration)
    version = feed_version(
        reading,
        _request_key(registration.id, registration.status, registration.updated_at),
        changed=[registration.updated_at, *withdrawn.values()],
    )
    if _client_holds(version):
        return _keep_private(_not_modified(version))

    event = registration.event
    body = build_calendar([event], event.title, withdrawn=withdrawn)
    return _keep_private(_calendar_response(version, body))


def _filtered_feed(event_filter: EventFilter, name: str) -> Response:
    """The recent and coming events that ``event_filter`` selects, as a feed."""
    now = utcnow()
    past = timedelta(days=current_app.config["FEED_PAST_DAYS"])
    reading = read_public_state(ended_before=now - past)
    version = feed_version(reading, _request_key(), past=past)
    if _client_holds(version):
        may_repeat(until=public_reading_until(reading, past), taken_at=reading.taken_at)
        return _not_modified(version)

    def build():
        statement = published_events(event_filter, ending_after=now - past)
        events = db.session.scalars(with_series(with_calendar_details(statement)))
        return build_calendar(list(events), name, series=True)

    return _calendar_response(version, kept_body(version.etag, build))


def _request_key(*values) -> tuple:
    """What besides the data a feed's bytes depend on: its full address (scheme,
    host, prefix and query), the interface language and the site's settings."""
    config = current_app.config
    return (
        # The parts of the full address, cheaper to read than ``request.url``.
        request.scheme,
        request.host,
        request.root_path,
        request.full_path,
        str(get_locale()),
        config["SITE_NAME"],
        config["SITE_HOST"],
        config["FEED_PAST_DAYS"],
        *values,
    )


def _client_holds(version: FeedVersion) -> bool:
    return request.if_none_match.contains_weak(version.etag)


def _validated(response: Response, version: FeedVersion) -> Response:
    """Give a feed response its validators and caching rules, 304 or not.

    The headers are written as plain strings: calendar apps ask every few minutes
    whether a feed changed, and Werkzeug's header objects cost more than the rest
    of the answer to that question.
    """
    headers = response.headers
    headers["ETag"] = quote_etag(version.etag)
    headers["Last-Modified"] = http_date(version.last_modified)
    headers["Cache-Control"] = _FEED_CACHE_CONTROL
    headers["Vary"] = "Accept-Language"
    return response


def _not_modified(version: FeedVersion) -> Response:
    """Tell a client that its copy is current, from the validators alone.

    Only the ETag decides a 304: its digest covers every change, while the
    Last-Modified of two changes in the same second would be the same.
    """
    return _validated(Response(status=304), version)


def _calendar_response(version: FeedVersion, body: bytes) -> Response:
    return _validated(Response(body, mimetype="text/calendar"), version)


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

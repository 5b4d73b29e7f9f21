"""The public events list and event pages."""

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..caching.pages import kept_for_visitors
from ..communities.models import Community
from ..database import utcnow
from ..extensions import db
from ..registration.services import places_taken
from ..vocabulary import EVENT_TYPES, LANGUAGES, SECTORS
from .formatting import (
    describe_filter,
    format_day,
    format_moment,
    format_short_when,
    format_when,
    group_by_day,
)
from .models import Event
from .queries import (
    EventFilter,
    UnknownFilter,
    later_dates,
    parse_filter,
    published_events,
    with_details,
)
from .recurrence import describe
from .text import render_markdown

#: Far beyond any real list; larger numbers would overflow the database's integers.
MAX_PAGE = 100_000

bp = Blueprint("events", __name__)


@bp.app_template_filter("when")
def when_filter(event):
    """``{{ event|when }}``: when the event takes place, in its own zone."""
    return format_when(event)


@bp.app_template_filter("short_when")
def short_when_filter(event):
    """``{{ event|short_when }}``: the time of day, for lists grouped by date."""
    return format_short_when(event)


@bp.app_template_filter("datetime_in_zone")
def datetime_in_zone_filter(moment, zone):
    """``{{ moment|datetime_in_zone(event.zone) }}``: an instant in a given zone."""
    return format_moment(moment, zone)


@bp.app_template_filter("day")
def day_filter(day):
    """``{{ event.start_date|day }}``: a calendar day written in full."""
    return format_day(day)


@bp.app_template_filter("describe_filter")
def describe_filter_filter(event_filter):
    """``{{ event_filter|describe_filter }}``: the chosen filters, in words."""
    return describe_filter(event_filter)


@bp.app_template_filter("markdown")
def markdown_filter(source):
    """``{{ event.description|markdown }}``: organisers' Markdown, sanitised."""
    return render_markdown(source)


@bp.app_template_filter("web_address")
def web_address_filter(address):
    """Pass an http(s) address through and drop anything else, so it can be a link."""
    if address and address.lower().startswith(("https://", "http://")):
        return address
    return None


def filter_choices():
    """The options of the filter form: every community, type, sector and language."""
    communities = db.session.scalars(select(Community).order_by(Community.name)).all()
    return {
        "community": [(c.slug, c.name) for c in communities],
        "type": [(slug, str(label)) for slug, label in EVENT_TYPES.items()],
        "sector": [(slug, str(label)) for slug, label in SECTORS.items()],
        "language": list(LANGUAGES.items()),
    }


@bp.get("/events/")
@kept_for_visitors
def index():
    """List upcoming events, or past ones newest first, with the chosen filters."""
    past = request.args.get("when") == "past"
    page_number = request.args.get("page", 1, type=int)
    if not 1 <= page_number <= MAX_PAGE:
        abort(404)
    choices = filter_choices()

    try:
        event_filter = parse_filter(request.args)
    except UnknownFilter as error:
        page = render_template(
            "events/index.html",
            past=past,
            choices=choices,
            selected=request.args,
            filter_error=error,
            event_filter=EventFilter(),
            pagination=None,
            days=[],
            taken={},
        )
        return page, 400

    now = utcnow()
    if past:
        statement = published_events(event_filter, ending_before=now).order_by(None)
        statement = statement.order_by(Event.starts_at.desc(), Event.id.desc())
    else:
        statement = published_events(event_filter, ending_after=now)
    pagination = db.paginate(
        with_details(statement),
        page=page_number,
        per_page=current_app.config["EVENTS_PER_PAGE"],
    )
    events = list(pagination.items)

    return render_template(
        "events/index.html",
        past=past,
        choices=choices,
        selected=request.args,
        filter_error=None,
        event_filter=event_filter,
        pagination=pagination,
        days=group_by_day(events),
        taken=places_taken(event.id for event in events),
    )


@bp.get("/events/<slug:slug>/")
@kept_for_visitors
def detail(slug):
    """Show one event: everything a person needs to decide to come, and to come."""
    event = db.session.scalar(with_details(select(Event).where(Event.slug == slug)))
    if event is None or event.status == "draft":
        abort(404, _("There is no event at this address."))

    now = utcnow()
    taken = places_taken([event.id])[event.id]

    return render_template(
        "events/detail.html",
        event=event,
        taken=taken,
        places_left=None if event.capacity is None else max(event.capacity - taken, 0),
        registration_state=event.registration_state(now),
        series_rule=describe(event.series.rule) if event.series else None,
        later_dates=later_dates(event),
    )

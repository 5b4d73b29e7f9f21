"""The public pages of the TraffickFree Communities."""

from flask import Blueprint, abort, current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..caching.pages import kept_for_visitors
from ..database import utcnow
from ..events.formatting import group_by_day
from ..events.models import Event
from ..events.queries import EventFilter, published_events, with_details
from ..extensions import db
from ..registration.services import places_taken
from .models import Community

bp = Blueprint("communities", __name__)


@bp.get("/communities/")
@kept_for_visitors
def index():
    """List every community with the number of its upcoming events."""
    communities = db.session.scalars(select(Community).order_by(Community.name)).all()
    upcoming = published_events(ending_after=utcnow(), include_cancelled=False)
    counts = dict(
        db.session.execute(
            select(Event.community_id, func.count())
            .where(Event.id.in_(upcoming.with_only_columns(Event.id).order_by(None)))
            .group_by(Event.community_id)
        ).all()
    )

    return render_template(
        "communities/index.html", communities=communities, upcoming_counts=counts
    )


@bp.get("/communities/<slug:slug>/")
@kept_for_visitors
def detail(slug):
    """Show a community, its upcoming events and the ways to follow them."""
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None:
        abort(404, _("There is no community at this address."))

    limit = current_app.config["EVENTS_PER_PAGE"]
    statement = published_events(
        EventFilter(community=community), ending_after=utcnow()
    )
    # One more than shown, to know whether to offer a link to the rest.
    events = db.session.scalars(with_details(statement.limit(limit + 1))).all()
    more = len(events) > limit
    events = events[:limit]

    return render_template(
        "communities/detail.html",
        community=community,
        days=group_by_day(events),
        more=more,
        taken=places_taken(event.id for event in events),
    )

"""Who may manage what. Every organiser or admin view makes exactly one of these checks.

Missing things and other communities' drafts answer 404, so that nobody learns what
exists outside their reach; public things they may not manage answer 403.
"""

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from ..communities.models import Community
from ..events.models import Event
from ..extensions import db, login_manager


def require_admin() -> None:
    """Let only network staff through; send anonymous people to the login page."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not current_user.is_admin:
        abort(403)


def require_organiser() -> None:
    """Let through admins and anyone who organises at least one community."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not (current_user.is_admin or current_user.is_organiser):
        abort(403)


def can_manage_community(user, community_id: int | None) -> bool:
    """Admins manage everything; organisers their own communities; network-wide
    events (no community) are for admins only."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return community_id is not None and community_id in user.organised_community_ids


def manageable_event_or_404(slug: str) -> Event:
    """Load an event the current user may manage, or stop the request.

    Anonymous people are sent to log in; an unknown slug or another community's
    draft is a 404; another community's public event is a 403.
    """
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())

    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        abort(404)
    if not can_manage_community(current_user, event.community_id):
        abort(404 if event.status == "draft" else 403)
    return event


def manageable_community_or_404(slug: str) -> Community:
    """Load a community the current user may manage, or stop the request.

    Anonymous people are sent to log in; an unknown slug is a 404; another
    community, whose public page anyone may see, is a 403.
    """
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())

    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None:
        abort(404)
    if not can_manage_community(current_user, community.id):
        abort(403)
    return community

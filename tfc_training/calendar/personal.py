"""Personal calendar feeds, each behind a secret address.

An account's feed holds the recent and coming events of three kinds:

- events its e-mail address holds an active registration for (confirmed, on the
  waiting list, or waiting for approval): a person who asked for a place wants the
  date in their calendar while they wait;
- for organisers, every published or cancelled event of the communities they
  organise, whether or not they signed up;
- for admins, the network-wide events, which only admins run. Admins do not get
  every community's events: the site-wide feed has those for anyone who wants them.

A registrant without an account gets the feed of their one registration. Its
address holds the SHA-256 of the secret of their own page rather than the secret
itself: calendar services such as Google's fetch the feed from their own servers,
and what they hold must let them read the event, never cancel the sign-up. The
digest is what the database already stores, so it is known whenever the page is
shown. Once the registration is cancelled or rejected, the event stays in that feed
marked as cancelled, so that a subscribed calendar drops it.

Only the SHA-256 of an account's secret is stored, so the address can be shown only
when it is made; making a new one breaks the old one at once. Nothing about anyone
other than the events' public details is ever written (see
:func:`~tfc_training.calendar.feeds.build_calendar`).
"""

import logging
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, or_, select

from ..accounts.models import Membership, User
from ..events.models import Event
from ..events.queries import published_events, with_calendar_details
from ..extensions import db
from ..registration.models import ACTIVE_STATUSES, ManageToken, Registration
from ..registration.tokens import hash_token

logger = logging.getLogger(__name__)

#: A registrant's feed secret: a hex SHA-256, as :func:`hash_token` writes it.
REGISTRATION_FEED_TOKEN = re.compile(r"[0-9a-f]{64}")


def reset_feed_token(user: User) -> str:
    """Give ``user`` a new feed secret and return it; the previous one stops working.

    Only its hash is kept, so the caller shows the returned secret (as the address
    of :func:`~tfc_training.calendar.views.account_feed`) straight away.
    """
    token = secrets.token_urlsafe(32)
    user.feed_token_hash = hash_token(token)
    db.session.flush()

    logger.info("personal feed secret of account %s replaced", user.id)
    return token


def account_by_feed_token(token: str) -> User | None:
    """Return the active account whose feed secret is ``token``, or ``None``."""
    if not token:
        return None

    user = db.session.scalar(
        select(User).where(User.feed_token_hash == hash_token(token))
    )
    if user is None or not user.is_active:
        return None
    return user


def account_feed_events(user: User, *, now: datetime) -> list[Event]:
    """The recent and coming events of an account's feed, in time order."""
    past_days = current_app.config["FEED_PAST_DAYS"]
    statement = account_feed_scope(user).where(
        Event.ends_at >= now - timedelta(days=past_days)
    )
    return list(db.session.scalars(with_calendar_details(statement)))


def account_feed_scope(user: User) -> Select:
    """Every event that belongs in an account's feed, whenever it took place."""
    registered = (
        select(Registration.event_id)
        .where(Registration.email == user.email)
        .where(Registration.status.in_(ACTIVE_STATUSES))
    )
    organised = (
        select(Membership.community_id)
        .where(Membership.user_id == user.id)
        .where(Membership.role == "organiser")
    )
    belongs = [Event.id.in_(registered), Event.community_id.in_(organised)]
    if user.is_admin:
        belongs.append(Event.community_id.is_(None))

    return published_events().where(or_(*belongs))


def account_calendar_name() -> str:
    """Name an account's feed after the site, without naming the person."""
    return _("My events – %(site)s", site=current_app.config["SITE_NAME"])


def registration_withdrawn(registration: Registration) -> dict[int, datetime]:
    """The ``withdrawn`` argument of the builder for a registrant's own feed."""
    if registration.is_active:
        return {}
    return {registration.event_id: registration.cancelled_at or registration.updated_at}


def registration_feed_token(manage_token: str) -> str:
    """The secret of a registrant's feed, derived from that of their own page."""
    return hash_token(manage_token)


def registration_by_feed_token(feed_token: str) -> Registration | None:
    """Return the registration whose feed secret is ``feed_token``, or ``None``."""
    if not REGISTRATION_FEED_TOKEN.fullmatch(feed_token):
        return None

    return db.session.scalar(
        select(Registration)
        .join(ManageToken, ManageToken.registration_id == Registration.id)
        .where(ManageToken.token_hash == feed_token)
    )

"""Accounts: passwords, logging in, invitations, resets, roles and disabling.

Every function here flushes but does not commit; the view or command that calls it
commits once. Messages go through the outbox in the same transaction, so the caller
delivers them after its commit.
"""

import logging
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..communities.models import Community
from ..database import utcnow
from ..extensions import db
from ..mail.links import site_url_for
from ..mail.services import send_invitation, send_password_reset
from ..registration.services import normalise_email
from .models import Membership, User
from .tokens import INVITATION_MAX_AGE, PASSWORD_RESET_MAX_AGE, make_token

logger = logging.getLogger(__name__)

#: Shortest password accepted: long passphrases beat complicated short words.
PASSWORD_MIN_LENGTH = 12

#: Longest password accepted, so that hashing stays cheap for the server.
PASSWORD_MAX_LENGTH = 200


class AccountExists(Exception):
    """An account with this e-mail address already exists."""


class NotAllowed(Exception):
    """The change would lock its author out; ``message`` says what to do instead."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def hash_password(password: str) -> str:
    """Return the salted scrypt hash a password is stored as."""
    return generate_password_hash(password, method="scrypt")


@cache
def stand_in_hash() -> str:
    """A hash of a random password, checked when there is no real one to check.

    Checking it costs the same as checking a real password, so a wrong address
    takes as long to refuse as a wrong password.
    """
    return hash_password(secrets.token_urlsafe(32))


def find_by_email(email: str) -> User | None:
    """Return the account with this address, whatever its state, or ``None``."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str, *, now: datetime) -> User | None:
    """Return the active account these credentials open, or ``None``.

    An unknown address, a wrong password, a disabled account and an invitation not
    yet accepted all give ``None`` after the same amount of hashing work.
    """
    user = find_by_email(email)

    stored = user.password_hash if user is not None else None
    matches = check_password_hash(stored or stand_in_hash(), password)
    if user is None or stored is None or not matches or not user.is_active:
        return None

    user.last_login_at = now
    db.session.flush()
    return user


def set_password(user: User, password: str, *, now: datetime) -> None:
    """Store a new password; links made for the old one stop working."""
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    db.session.flush()


def create_admin(email: str, name: str, password: str, *, now: datetime) -> User:
    """Create an active network-staff account; raise :class:`AccountExists`."""
    if find_by_email(email) is not None:
        raise AccountExists(email)

    user = User(email=normalise_email(email), name=name.strip(), is_admin=True)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    _add_new_account(user)
    return user


def _add_new_account(user: User) -> None:
    """Add ``user``, answering a race for the same address like an earlier account."""
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        raise AccountExists(user.email) from None


def invite(
    email: str,
    name: str,
    *,
    language: str,
    is_admin: bool,
    roles: Mapping[int, str],
    invited_by: User,
) -> User:
    """Create an account without a password and queue its invitation message.

    ``roles`` maps community ids to ``organiser`` or ``member``. Raise
    :class:`AccountExists` when the address already has an account.
    """
    if find_by_email(email) is not None:
        raise AccountExists(email)

    user = User(
        email=normalise_email(email),
        name=name.strip(),
        language=language,
        is_admin=is_admin,
        invited_by_id=invited_by.id,
    )
    user.memberships = [
        Membership(community_id=community_id, role=role)
        for community_id, role in roles.items()
    ]
    _add_new_account(user)

    send_invitation_link(user)
    logger.info("account %s invited by account %s", user.id, invited_by.id)
    return user


def send_invitation_link(user: User) -> None:
    """Queue a message with a fresh invitation link for an account without a password.

    The links of earlier invitations stop working. Like every link in e-mail, it
    starts with ``SITE_URL``, never with the host a request named.
    """
    user.invited_at = utcnow()
    db.session.flush()

    token = make_token(user, "invitation")
    send_invitation(
        user,
        site_url_for("accounts.accept_invitation", token=token),
        valid_for=timedelta(seconds=INVITATION_MAX_AGE),
    )


def send_reset_link(user: User) -> None:
    """Queue a message with a fresh password reset link, starting with ``SITE_URL``."""
    token = make_token(user, "password-reset")
    send_password_reset(
        user,
        site_url_for("accounts.reset_password", token=token),
        valid_for=timedelta(seconds=PASSWORD_RESET_MAX_AGE),
    )


def request_password_reset(email: str) -> None:
    """Send a reset link if the address belongs to an account that can use one.

    An account whose invitation is still open gets a new invitation instead, since
    it has no password to reset. Unknown and disabled addresses get nothing, and
    the caller says the same thing in every case.
    """
    user = find_by_email(email)
    if user is None or user.disabled_at is not None:
        return

    if user.password_hash is None:
        send_invitation_link(user)
    else:
        send_reset_link(user)


def accept_invitation(user: User, name: str, password: str, *, now: datetime) -> None:
    """Let an invited person confirm their name and choose their password."""
    user.name = name.strip()
    set_password(user, password, now=now)


def set_roles(
    user: User, *, is_admin: bool, roles: Mapping[int, str], changed_by: User
) -> bool:
    """Make ``user`` admin or not and set their role in each community.

    ``roles`` maps community ids to ``organiser`` or ``member``; a community it
    leaves out ends the membership. Return whether anything changed. Raise
    :class:`NotAllowed` when an admin would remove their own admin role.
    """
    if user.id == changed_by.id and user.is_admin and not is_admin:
        raise NotAllowed(
            _("You cannot remove your own admin role. Ask another admin to do it.")
        )

    changed = user.is_admin != is_admin
    user.is_admin = is_admin

    current = {m.community_id: m for m in user.memberships}
    for community_id, membership in current.items():
        if community_id not in roles:
            user.memberships.remove(membership)
            changed = True
        elif membership.role != roles[community_id]:
            membership.role = roles[community_id]
            changed = True
    for community_id, role in roles.items():
        if community_id not in current:
            user.memberships.append(Membership(community_id=community_id, role=role))
            changed = True

    db.session.flush()
    if changed:
        logger.info("roles of account %s changed by account %s", user.id, changed_by.id)
    return changed


def disable(user: User, *, now: datetime, changed_by: User) -> None:
    """Stop an account from logging in, and end its sessions and links for good.

    They end as a new password ends them, through the fingerprint they carry, so
    enabling the account again brings none of them back.
    """
    if user.id == changed_by.id:
        raise NotAllowed(
            _("You cannot disable your own account. Ask another admin to do it.")
        )

    if user.disabled_at is None:
        user.disabled_at = now
        user.sessions_ended_at = now
        db.session.flush()
        logger.info("account %s disabled by account %s", user.id, changed_by.id)


def enable(user: User, *, changed_by: User) -> None:
    """Let a disabled account log in again."""
    if user.disabled_at is not None:
        user.disabled_at = None
        db.session.flush()
        logger.info("account %s enabled by account %s", user.id, changed_by.id)


def communities_of(user: User) -> list[tuple[Community, str]]:
    """The communities a person belongs to and their role in each, by name."""
    memberships = sorted(user.memberships, key=lambda m: m.community.name.casefold())
    return [(membership.community, membership.role) for membership in memberships]

"""Signed links for invitations and password resets.

A link carries the account id and a fingerprint of the account's password hash, and
is signed with the app's secret key. Setting a password changes the hash, so every
link issued before stops working: each link can be used once. Disabling the account
changes the fingerprint for good as well. An account still
waiting for its first password has no hash; its fingerprint is that of the time of
its latest invitation, so that sending a new invitation ends the old link. The
signature also carries the time it was made, which bounds how long a link lives.
"""

import hashlib

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from ..extensions import db
from .models import User

#: How long an invitation link works, in seconds: a week, to allow for holidays.
INVITATION_MAX_AGE = 7 * 24 * 3600

#: How long a password reset link works, in seconds.
PASSWORD_RESET_MAX_AGE = 3600

#: Distinct salts keep a link made for one purpose from being accepted by another.
_PURPOSES = {
    "invitation": ("tfc-training.account-invitation", INVITATION_MAX_AGE),
    "password-reset": ("tfc-training.password-reset", PASSWORD_RESET_MAX_AGE),
}


def password_fingerprint(user: User) -> str:
    """A short digest of the password hash that changes whenever the password does,
    and, for an account without a password, with each new invitation.

    It changes too when the account is disabled, and does not change back when it
    is enabled: sessions and links are tied to it, so they all end for good.
    """
    if user.password_hash is not None:
        basis = user.password_hash
    elif user.invited_at is not None:
        basis = f"invited {user.invited_at.isoformat()}"
    else:
        basis = ""
    # Accounts never disabled keep the digest they had, so their sessions go on.
    if user.sessions_ended_at is not None:
        basis = f"{basis} sessions ended {user.sessions_ended_at.isoformat()}"
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    salt, _max_age = _PURPOSES[purpose]
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make_token(user: User, purpose: str) -> str:
    """Sign a link token for ``purpose`` (``invitation`` or ``password-reset``)."""
    return _serializer(purpose).dumps([user.id, password_fingerprint(user)])


def user_for_token(token: str, purpose: str) -> User | None:
    """Return the account a still-valid token names, or ``None``.

    A token is refused when its signature or purpose is wrong, when it is too old,
    when the password changed since it was made, or when the account is disabled.
    An invitation is only good while no password is set, a reset only once one is.
    """
    _salt, max_age = _PURPOSES[purpose]
    try:
        user_id, fingerprint = _serializer(purpose).loads(token, max_age=max_age)
        user = db.session.get(User, int(user_id))
    except (BadData, TypeError, ValueError):
        return None

    if user is None or user.disabled_at is not None:
        return None
    if fingerprint != password_fingerprint(user):
        return None
    has_password = user.password_hash is not None
    if has_password != (purpose == "password-reset"):
        return None
    return user

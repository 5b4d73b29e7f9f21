"""The secret links to a registrant's own page.

A link is handed out only in an e-mail to the registrant's address, and only its
SHA-256 is stored, so that a copy of the database lets nobody change a sign-up.
"""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select

from ..database import utcnow
from ..extensions import db
from .models import ManageToken, Registration


def hash_token(token: str) -> str:
    """Return the hex SHA-256 under which a manage token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_manage_token(
    registration: Registration, *, now: datetime | None = None
) -> str:
    """Make a new secret link to ``registration`` and return its token.

    The registration keeps its other links. Only the hash is added to the session;
    the token itself exists nowhere but in the returned string.
    """
    token = secrets.token_urlsafe(32)
    db.session.add(
        ManageToken(
            registration=registration,
            token_hash=hash_token(token),
            created_at=now or utcnow(),
        )
    )
    return token


def find_by_token(token: str) -> Registration | None:
    """Return the registration a manage token belongs to, or ``None``."""
    if not token:
        return None

    return db.session.scalar(
        select(Registration)
        .join(ManageToken, ManageToken.registration_id == Registration.id)
        .where(ManageToken.token_hash == hash_token(token))
    )

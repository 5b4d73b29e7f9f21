"""How Flask-Login finds the person behind a session."""

from ..extensions import db
from .models import User


def load_user(user_id: str) -> User | None:
    """Return the active account with this id; a disabled account is logged out."""
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.is_active:
        return None
    return user

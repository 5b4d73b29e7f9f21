"""Slugs: the short names in URLs that calendars and links depend on."""

import re
import unicodedata

from werkzeug.routing import BaseConverter, ValidationError

#: Lower-case words of letters and digits joined by single hyphens.
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

#: The longest slug any table stores.
SLUG_MAX_LENGTH = 120


def is_slug(value: str) -> bool:
    """Say whether ``value`` is a well-formed slug of an allowed length."""
    return len(value) <= SLUG_MAX_LENGTH and SLUG_PATTERN.fullmatch(value) is not None


def slugify(text: str, max_length: int = 80) -> str:
    """Make a slug from a title: accents dropped, other scripts left out.

    Returns an empty string when nothing usable is left (a title wholly in Chinese,
    say), so the caller can ask for a slug instead of inventing one.
    """
    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    )
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = "-".join(words)[:max_length].strip("-")
    return slug


class SlugConverter(BaseConverter):
    """Match only well-formed slugs, so that odd bytes never reach a query."""

    regex = r"[a-z0-9]+(?:-[a-z0-9]+)*"

    def to_python(self, value: str) -> str:
        if len(value) > SLUG_MAX_LENGTH:
            raise ValidationError()
        return value

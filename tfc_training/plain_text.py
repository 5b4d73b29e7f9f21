"""Rules for the plain text people type into forms and files."""

import unicodedata

#: Line breaks and tabs, the only control characters allowed in longer text.
LINE_BREAKS_AND_TABS = "\n\r\t"


def has_control_characters(value: str, allowed: str = "") -> bool:
    """Say whether ``value`` holds control characters other than those ``allowed``.

    They are invisible on a page, can break calendar apps that read the feeds, and
    are never part of a real name, title or address.
    """
    return any(
        unicodedata.category(character) == "Cc" and character not in allowed
        for character in value
    )

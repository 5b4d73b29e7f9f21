"""Rules for the plain text people type into forms and files."""

import unicodedata

from flask_babel import gettext as _

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


def text_problem(value: str, limit: int | None, *, one_line: bool) -> str | None:
    """Say what is wrong with trimmed, non-empty text read from a file, if anything.

    The event importer and the curriculum loader hold typed text to the same rules,
    so a mistake reads the same whichever file it is in.
    """
    if one_line and "\n" in value:
        return _("must fit on one line")
    if has_control_characters(value, allowed="" if one_line else LINE_BREAKS_AND_TABS):
        return _("holds control characters; remove them")
    if limit is not None and len(value) > limit:
        return _(
            "is %(length)d characters long; at most %(limit)d are allowed",
            length=len(value),
            limit=limit,
        )
    return None


#: Characters that change the direction of the text after them: the embeddings and
#: overrides (U+202A–U+202E) and the isolates (U+2066–U+2069).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

#: Letters that fonts draw as blank space: Hangul fillers and the blank Braille cell.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def has_bidi_controls(value: str) -> bool:
    """Say whether ``value`` holds a character that turns the text after it around."""
    return any(character in BIDI_CONTROLS for character in value)


def has_visible_character(value: str) -> bool:
    """Say whether ``value`` shows anything: a letter, digit, punctuation or symbol.

    Spaces, zero-width characters and marks on nothing leave a blank on the page.
    """
    return any(
        unicodedata.category(character)[0] in "LNPS" and character not in BLANK_LETTERS
        for character in value
    )


def printable(value: str) -> str:
    """``value`` with each control character and direction control shown as "�".

    For echoing what someone typed back in a message: the message then shows that
    something odd was there, without carrying it along.
    """
    return "".join(
        "\ufffd"
        if unicodedata.category(character) == "Cc" or character in BIDI_CONTROLS
        else character
        for character in value
    )

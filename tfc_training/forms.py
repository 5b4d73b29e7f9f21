"""The base of every form: WTForms' own messages, said in the product's voice.

WTForms words the errors it raises itself (a number that is not whole, a choice
that is not offered, a date it cannot read) for developers, such as "Not a valid
integer value.", and outside the product's message catalogue. A form built on
:class:`Form` hears those texts replaced by messages a visitor can act on, which
are translated with the rest of the product. Fields may still give their own.
"""

from flask_babel import gettext, ngettext
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations


def _messages() -> dict[str, str]:
    """WTForms' texts and the product's messages for them, in the current language."""
    choice = gettext("Choose one of the options offered.")
    return {
        "Not a valid integer value.": gettext("Write a whole number, such as 12."),
        "Not a valid decimal value.": gettext("Write a number, such as 12.5."),
        "Not a valid float value.": gettext("Write a number, such as 12.5."),
        "Not a valid date value.": gettext(
            "Write the date as year-month-day, for example 2026-01-15."
        ),
        "Not a valid datetime value.": gettext(
            "Write the date and time as year-month-day and hours:minutes,"
            " for example 2026-01-15 18:30."
        ),
        "Not a valid time value.": gettext(
            "Write the time as hours:minutes, for example 18:30."
        ),
        "Not a valid week value.": gettext(
            "Write the week as year-W-number, for example 2026-W03."
        ),
        "Not a valid choice.": choice,
        "Invalid Choice: could not coerce.": choice,
        "Invalid choice(s): one or more data inputs could not be coerced.": gettext(
            "Choose only among the options offered."
        ),
        "This field is required.": gettext("Fill in this field."),
    }


class _ProductTranslations:
    """Gives the product's message for a text WTForms raises, and WTForms' own
    translation for anything else."""

    def gettext(self, string: str) -> str:
        message = _messages().get(string)
        if message is not None:
            return message
        return wtforms_translations.gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if singular == "'%(value)s' is not a valid choice for this field.":
            # WTForms fills in the refused values itself: a tampered value would be
            # echoed back, so the message names none of them.
            return ngettext(
                "One of the choices is not among the options offered.",
                "%(num)d of the choices are not among the options offered.",
                n,
            ).replace("%", "%%")
        return wtforms_translations.ngettext(singular, plural, n)


_TRANSLATIONS = _ProductTranslations()


class Form(FlaskForm):
    """A form whose every message is the product's own."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _TRANSLATIONS

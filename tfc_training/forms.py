"""The base of every form: what it reads from a request, the one rule every field
keeps, and WTForms' own messages said in the product's voice.

Text fields read only the text parts of a request and file fields only its files,
and no field takes a NUL character, whatever its own rules say.

WTForms words the errors it raises itself (a number that is not whole, a choice
that is not offered, a date it cannot read) for developers, such as "Not a valid
integer value.", and outside the product's message catalogue. A form built on
:class:`Form` hears those texts replaced by messages a visitor can act on, which
are translated with the rest of the product. Fields may still give their own.
"""

from flask import request
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from werkzeug.datastructures import MultiDict
from wtforms.fields import FileField
from wtforms.validators import StopValidation

from .database import SAFE_METHODS

#: The character that no database text column takes (PostgreSQL refuses it outright).
NUL = "\x00"


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


def _refuse_nul(form, field):
    # Browsers never send a NUL; a request that does must get an answer about the
    # field, not an error from the database the value would otherwise reach.
    if any(isinstance(value, str) and NUL in value for value in field.raw_data or ()):
        raise StopValidation(
            _l("This holds an invisible control character; remove it and try again.")
        )


def _parts_for(form) -> MultiDict | None:
    """The submitted values each field of ``form`` may read.

    Text fields read only the text parts of the body, file fields only its files:
    a file sent in place of a name, or of a tick in a box, is simply missing and
    gets the field's usual message. A JSON body is not read at all, since no form
    of the site sends one and its values need not even be text.
    """
    parts = MultiDict(request.form)
    for field in form:
        if isinstance(field, FileField):
            parts.setlist(field.name, request.files.getlist(field.name))
    # As for a body with nothing in it at all, fields then keep the values they
    # were given, rather than being read as sent empty.
    return parts or None


class Form(FlaskForm):
    """A Flask-WTF form that reads each field from the right part of the request,
    refuses NUL characters in every field before any of its own rules run, and
    words every message the product's way."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _TRANSLATIONS

        def wrap_formdata(self, form, formdata):
            wrapped = super().wrap_formdata(form, formdata)
            # Flask-WTF hands back what it was given, unless it was told to read
            # the request; only then are the request's parts sorted out here.
            if wrapped is formdata or wrapped is None:
                return wrapped
            return _parts_for(form)

        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            field.validators = [_refuse_nul, *field.validators]
            return field


def form_sent() -> bool:
    """Whether the request sends a form, rather than asks for a page.

    HEAD asks for the same page as GET, only without its body, so views that show a
    form on GET must show it on HEAD too; testing for GET alone would treat HEAD as
    a form sent empty.
    """
    return request.method not in SAFE_METHODS

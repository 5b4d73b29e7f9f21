"""The base of every form on the site: what a form reads from a request, and the
one rule that every field keeps whatever its own rules say."""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms.fields import FileField
from wtforms.validators import StopValidation

from .database import SAFE_METHODS

#: The character that no database text column takes (PostgreSQL refuses it outright).
NUL = "\x00"


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


class SiteForm(FlaskForm):
    """A Flask-WTF form that reads each field from the right part of the request and
    refuses NUL characters in every field, before any of its own rules run."""

    class Meta:
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

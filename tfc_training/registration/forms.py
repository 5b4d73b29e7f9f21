"""The sign-up form and the cancel button's form."""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..forms import Form
from ..plain_text import (
    LINE_BREAKS_AND_TABS,
    has_bidi_controls,
    has_control_characters,
    has_visible_character,
)
from ..security.honeypot import HoneypotForm
from ..vocabulary import LANGUAGES, SECTORS
from .services import Applicant, normalise_email

NAME_MAX = 120
EMAIL_MAX = 254
ACCESSIBILITY_MAX = 1000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _normalise_email(value):
    return normalise_email(value) if isinstance(value, str) else value


def _single_line(form, field):
    if field.data and has_control_characters(field.data):
        raise ValidationError(_l("Write this on one line, without special characters."))


def person_name(form, field):
    """Refuse a name that shows nothing, or that turns the text around it.

    Names are shown in lists, e-mails, CSV exports, calendar feeds and certificates,
    and most of those cannot isolate a name from the text beside it. Arabic and
    Hebrew names show the right way round without direction controls, and the marks
    that some keyboards add (U+200E, U+200F) stay allowed; only the embeddings,
    overrides and isolates are refused, since in a name they serve only to make a
    list read differently from what it holds.
    """
    if not field.data:
        return
    if not has_visible_character(field.data):
        raise ValidationError(_l("Write a name with at least one visible letter."))
    if has_bidi_controls(field.data):
        raise ValidationError(
            _l("Remove the characters that change the direction of the text.")
        )


def _plain_text(form, field):
    if field.data and has_control_characters(field.data, allowed=LINE_BREAKS_AND_TABS):
        raise ValidationError(_l("Remove the special characters from this text."))


def _one_of(choices, message):
    def check(form, field):
        if field.data and field.data not in choices:
            raise ValidationError(message)

    return check


def _consent_label():
    link = Markup('<a href="{}">{}</a>').format(
        url_for("site.privacy"), _("privacy notice")
    )
    sentence = escape(_("I have read the %(notice)s and agree to it."))
    return sentence.replace("%(notice)s", link)


class SignUpForm(HoneypotForm):
    """What a person gives to sign up for an event."""

    name = StringField(
        _l("Your name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter your name.")),
            Length(
                max=NAME_MAX,
                message=_l("Use at most %(max)d characters.", max=NAME_MAX),
            ),
            _single_line,
            person_name,
        ],
    )
    email = EmailField(
        _l("E-mail address"),
        filters=[_normalise_email],
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Length(
                max=EMAIL_MAX,
                message=_l(
                    "An e-mail address has at most %(max)d characters.", max=EMAIL_MAX
                ),
            ),
            Email(
                _l("Enter an e-mail address like name@example.org."),
                check_deliverability=False,
            ),
        ],
    )
    sector = SelectField(
        _l("Sector you work or volunteer in"),
        choices=[
            SelectChoice("", _l("Prefer not to say")),
            *(SelectChoice(slug, label) for slug, label in SECTORS.items()),
        ],
        default="",
        validate_choice=False,
        validators=[
            Optional(),
            _one_of(SECTORS, _l("Choose one of the sectors in the list.")),
        ],
    )
    language = SelectField(
        _l("Preferred language"),
        # Each name is written in its own script; ``lang`` lets screen readers say it.
        choices=[
            SelectChoice(code, label, render_kw={"lang": code})
            for code, label in LANGUAGES.items()
        ],
        validate_choice=False,
        validators=[
            DataRequired(_l("Choose a language.")),
            _one_of(LANGUAGES, _l("Choose one of the languages in the list.")),
        ],
    )
    accessibility = TextAreaField(
        _l("Accessibility needs (optional)"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(
                max=ACCESSIBILITY_MAX,
                message=_l("Use at most %(max)d characters.", max=ACCESSIBILITY_MAX),
            ),
            _plain_text,
        ],
    )
    consent = BooleanField(
        validators=[
            DataRequired(_l("Sign-up needs your agreement to the privacy notice."))
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The label links to the privacy page, which needs a request to build its URL.
        self.consent.label.text = _consent_label()

    def applicant(self) -> Applicant:
        """The checked answers, ready for :func:`~.services.sign_up`."""
        return Applicant(
            name=self.name.data,
            email=self.email.data,
            sector=self.sector.data or None,
            language=self.language.data,
            accessibility=self.accessibility.data or None,
        )


class CancelForm(Form):
    """The cancel button: no fields, only the CSRF token."""

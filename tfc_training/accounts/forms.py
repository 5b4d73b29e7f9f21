"""Forms for logging in, passwords, invitations and an admin's changes to people."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form
from ..plain_text import has_control_characters
from ..registration.forms import EMAIL_MAX, NAME_MAX, person_name
from ..registration.services import normalise_email
from ..security.honeypot import HoneypotForm
from ..vocabulary import LANGUAGES
from .services import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _normalise_email(value):
    return normalise_email(value) if isinstance(value, str) else value


def _single_line(form, field):
    if field.data and has_control_characters(field.data):
        raise ValidationError(_l("Write this on one line, without special characters."))


def _one_line_address(form, field):
    # A line break inside an address is what header injection looks like; the
    # person is simply told that this is not an address.
    if field.data and has_control_characters(field.data):
        raise StopValidation(
            _l("This is not a valid e-mail address: it must be on one line.")
        )


def _email_field(label):
    return EmailField(
        label,
        filters=[_normalise_email],
        validators=[
            DataRequired(_l("Enter an e-mail address.")),
            _one_line_address,
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


def _name_field(label):
    return StringField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter a name.")),
            Length(
                max=NAME_MAX,
                message=_l("Use at most %(max)d characters.", max=NAME_MAX),
            ),
            _single_line,
            person_name,
        ],
    )


def _new_password_field(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(
                min=PASSWORD_MIN_LENGTH,
                max=PASSWORD_MAX_LENGTH,
                message=_l(
                    "Use between %(min)d and %(max)d characters. A few words in a row"
                    " make a strong password that is easy to remember.",
                    min=PASSWORD_MIN_LENGTH,
                    max=PASSWORD_MAX_LENGTH,
                ),
            ),
        ],
    )


def _confirmation_field():
    return PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Type the new password again.")),
            EqualTo("new_password", message=_l("The two passwords are not the same.")),
        ],
    )


class LoginForm(HoneypotForm):
    """An e-mail address and a password, and where to go afterwards."""

    email = EmailField(
        _l("E-mail address"),
        filters=[_normalise_email],
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Length(max=EMAIL_MAX, message=_l("This is not an e-mail address.")),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Enter your password.")),
            Length(max=PASSWORD_MAX_LENGTH, message=_l("This password is too long.")),
        ],
    )
    next = HiddenField()


class ButtonForm(Form):
    """A button that changes something: no fields, only the CSRF token."""


class ChangePasswordForm(Form):
    """The current password, to prove it is the person, and the new one twice."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password."))],
    )
    new_password = _new_password_field(_l("New password"))
    confirm_password = _confirmation_field()


class ForgotPasswordForm(HoneypotForm):
    """The address a reset link should go to."""

    email = _email_field(_l("E-mail address"))


class ResetPasswordForm(Form):
    """A new password, twice."""

    new_password = _new_password_field(_l("New password"))
    confirm_password = _confirmation_field()


class AcceptInvitationForm(Form):
    """The invited person's name, as they like it, and their first password."""

    name = _name_field(_l("Your name"))
    new_password = _new_password_field(_l("Choose a password"))
    confirm_password = _confirmation_field()


#: The kinds of account an admin can invite someone as.
INVITE_ROLES = {
    "learner": _l("Learner: takes the training"),
    "organiser": _l("Organiser: runs the events of the communities ticked below"),
    "admin": _l("Admin: network staff, may do everything"),
}


class InviteForm(Form):
    """Who to invite, in which language, and what they may do."""

    email = _email_field(_l("E-mail address"))
    name = _name_field(_l("Name"))
    language = SelectField(
        _l("Language for their messages"),
        choices=[
            SelectChoice(code, label, render_kw={"lang": code})
            for code, label in LANGUAGES.items()
        ],
        default="en",
    )
    role = RadioField(
        _l("Role"),
        choices=[SelectChoice(value, label) for value, label in INVITE_ROLES.items()],
        default="learner",
        validators=[DataRequired(_l("Choose a role."))],
    )
    communities = SelectMultipleField(
        _l("Communities"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )

    def __init__(self, communities, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.communities.choices = [SelectChoice(c.id, c.name) for c in communities]

    def validate_communities(self, field):
        known = {choice.value for choice in field.choices}
        if any(value not in known for value in field.data or ()):
            raise ValidationError(_("Choose communities from the list."))
        if self.role.data == "organiser" and not field.data:
            raise ValidationError(_("Tick the communities this organiser will run."))

    def roles(self) -> dict[int, str]:
        """The role the new account gets in each ticked community."""
        role = "organiser" if self.role.data == "organiser" else "member"
        return {community_id: role for community_id in self.communities.data or ()}


#: The choices for one community on the roles form; empty means no membership.
COMMUNITY_ROLE_CHOICES = [
    SelectChoice("", _l("Not a member")),
    SelectChoice("member", _l("Member")),
    SelectChoice("organiser", _l("Organiser")),
]


def community_field_name(community_id: int) -> str:
    """The name of the roles form's field for one community."""
    return f"community_{community_id}"


def _answered(form, field):
    # A browser always sends every choice; a missing one is a broken submission,
    # which must not be read as "leave this community as it is".
    if not field.raw_data:
        raise StopValidation(_("Choose a role in this community."))


class RolesForm(Form):
    """Admin or not, and the person's role in each community."""

    is_admin = BooleanField(_l("Admin (network staff): may do everything"))


def roles_form(user, communities, **kwargs) -> RolesForm:
    """Build the roles form for ``user`` with one choice per community."""

    class Form(RolesForm):
        pass

    current = {m.community_id: m.role for m in user.memberships}
    for community in communities:
        setattr(
            Form,
            community_field_name(community.id),
            SelectField(
                community.name,
                choices=COMMUNITY_ROLE_CHOICES,
                default=current.get(community.id, ""),
                validators=[_answered],
            ),
        )

    form = Form(is_admin=user.is_admin, **kwargs)
    form.community_fields = [
        (community, form[community_field_name(community.id)])
        for community in communities
    ]
    return form


def chosen_roles(form: RolesForm) -> dict[int, str]:
    """The community roles ticked on a roles form, by community id."""
    return {
        community.id: field.data
        for community, field in form.community_fields
        if field.data
    }

"""The learning pages' forms: buttons, the quiz and revoking a certificate."""

from collections.abc import Collection, Mapping

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..accounts.forms import ButtonForm  # noqa: F401  (offered to the views)
from ..forms import SiteForm
from .models import Question
from .services import REVOKE_REASON_MAX_LENGTH


class RevokeForm(SiteForm):
    """Why a certificate is revoked; the reason is shown to admins only."""

    reason = TextAreaField(
        _l("Reason for revoking"),
        validators=[
            DataRequired(_l("Say why the certificate is revoked.")),
            Length(
                max=REVOKE_REASON_MAX_LENGTH,
                message=_l("Keep the reason under %(max)d characters."),
            ),
        ],
    )


def question_field(question: Question) -> str:
    """The name of the form field that carries the answers to ``question``."""
    return f"question-{question.key}"


def read_choices(questions: list[Question], formdata) -> dict[str, list[int]]:
    """The answer positions chosen for each question, as sent by the quiz form.

    Values that are not whole numbers are kept as ``-1``, an answer no question
    offers, so that the check names the question rather than ignoring the value.
    """
    choices = {}
    for question in questions:
        values = formdata.getlist(question_field(question))
        choices[question.key] = sorted({_position(value) for value in values})
    return choices


def chosen_positions(choices: Mapping[str, Collection[int]], question: Question):
    """The positions chosen for ``question``, for ticking the boxes again."""
    return set(choices.get(question.key, ()))


def _position(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1

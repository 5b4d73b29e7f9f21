"""Forms for recording milestones and outside meetings, and the public survey."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange

from ..forms import SiteForm
from ..organise.forms import CheckboxesField
from ..registration.forms import _plain_text
from ..security.honeypot import HoneypotForm
from ..vocabulary import LANGUAGES, SECTORS
from .models import MILESTONE_KINDS
from .services import MILESTONE_LABELS, MOST_PEOPLE, MeetingValues, MilestoneValues

#: Longest note kept with a milestone or a meeting.
NOTE_LIMIT = 2000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _note_field():
    return TextAreaField(
        _l("Note (optional)"),
        filters=[_strip],
        validators=[
            Length(max=NOTE_LIMIT, message=_l("Use at most %(max)d characters.")),
            _plain_text,
        ],
    )


def _sector_choices():
    return [SelectChoice(slug, label) for slug, label in SECTORS.items()]


class MilestoneForm(SiteForm):
    """One milestone: which, since when, and what the kind asks for."""

    kind = SelectField(
        _l("Milestone"),
        choices=[
            SelectChoice(kind, MILESTONE_LABELS[kind]) for kind in MILESTONE_KINDS
        ],
        validate_choice=True,
    )
    achieved_on = DateField(
        _l("Reached on"),
        validators=[InputRequired(_l("Enter the day it was reached."))],
    )
    sectors = CheckboxesField(_l("Sectors"), choices=_sector_choices())
    languages = CheckboxesField(
        _l("Languages the resources serve"),
        choices=[
            SelectChoice(code, label, render_kw={"lang": code})
            for code, label in LANGUAGES.items()
        ],
    )
    note = _note_field()

    def values(self) -> MilestoneValues:
        return MilestoneValues(
            kind=self.kind.data,
            achieved_on=self.achieved_on.data,
            note=self.note.data or "",
            sectors=list(self.sectors.data or []),
            languages=list(self.languages.data or []),
        )


class MeetingForm(SiteForm):
    """A stakeholder meeting held elsewhere: no names, only numbers and sectors."""

    held_on = DateField(
        _l("Held on"), validators=[InputRequired(_l("Enter the day of the meeting."))]
    )
    people_present = IntegerField(
        _l("People present"),
        validators=[
            InputRequired(_l("Enter how many people came.")),
            NumberRange(
                min=1,
                max=MOST_PEOPLE,
                message=_l("Enter a number from %(min)d to %(max)d."),
            ),
        ],
    )
    sectors = CheckboxesField(_l("Sectors present"), choices=_sector_choices())
    note = _note_field()

    def values(self) -> MeetingValues:
        return MeetingValues(
            held_on=self.held_on.data,
            people_present=self.people_present.data,
            sectors=list(self.sectors.data or []),
            note=self.note.data or "",
        )


#: The answers offered to both survey questions.
ANSWER_CHOICES = [
    SelectChoice("yes", _l("Yes")),
    SelectChoice("no", _l("No")),
    SelectChoice("unsure", _l("Not sure")),
]


class SurveyForm(HoneypotForm):
    """The two survey questions."""

    knows_hotline = RadioField(
        _l("Do you know how to reach the trafficking hotline?"),
        choices=ANSWER_CHOICES,
        validators=[InputRequired(_l("Choose an answer to this question."))],
    )
    can_name_sign = RadioField(
        _l("Can you name a sign of trafficking?"),
        choices=ANSWER_CHOICES,
        validators=[InputRequired(_l("Choose an answer to this question."))],
    )

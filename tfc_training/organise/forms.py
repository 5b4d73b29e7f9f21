"""The organiser's forms: one event form for creating and editing, the walk-in form,
the CSV upload and the buttons that only carry a CSRF token."""

import secrets
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..events.importer import _exists_in_zone, _is_web_address, _to_utc
from ..events.models import Event
from ..events.recurrence import (
    MAX_OCCURRENCES,
    WEEK_OF_MONTH_NAMES,
    WEEKDAY_CODES,
    WEEKDAY_NAMES,
    Rule,
    RuleError,
    local_starts,
)
from ..events.services import (
    DESCRIPTION_LIMIT,
    EARLIEST_YEAR,
    LATEST_YEAR,
    LONGEST_EVENT,
    in_year_range,
)
from ..extensions import db
from ..forms import Form
from ..registration.forms import _plain_text, _single_line, person_name
from ..slugs import is_slug
from ..vocabulary import EVENT_TYPES, LANGUAGES, SECTORS

#: How the browser's date-and-time input writes a value, the first being the one
#: this form writes back.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]

#: Zones offered first in the time zone field; any IANA name is accepted.
COMMON_ZONES = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/New_York",
    "America/Anchorage",
    "Pacific/Honolulu",
    "UTC",
)


def _length(model, name: str) -> int:
    return model.__table__.c[name].type.length


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _lower(value):
    return value.lower() if isinstance(value, str) else value


@cache
def known_zones() -> frozenset[str]:
    """Every IANA time zone name the server knows."""
    return frozenset(available_timezones())


class CheckboxesField(SelectMultipleField):
    """Several choices, shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def new_nonce() -> str:
    """A fresh one-time value for a form."""
    return secrets.token_urlsafe(18)


class OnceOnlyForm(Form):
    """A form whose every copy shown carries its own one-time value, ``nonce``.

    A double click, a second tap, or the back button and "send again" all send the
    same value twice: the service that takes the form finds what the first copy
    did under that value and does not do it again. A form sent without one (from
    a script, or a page older than this field) is taken each time it comes.
    """

    nonce = HiddenField(
        validators=[
            Optional(),
            Regexp(r"^[A-Za-z0-9_-]{16,64}$", message=_l("Reload the page.")),
        ]
    )


class EventForm(OnceOnlyForm):
    """Everything an event has, for creating one and for editing it.

    Times are entered as local times in the event's own zone, like the import file,
    and turned into instants by :meth:`event_values`.
    """

    title = StringField(
        _l("Title"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Give the event a title.")),
            Length(
                max=_length(Event, "title"),
                message=_l("Use at most %(max)d characters."),
            ),
            _single_line,
        ],
    )
    slug = StringField(
        _l("Address of the event page"),
        filters=[_strip, _lower],
        validators=[Optional()],
    )
    type = SelectField(
        _l("Type of event"),
        choices=[SelectChoice(slug, label) for slug, label in EVENT_TYPES.items()],
        validate_choice=True,
    )
    community = SelectField(_l("Hosted by"), validate_choice=True)
    sectors = CheckboxesField(
        _l("Who it is for"),
        choices=[SelectChoice(slug, label) for slug, label in SECTORS.items()],
        validators=[DataRequired(_l("Choose at least one sector."))],
    )
    language = SelectField(
        _l("Main language"),
        choices=[
            SelectChoice(code, label, render_kw={"lang": code})
            for code, label in LANGUAGES.items()
        ],
    )
    other_languages = CheckboxesField(
        _l("Also held in"),
        choices=[
            SelectChoice(code, label, render_kw={"lang": code})
            for code, label in LANGUAGES.items()
        ],
    )
    description = TextAreaField(
        _l("Description"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(
                max=DESCRIPTION_LIMIT, message=_l("Use at most %(max)d characters.")
            ),
            _plain_text,
        ],
    )

    timezone = StringField(
        _l("Time zone"),
        filters=[_strip],
        validators=[DataRequired(_l("Give the time zone the event is held in."))],
    )
    all_day = BooleanField(_l("All-day event"))
    start_date = DateField(
        _l("First day"),
        validators=[Optional()],
        invalid_value_message=_l("Enter a date like 2027-02-06."),
    )
    end_date = DateField(
        _l("Last day"),
        validators=[Optional()],
        invalid_value_message=_l("Enter a date like 2027-02-06."),
    )
    starts_at = DateTimeLocalField(
        _l("Starts"),
        format=LOCAL_FORMATS,
        validators=[Optional()],
        invalid_value_message=_l("Enter a date and time like 2027-02-03 18:30."),
    )
    ends_at = DateTimeLocalField(
        _l("Ends"),
        format=LOCAL_FORMATS,
        validators=[Optional()],
        invalid_value_message=_l("Enter a date and time like 2027-02-03 20:00."),
    )

    venue_name = StringField(
        _l("Venue"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(
                max=_length(Event, "venue_name"),
                message=_l("Use at most %(max)d characters."),
            ),
            _single_line,
        ],
    )
    venue_address = StringField(
        _l("Address"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(
                max=_length(Event, "venue_address"),
                message=_l("Use at most %(max)d characters."),
            ),
            _single_line,
        ],
    )
    online_url = URLField(
        _l("Online meeting link"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(
                max=_length(Event, "online_url"),
                message=_l("Use at most %(max)d characters."),
            ),
        ],
    )

    capacity = IntegerField(
        _l("Places"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=100_000,
                message=_l("Enter a number of places from 1 to 100000."),
            ),
        ],
        invalid_value_message=_l("Enter a whole number, or leave empty for no limit."),
    )
    registration_opens = DateTimeLocalField(
        _l("Sign-up opens"),
        format=LOCAL_FORMATS,
        validators=[Optional()],
        invalid_value_message=_l("Enter a date and time like 2027-01-15 09:00."),
    )
    registration_closes = DateTimeLocalField(
        _l("Sign-up closes"),
        format=LOCAL_FORMATS,
        validators=[Optional()],
        invalid_value_message=_l("Enter a date and time like 2027-02-02 17:00."),
    )
    requires_approval = BooleanField(_l("Organisers approve each sign-up"))

    repeat = SelectField(
        _l("Repeats"),
        choices=[
            SelectChoice("", _l("Does not repeat")),
            SelectChoice("weekly", _l("Every week or every few weeks")),
            SelectChoice("monthly-day", _l("Every month on the same day of the month")),
            SelectChoice(
                "monthly-weekday",
                _l("Every month on the same weekday, such as the second Tuesday"),
            ),
        ],
        default="",
    )
    repeat_every = IntegerField(
        _l("Every how many weeks or months"),
        default=1,
        validators=[
            Optional(),
            NumberRange(min=1, max=12, message=_l("Enter a number from 1 to 12.")),
        ],
        invalid_value_message=_l("Enter a whole number, such as 2 for every other."),
    )
    repeat_weekdays = CheckboxesField(
        _l("On"),
        choices=[SelectChoice(code, WEEKDAY_NAMES[code]) for code in WEEKDAY_CODES],
    )
    repeat_week_of_month = SelectField(
        _l("Which one in the month"),
        choices=[
            SelectChoice("", _l("As on the first date")),
            *(
                SelectChoice(str(number), label)
                for number, label in WEEK_OF_MONTH_NAMES.items()
            ),
        ],
        default="",
    )
    repeat_until = DateField(
        _l("Until"),
        validators=[Optional()],
        invalid_value_message=_l("Enter a date like 2027-06-30."),
    )
    repeat_count = IntegerField(
        _l("Or this many times"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=MAX_OCCURRENCES,
                message=_l("Enter a number from 1 to %(max)d."),
            ),
        ],
        invalid_value_message=_l("Enter a whole number of dates."),
    )
    #: For a date of a series: change that date only, or the series from it on.
    scope = RadioField(
        _l("Apply the changes to"),
        choices=[
            SelectChoice("this", _l("This date only")),
            SelectChoice("following", _l("This date and every later date")),
        ],
        default="this",
    )

    def __init__(self, *args, communities=(), network_wide=False, event=None, **kwargs):
        """``communities`` are those the user may host for; ``network_wide`` lets
        them choose no community; ``event`` is the event being edited, if any."""
        super().__init__(*args, **kwargs)
        self.event = event
        self.communities = {str(community.id): community for community in communities}
        choices = []
        if network_wide:
            choices.append(SelectChoice("", _l("Network-wide (no single community)")))
        choices.extend(SelectChoice(key, c.name) for key, c in self.communities.items())
        self.community.choices = choices

    @property
    def slug_locked(self) -> bool:
        """A public event keeps its address, so that shared links keep working."""
        return self.event is not None and self.event.status != "draft"

    @classmethod
    def initial_data(cls, event: Event) -> dict:
        """The form's values for an existing event, times local to its zone."""
        zone = event.zone
        languages = event.language_codes
        data = {
            "title": event.title,
            "slug": event.slug,
            "type": event.type,
            "community": str(event.community_id) if event.community_id else "",
            "sectors": event.sector_slugs,
            "language": languages[0] if languages else "en",
            "other_languages": languages[1:],
            "description": event.description,
            "timezone": event.timezone,
            "all_day": event.all_day,
            "venue_name": event.venue_name,
            "venue_address": event.venue_address,
            "online_url": event.online_url,
            "capacity": event.capacity,
            "registration_opens": _local(event.registration_opens_at, zone),
            "registration_closes": _local(event.registration_closes_at, zone),
            "requires_approval": event.requires_approval,
        }
        if event.all_day:
            data["start_date"] = event.start_date
            data["end_date"] = event.last_date
        else:
            data["starts_at"] = _local(event.starts_at, zone)
            data["ends_at"] = _local(event.ends_at, zone)
        data.update(cls.series_data(event))
        return data

    @classmethod
    def series_data(cls, event: Event) -> dict:
        """The repetition fields for a date of a series, from its series."""
        series = event.series
        if series is None:
            return {}
        if series.freq == "weekly":
            repeat = "weekly"
        elif series.month_day is not None:
            repeat = "monthly-day"
        else:
            repeat = "monthly-weekday"
        return {
            "repeat": repeat,
            "repeat_every": series.every,
            "repeat_weekdays": series.weekday_codes if repeat == "weekly" else [],
            "repeat_week_of_month": str(series.week_of_month or ""),
            "repeat_until": series.until,
            "repeat_count": series.count,
            "scope": "this",
        }

    @property
    def is_series_date(self) -> bool:
        return self.event is not None and self.event.series is not None

    @property
    def offers_repeat(self) -> bool:
        """A new event may repeat, and a date of a series may change its rule."""
        return self.event is None or self.is_series_date

    @property
    def changes_series(self) -> bool:
        """Whether saving makes or changes a series, rather than one event."""
        if self.is_series_date:
            return self.scope.data == "following"
        return self.event is None and bool(self.repeat.data)

    def rule(self) -> Rule | None:
        """The repetition asked for, or ``None``; checked by :meth:`validate`."""
        if not self.changes_series or not self.repeat.data:
            return None
        first = self.starts_at.data
        every = self.repeat_every.data or 1
        end = {"until": self.repeat_until.data, "count": self.repeat_count.data}
        if self.repeat.data == "weekly":
            days = tuple(
                code
                for code in WEEKDAY_CODES
                if code in (self.repeat_weekdays.data or [])
            )
            if not days and first is not None:
                days = (WEEKDAY_CODES[first.weekday()],)
            return Rule("weekly", every, days, **end)
        if self.repeat.data == "monthly-day":
            return Rule("monthly", every, month_day=first.day if first else None, **end)
        position = self.repeat_week_of_month.data
        if position:
            position = int(position)
        elif first is not None:
            position = -1 if first.day > 28 else (first.day - 1) // 7 + 1
        day = (WEEKDAY_CODES[first.weekday()],) if first is not None else ()
        return Rule("monthly", every, day, week_of_month=position or None, **end)

    @classmethod
    def defaults(cls) -> dict:
        """The values a new event starts from."""
        return {
            "timezone": current_app.config["DEFAULT_TIMEZONE"],
            "language": "en",
            "type": "awareness",
        }

    def validate_slug(self, field):
        if self.slug_locked or not field.data:
            return
        if not is_slug(field.data):
            raise ValidationError(
                _l(
                    "Use lower-case letters, digits and single hyphens, such as"
                    " koreatown-listening-group."
                )
            )
        if slug_taken(field.data, self.event):
            raise ValidationError(
                _l("Another event already has this address; choose another.")
            )

    def validate_timezone(self, field):
        if field.data and field.data not in known_zones():
            raise ValidationError(
                _l("Unknown time zone. Use a name such as America/Los_Angeles.")
            )

    def validate_online_url(self, field):
        if field.data and not _is_web_address(field.data):
            raise ValidationError(
                _l("Enter a web address starting with https:// or http://.")
            )

    def validate(self, extra_validators=None) -> bool:
        """Check each field, then the fields that only make sense together."""
        valid = super().validate(extra_validators)
        zone = self._zone()

        if self.all_day.data:
            valid &= self._check_days()
        else:
            valid &= self._check_times(zone)

        for moment in (self.registration_opens, self.registration_closes):
            valid &= self._check_year(moment) and self._check_exists(moment, zone)
        valid &= self._check_sign_up_window(zone)

        if not (self.venue_name.data or self.online_url.data or self.online_url.errors):
            self.venue_name.errors.append(
                _l("Give a venue, an online meeting link, or both.")
            )
            valid = False
        if self.venue_address.data and not self.venue_name.data:
            self.venue_name.errors.append(_l("Give the name of the venue too."))
            valid = False

        if self.changes_series:
            valid &= self._check_repeat()

        self.other_languages.data = [
            code
            for code in self.other_languages.data or []
            if code != self.language.data
        ]
        return bool(valid)

    def _check_repeat(self) -> bool:
        """A repetition needs times, one end, and at most the dates a series holds."""
        if not self.repeat.data:
            self.repeat.errors.append(
                _l("Choose how the series repeats from this date on.")
            )
            return False
        if self.all_day.data:
            self.repeat.errors.append(
                _l("A repeating event needs a start and end time, not whole days.")
            )
            return False
        if (self.repeat_until.data is None) == (self.repeat_count.data is None):
            if not (self.repeat_until.errors or self.repeat_count.errors):
                if self.repeat_until.data is None:
                    message = _l(
                        "Say when the series ends: give the last date or the"
                        " number of times."
                    )
                else:
                    message = _l(
                        "Give either the last date or the number of times, not both."
                    )
                self.repeat_until.errors.append(message)
            return False
        if self.starts_at.data is None or self.starts_at.errors:
            return False
        if self.repeat_until.data is not None and not self._check_year(
            self.repeat_until
        ):
            return False

        try:
            local_starts(self.rule(), self.starts_at.data)
        except RuleError as error:
            self.repeat.errors.append(str(error))
            return False
        return True

    def event_values(self, slug: str) -> dict:
        """The checked answers as fields for ``apply_event_changes``."""
        zone = ZoneInfo(self.timezone.data)
        if self.all_day.data:
            first = self.start_date.data
            last = self.end_date.data or first
            start = _midnight(first)
            end = _midnight(last + timedelta(days=1))
        else:
            start, end = self.starts_at.data, self.ends_at.data

        return {
            "slug": slug,
            "title": self.title.data,
            "type": self.type.data,
            "community": self.communities.get(self.community.data),
            "sectors": list(self.sectors.data),
            "languages": [self.language.data, *(self.other_languages.data or [])],
            "description": self.description.data or "",
            "timezone": self.timezone.data,
            "all_day": bool(self.all_day.data),
            "starts_at": _to_utc(start, zone),
            "ends_at": _to_utc(end, zone),
            "venue_name": self.venue_name.data or None,
            "venue_address": self.venue_address.data or None,
            "online_url": self.online_url.data or None,
            "capacity": self.capacity.data,
            "registration_opens_at": _to_utc(self.registration_opens.data, zone),
            "registration_closes_at": _to_utc(self.registration_closes.data, zone),
            "requires_approval": bool(self.requires_approval.data),
        }

    def _zone(self) -> ZoneInfo | None:
        if self.timezone.errors or not self.timezone.data:
            return None
        return ZoneInfo(self.timezone.data)

    def _check_days(self) -> bool:
        if not (self._check_year(self.start_date) & self._check_year(self.end_date)):
            return False

        first, last = self.start_date.data, self.end_date.data
        if first is None:
            if not self.start_date.errors:
                self.start_date.errors.append(_l("Give the first day of the event."))
            return False
        if last is not None and last < first:
            self.end_date.errors.append(_l("The last day cannot be before the first."))
            return False
        if ((last or first) - first).days + 1 > LONGEST_EVENT.days:
            self.end_date.errors.append(_too_long_message())
            return False
        return True

    def _check_times(self, zone: ZoneInfo | None) -> bool:
        valid = True
        for field, message in (
            (self.starts_at, _l("Give the date and time the event starts.")),
            (self.ends_at, _l("Give the date and time the event ends.")),
        ):
            if field.data is None and not field.errors:
                field.errors.append(message)
                valid = False
            valid &= self._check_year(field) and self._check_exists(field, zone)

        start, end = self.starts_at.data, self.ends_at.data
        if valid and start and end:
            # Compared as instants, so that a night across a change of the clocks
            # is measured correctly.
            if zone is not None:
                start, end = _to_utc(start, zone), _to_utc(end, zone)
            if end <= start:
                self.ends_at.errors.append(_l("The event must end after it starts."))
                valid = False
            elif end - start > LONGEST_EVENT:
                self.ends_at.errors.append(_too_long_message())
                valid = False
        return valid

    def _check_year(self, field) -> bool:
        """Refuse a date outside the years events use, before any sum with it."""
        if field.data is None or in_year_range(field.data):
            return True
        field.errors.append(
            _l(
                "Enter a date between the years %(first)d and %(last)d.",
                first=EARLIEST_YEAR,
                last=LATEST_YEAR,
            )
        )
        return False

    def _check_sign_up_window(self, zone: ZoneInfo | None) -> bool:
        """Sign-up opens before the event starts, and closes by the time it ends."""
        opens = self.registration_opens.data
        closes = self.registration_closes.data
        if self.registration_opens.errors or self.registration_closes.errors:
            return True
        if opens and closes and closes <= opens:
            self.registration_closes.errors.append(
                _l("Sign-up must close after it opens.")
            )
            return False

        bounds = self._event_bounds()
        if zone is None or bounds is None:
            return True
        start, end = bounds
        valid = True
        if opens and _to_utc(opens, zone) >= _to_utc(start, zone):
            self.registration_opens.errors.append(
                _l("Sign-up must open before the event starts.")
            )
            valid = False
        if closes and _to_utc(closes, zone) > _to_utc(end, zone):
            self.registration_closes.errors.append(
                _l("Sign-up must close by the time the event ends.")
            )
            valid = False
        return valid

    def _event_bounds(self) -> tuple[datetime, datetime] | None:
        """The event's local start and end, when both were given and are valid."""
        if self.all_day.data:
            fields = (self.start_date, self.end_date)
            if self.start_date.data is None or any(f.errors for f in fields):
                return None
            first = self.start_date.data
            last = self.end_date.data or first
            return _midnight(first), _midnight(last + timedelta(days=1))

        fields = (self.starts_at, self.ends_at)
        if any(f.data is None or f.errors for f in fields):
            return None
        return self.starts_at.data, self.ends_at.data

    def _check_exists(self, field, zone: ZoneInfo | None) -> bool:
        if field.data is None or zone is None or _exists_in_zone(field.data, zone):
            return True
        field.errors.append(
            _l(
                "This time does not exist in %(zone)s: the clocks skip that hour.",
                zone=zone.key,
            )
        )
        return False


def slug_taken(slug: str, event: Event | None = None) -> bool:
    """Whether another event than ``event`` already uses ``slug``."""
    statement = select(Event.id).where(Event.slug == slug)
    if event is not None and event.id is not None:
        statement = statement.where(Event.id != event.id)
    return db.session.scalar(statement) is not None


class WalkInForm(OnceOnlyForm):
    """Someone who came without signing up: a name if they give one, and a sector.

    A second tap on the button sends the same one-time value again, and then adds
    nobody.
    """

    name = StringField(
        _l("Name (optional)"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=120, message=_l("Use at most %(max)d characters.")),
            _single_line,
            person_name,
        ],
    )
    sector = SelectField(
        _l("Sector"),
        choices=[
            SelectChoice("", _l("Prefer not to say")),
            *(SelectChoice(slug, label) for slug, label in SECTORS.items()),
        ],
        default="",
    )
    language = SelectField(
        _l("Language"),
        choices=[
            SelectChoice(code, label, render_kw={"lang": code})
            for code, label in LANGUAGES.items()
        ],
    )


class ImportForm(Form):
    """The CSV file of events to import."""

    file = FileField(
        _l("CSV file"), validators=[FileRequired(_l("Choose a CSV file to import."))]
    )


class ButtonForm(Form):
    """A button that changes something: no fields, only the CSRF token."""


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _too_long_message():
    return _l(
        "An event can last at most %(days)d days. Enter a longer programme as"
        " several events.",
        days=LONGEST_EVENT.days,
    )


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(zone).replace(tzinfo=None)

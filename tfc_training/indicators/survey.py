"""The short anonymous survey after an awareness event.

Two questions, each answered yes, no or unsure, reached two ways: a personal link
in the follow-up e-mail (one answer per registration), or the event's shared link
behind the QR code at the door (one answer per browser, kept in a cookie). Answers
are stored without anything that names the respondent; for a personal link only a
receipt says that the registration has answered.
"""

import logging
from datetime import datetime, timedelta

import segno
from flask import current_app
from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..database import begin_write
from ..events.models import Event
from ..extensions import db
from ..mail.links import site_url_for
from ..registration.models import Registration
from .models import SURVEY_ANSWERS, SurveyReceipt, SurveyResponse

logger = logging.getLogger(__name__)

#: Event types whose audience the survey is for: residents at awareness events.
SURVEY_EVENT_TYPES = ("awareness",)

#: How long the personal link in the follow-up e-mail works.
PERSONAL_LINK_MAX_AGE = timedelta(days=90)

#: The follow-up e-mail goes out for events that ended at most this long ago, so
#: that a late run of the command does not write to people about old events.
FOLLOW_UP_WINDOW = timedelta(days=7)

#: Distinct salts keep a link made for one purpose from being accepted by another.
_PERSONAL_SALT = "tfc-training.survey-registration"
_EVENT_SALT = "tfc-training.survey-event"


class AlreadyAnswered(Exception):
    """This registration has given its answer already."""


def survey_state(event: Event, now: datetime) -> str:
    """Say whether the survey of ``event`` takes answers now, and if not, why.

    One of ``open``, ``not-surveyed`` (not an awareness event), ``not-published``
    (a draft, or cancelled) and ``not-started``.
    """
    if event.type not in SURVEY_EVENT_TYPES:
        return "not-surveyed"
    if event.status != "published":
        return "not-published"
    if now < event.starts_at:
        return "not-started"
    return "open"


# --- Links -------------------------------------------------------------------------


def personal_token(registration: Registration) -> str:
    """The signed token of a registration's own survey link."""
    serializer = URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=_PERSONAL_SALT
    )
    return serializer.dumps(registration.id)


def registration_for_token(token: str) -> Registration | None:
    """The registration a personal survey token names, or ``None`` when the token
    is forged, too old, or its registration is gone or erased."""
    serializer = URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=_PERSONAL_SALT
    )
    try:
        registration_id = int(
            serializer.loads(token, max_age=PERSONAL_LINK_MAX_AGE.total_seconds())
        )
    except (BadData, TypeError, ValueError):
        return None

    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.erased_at is not None:
        return None
    return registration


def event_token(event: Event) -> str:
    """The signed token of an event's shared survey link, shown as a QR code."""
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_EVENT_SALT)
    return serializer.dumps(event.id)


def event_for_token(token: str) -> Event | None:
    """The event a shared survey token names, or ``None`` when it is forged."""
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_EVENT_SALT)
    try:
        event_id = int(serializer.loads(token))
    except (BadData, TypeError, ValueError):
        return None
    return db.session.get(Event, event_id)


def door_link(event: Event) -> str | None:
    """The event's shared survey address for the QR code at the door, built from
    ``SITE_URL``; ``None`` for events that have no survey."""
    if event.type not in SURVEY_EVENT_TYPES or event.status != "published":
        return None
    return site_url_for("survey.at_event", token=event_token(event))


def qr_code_svg(address: str, title: str) -> Markup:
    """``address`` as a QR code, in SVG to put straight into a page: it prints
    sharply and needs no script."""
    code = segno.make(address, error="m")
    return Markup(code.svg_inline(scale=5, border=2, title=title, svgclass="qr-code"))


# --- Answers -----------------------------------------------------------------------


def has_answered(registration: Registration) -> bool:
    """Whether the registration has used its personal link already."""
    return db.session.get(SurveyReceipt, registration.id) is not None


def record_answer(
    event: Event,
    *,
    knows_hotline: str,
    can_name_sign: str,
    now: datetime,
    registration: Registration | None = None,
) -> SurveyResponse:
    """Store one answer to the survey of ``event``.

    With ``registration`` (the personal link) a receipt is written in the same
    transaction, and a second answer is refused; without it the answer came through
    the event's shared link. Only the day is kept, in the event's own zone.

    :raise AlreadyAnswered: when the registration has answered before, perhaps in
        another tab a moment ago.
    :raise ValueError: for an answer that is not yes, no or unsure.
    """
    if knows_hotline not in SURVEY_ANSWERS or can_name_sign not in SURVEY_ANSWERS:
        raise ValueError("survey answers are yes, no or unsure")
    begin_write()

    response = SurveyResponse(
        event_id=event.id,
        knows_hotline=knows_hotline,
        can_name_sign=can_name_sign,
        channel="email" if registration is not None else "event",
        submitted_on=now.astimezone(event.zone).date(),
    )
    if registration is None:
        db.session.add(response)
        db.session.flush()
        return response

    if has_answered(registration):
        raise AlreadyAnswered()
    try:
        # The receipt's primary key stops a second answer sent at the same moment;
        # the savepoint keeps the caller's transaction usable when it does.
        with db.session.begin_nested():
            db.session.add(SurveyReceipt(registration_id=registration.id))
            db.session.add(response)
    except IntegrityError:
        raise AlreadyAnswered() from None
    return response


def answered_at_event(event: Event) -> int:
    """How many answers the event's survey has, through either link."""
    return db.session.scalar(
        select(func.count(SurveyResponse.id)).where(SurveyResponse.event_id == event.id)
    )

"""Signing up for an event, and the registrant's own page behind a secret link."""

import logging
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..database import done_writing, utcnow
from ..events.formatting import format_moment
from ..events.models import Event
from ..extensions import db
from ..forms import form_sent
from ..mail.services import deliver_queued
from ..security.honeypot import caught
from ..security.rate_limits import rate_limited
from .forms import CancelForm, SignUpForm
from .queries import newcomer_outlook
from .services import (
    RegistrationClosed,
    SignUpResult,
    cancel,
    find_by_token,
    places_taken,
    sign_up,
    waiting_position,
)

logger = logging.getLogger(__name__)

bp = Blueprint("registration", __name__)


@bp.after_request
def keep_private(response):
    """Keep these pages out of caches, search engines and Referer headers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _too_many_sign_ups(message: str) -> str:
    """The sign-up form again, filled in as it was sent, saying when to retry."""
    event = _public_event_or_404(request.view_args["slug"])
    flash(message, "error")
    return _form_page(event, SignUpForm())


@bp.route("/events/<slug:slug>/register", methods=["GET", "POST"])
@rate_limited("RATE_LIMIT_SIGN_UP", answer=_too_many_sign_ups)
def register(slug):
    """Show the sign-up form, or sign the person up and e-mail them their link."""
    event = _public_event_or_404(slug)
    now = utcnow()

    state = event.registration_state(now)
    if state != "open":
        return _closed(event, state, status=409 if request.method == "POST" else 200)

    if not form_sent():
        form = SignUpForm(language=_default_language(event))
    else:
        form = SignUpForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return _form_page(event, form), status
    if caught(form):
        return _decoy_answer(event)

    try:
        result = _sign_up_and_commit(event.id, form.applicant(), now=now)
    except RegistrationClosed as closed:
        db.session.rollback()
        return _closed(event, closed.reason, status=409)

    done_writing()
    deliver_queued()

    # The link goes only to the address, never onto this page: whoever typed the
    # address sees the same answer for a new and a repeated sign-up, and cannot take
    # over someone else's.
    registration = result.registration
    return render_template(
        "registration/signed_up.html",
        event=event,
        registration=registration,
        position=waiting_position(registration),
    )


@bp.get("/r/<token>")
def manage(token):
    """The registrant's own page: status, the event, and a cancel button."""
    registration = find_by_token(token)
    if registration is None:
        return render_template("registration/unknown_link.html"), 404

    event = registration.event
    return render_template(
        "registration/manage.html",
        registration=registration,
        event=event,
        position=waiting_position(registration),
        can_cancel=registration.is_active and event.ends_at > utcnow(),
        form=CancelForm(),
        token=token,
        manage_url=url_for(".manage", token=token, _external=True),
    )


@bp.post("/r/<token>/cancel", endpoint="cancel")
def cancel_registration(token):
    """Cancel the sign-up behind the link; doing it twice is harmless."""
    registration = find_by_token(token)
    if registration is None:
        return render_template("registration/unknown_link.html"), 404

    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)

    try:
        cancel(registration, now=utcnow(), notify=True)
    except RegistrationClosed:
        db.session.rollback()
        flash(
            _(
                "This event has already taken place, so this sign-up can no longer "
                "be changed."
            ),
            "error",
        )
    else:
        db.session.commit()
        deliver_queued()
        flash(_("Your sign-up is cancelled."), "success")
    return redirect(url_for(".manage", token=token), code=303)


def _public_event_or_404(slug: str) -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None or event.status == "draft":
        abort(404)
    return event


def _default_language(event: Event) -> str:
    codes = event.language_codes
    return codes[0] if codes else "en"


def _sign_up_and_commit(event_id, applicant, *, now) -> SignUpResult:
    """Sign up and commit, answering a lost race on the unique index like a repeat.

    The event lock makes the race impossible in practice; if the index still refuses
    the row, the registration that won is now visible, and the second attempt is
    answered (and its link e-mailed) exactly as for any repeated sign-up.
    """
    try:
        result = sign_up(event_id, applicant, now=now, notify=True)
        _commit_keeping_loaded()
        return result
    except IntegrityError:
        db.session.rollback()
        logger.warning("sign-up for event %s hit the unique index; retrying", event_id)

    result = sign_up(event_id, applicant, now=now, notify=True)
    _commit_keeping_loaded()
    return result


def _commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds.

    The event and the registration were read and written under the event's lock, so
    they are what was committed; the answer page shows them without reading them
    again.
    """
    session = db.session()
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


def _decoy_answer(event: Event) -> str:
    """The page a real sign-up would get now, for a form a program filled in."""
    status, position = newcomer_outlook(event)
    return render_template(
        "registration/signed_up.html",
        event=event,
        registration=SimpleNamespace(status=status),
        position=position,
    )


def _form_page(event: Event, form: SignUpForm) -> str:
    return render_template(
        "registration/register.html",
        event=event,
        form=form,
        places_left=_places_left(event),
    )


def _places_left(event: Event) -> int | None:
    if event.capacity is None:
        return None
    return max(event.capacity - places_taken([event.id])[event.id], 0)


def _closed(event: Event, reason: str, *, status: int):
    if reason == "draft":
        abort(404)

    return (
        render_template(
            "registration/closed.html",
            event=event,
            message=_closed_message(event, reason),
        ),
        status,
    )


def _closed_message(event: Event, reason: str) -> str:
    if reason == "cancelled":
        return _("This event has been cancelled, so it takes no sign-ups.")
    if reason == "past":
        return _("This event has already taken place.")
    if reason == "not-yet-open":
        return _(
            "Sign-up for this event opens on %(when)s.",
            when=format_moment(event.registration_opens_at, event.zone),
        )
    return _("Sign-up for this event has closed.")

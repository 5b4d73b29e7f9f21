"""Pages for the indicators: organisers record milestones and meetings held
elsewhere, and residents answer the short survey after an awareness event.

Organiser views make one access check through :mod:`tfc_training.accounts.access`,
call a service and commit once. The survey pages are public and show nothing about
the person whose link it is.
"""

from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.access import manageable_community_or_404, require_organiser
from ..caching.versions import writes_unseen
from ..database import utcnow
from ..events.formatting import format_day
from ..extensions import db
from ..organise.forms import ButtonForm
from ..organise.services import managed_communities
from ..security.honeypot import caught
from ..security.rate_limits import rate_limited
from ..vocabulary import LANGUAGES, SECTORS
from . import services, survey
from .forms import MeetingForm, MilestoneForm, SurveyForm
from .models import MILESTONE_KINDS
from .services import JUSTICE_SECTORS, MILESTONE_LABELS, Refused

bp = Blueprint("indicators", __name__, url_prefix="/organise")
survey_bp = Blueprint("survey", __name__, url_prefix="/survey")

#: How long a browser remembers that it answered an event's survey.
ANSWERED_COOKIE_AGE = 365 * 24 * 3600


@bp.after_request
def keep_private(response):
    """Organiser pages name the people who recorded things: keep them out of caches."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@survey_bp.after_request
def keep_link_private(response):
    """A survey address holds a secret token: never cache it, never pass it on."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.context_processor
def vocabulary():
    """Labels for the codes the pages show, and the zone records are dated in."""
    return {
        "sector_labels": SECTORS,
        "language_labels": LANGUAGES,
        "milestone_labels": MILESTONE_LABELS,
        "milestone_kinds": MILESTONE_KINDS,
        "local_zone": ZoneInfo(current_app.config["DEFAULT_TIMEZONE"]),
    }


# --- Organisers ------------------------------------------------------------------


@bp.get("/indicators")
def overview():
    """Each community the person manages, with the milestones it has reached."""
    require_organiser()

    communities = managed_communities(current_user)
    return render_template(
        "indicators/overview.html",
        communities=communities,
        reached=services.milestones_reached(c.id for c in communities),
    )


@bp.route("/communities/<slug:slug>/milestones", methods=["GET", "POST"])
def milestones(slug):
    """The community's milestones: where it stands, the full history, a form."""
    community = manageable_community_or_404(slug)

    form = MilestoneForm()
    if not form.validate_on_submit():
        return _milestones_page(community, form)

    try:
        milestone = services.record_milestone(
            community, form.values(), actor=current_user, now=utcnow()
        )
        db.session.commit()
    except Refused as refusal:
        db.session.rollback()
        _field_error(form, refusal)
        return _milestones_page(community, form)

    flash(
        _("Recorded: %(milestone)s.", milestone=MILESTONE_LABELS[milestone.kind]),
        "success",
    )
    return redirect(url_for(".milestones", slug=community.slug), code=303)


@bp.post("/communities/<slug:slug>/milestones/<int:milestone_id>/withdraw")
def withdraw_milestone(slug, milestone_id):
    """Withdraw a record made by mistake; it stays in the history, struck out."""
    community = manageable_community_or_404(slug)
    milestone = services.milestone_of_community(community, milestone_id)
    if milestone is None:
        abort(404)

    return _withdraw(
        milestone,
        services.withdraw_milestone,
        done=_("Withdrawn: %(milestone)s.", milestone=MILESTONE_LABELS[milestone.kind]),
        back=url_for(".milestones", slug=community.slug),
    )


@bp.route("/communities/<slug:slug>/meetings", methods=["GET", "POST"])
def meetings(slug):
    """Stakeholder meetings the community held elsewhere, and a form for one more."""
    community = manageable_community_or_404(slug)

    form = MeetingForm()
    if not form.validate_on_submit():
        return _meetings_page(community, form)

    try:
        services.record_meeting(
            community, form.values(), actor=current_user, now=utcnow()
        )
        db.session.commit()
    except Refused as refusal:
        db.session.rollback()
        _field_error(form, refusal)
        return _meetings_page(community, form)

    flash(_("The meeting is recorded."), "success")
    return redirect(url_for(".meetings", slug=community.slug), code=303)


@bp.post("/communities/<slug:slug>/meetings/<int:meeting_id>/withdraw")
def withdraw_meeting(slug, meeting_id):
    """Withdraw a meeting recorded by mistake; it stays in the list, struck out."""
    community = manageable_community_or_404(slug)
    meeting = services.meeting_of_community(community, meeting_id)
    if meeting is None:
        abort(404)

    return _withdraw(
        meeting,
        services.withdraw_meeting,
        done=_("Withdrawn: the meeting of %(day)s.", day=format_day(meeting.held_on)),
        back=url_for(".meetings", slug=community.slug),
    )


def _withdraw(record, withdraw, *, done: str, back: str):
    """Withdraw ``record`` with the service ``withdraw`` once the button's CSRF
    token checks out, say how it went, and go back to the page ``back``."""
    if not ButtonForm().validate_on_submit():
        abort(400)

    try:
        withdraw(record, actor=current_user, now=utcnow())
        db.session.commit()
    except Refused as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
    else:
        flash(done, "success")
    return redirect(back, code=303)


def _milestones_page(community, form):
    status = 400 if request.method == "POST" else 200
    page = render_template(
        "indicators/milestones.html",
        community=community,
        form=form,
        reached=services.milestones_reached([community.id])[community.id],
        history=services.milestone_history(community),
        justice_sectors=JUSTICE_SECTORS,
        button_form=ButtonForm(),
    )
    return page, status


def _meetings_page(community, form):
    status = 400 if request.method == "POST" else 200
    page = render_template(
        "indicators/meetings.html",
        community=community,
        form=form,
        meetings=services.meetings_of(community),
        button_form=ButtonForm(),
    )
    return page, status


def _field_error(form, refusal: Refused) -> None:
    target = getattr(form, refusal.field, None) if refusal.field else None
    if target is not None:
        target.errors = [*target.errors, refusal.message]
    else:
        flash(refusal.message, "error")


# --- The survey --------------------------------------------------------------------


@survey_bp.route("/<token>", methods=["GET", "POST"])
@rate_limited("RATE_LIMIT_SURVEY")
def by_link(token):
    """The survey through the personal link of the follow-up e-mail."""
    registration = survey.registration_for_token(token)
    if registration is None:
        return render_template("indicators/survey_unknown.html"), 404
    event = registration.event

    closed = _closed_page(event)
    if closed is not None:
        return closed
    if survey.has_answered(registration):
        return render_template("indicators/survey_thanks.html", already=True)

    form = SurveyForm()
    if not form.validate_on_submit():
        return _survey_page(event, form)
    if caught(form):
        return render_template("indicators/survey_thanks.html", already=False)

    # Answers are counted only in the organisers' reports: no public page or feed
    # shows them, so the pages kept for visitors stay.
    writes_unseen(db.session())
    try:
        survey.record_answer(
            event,
            knows_hotline=form.knows_hotline.data,
            can_name_sign=form.can_name_sign.data,
            registration=registration,
            now=utcnow(),
        )
        db.session.commit()
    except survey.AlreadyAnswered:
        db.session.rollback()
        return render_template("indicators/survey_thanks.html", already=True)
    return render_template("indicators/survey_thanks.html", already=False)


@survey_bp.route("/event/<token>", methods=["GET", "POST"])
@rate_limited("RATE_LIMIT_SURVEY")
def at_event(token):
    """The survey through the event's shared link, from the QR code at the door."""
    event = survey.event_for_token(token)
    if event is None:
        return render_template("indicators/survey_unknown.html"), 404

    closed = _closed_page(event)
    if closed is not None:
        return closed
    cookie = _answered_cookie(event)
    if request.cookies.get(cookie):
        return render_template("indicators/survey_thanks.html", already=True)

    form = SurveyForm()
    if not form.validate_on_submit():
        return _survey_page(event, form)
    if caught(form):
        return render_template("indicators/survey_thanks.html", already=False)

    # As through a personal link, the answer shows on no public page or feed.
    writes_unseen(db.session())
    survey.record_answer(
        event,
        knows_hotline=form.knows_hotline.data,
        can_name_sign=form.can_name_sign.data,
        now=utcnow(),
    )
    db.session.commit()

    response = make_response(
        render_template("indicators/survey_thanks.html", already=False)
    )
    response.set_cookie(
        cookie,
        "1",
        max_age=ANSWERED_COOKIE_AGE,
        path=url_for(".at_event", token=token),
        httponly=True,
        secure=request.is_secure,
        samesite="Lax",
    )
    return response


def _closed_page(event):
    """The page saying why the survey takes no answers, or ``None`` when it does."""
    state = survey.survey_state(event, utcnow())
    if state == "open":
        return None
    status = 409 if request.method == "POST" else 200
    page = render_template("indicators/survey_closed.html", event=event, state=state)
    return page, status


def _survey_page(event, form):
    status = 400 if request.method == "POST" else 200
    return render_template("indicators/survey.html", event=event, form=form), status


def _answered_cookie(event) -> str:
    return f"tfc_survey_{event.id}"

"""The organiser's pages: their events, registrants, check-in, export and import.

Each view loads what it works on through the one access check of
:mod:`tfc_training.accounts.access`, calls a service, commits once and then delivers
the e-mail the change queued.
"""

import logging

from babel.dates import format_datetime, format_time
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts.access import manageable_event_or_404, require_organiser
from ..audit.services import STATUS_LABELS, registrant_label, trail
from ..caching.versions import writes_unseen
from ..database import utcnow
from ..events.csv_import import COLUMNS
from ..events.importer import ImportFailed
from ..events.models import Event
from ..events.recurrence import MAX_OCCURRENCES, describe
from ..extensions import db
from ..forms import form_sent
from ..indicators import survey
from ..mail.services import deliver_queued, registrants_to_tell
from ..registration.models import REGISTRATION_STATUSES, Registration
from ..slugs import slugify
from ..vocabulary import LANGUAGES, SECTORS
from . import series as series_services
from . import services
from .export import registrant_columns, registrants_csv
from .forms import (
    COMMON_ZONES,
    ButtonForm,
    EventForm,
    ImportForm,
    WalkInForm,
    new_nonce,
    slug_taken,
)
from .importing import import_csv
from .services import ActionRefused, WalkIn

logger = logging.getLogger(__name__)

bp = Blueprint("organise", __name__, url_prefix="/organise")

#: Largest CSV file accepted for import: far more events than anyone plans at once.
MAX_IMPORT_BYTES = 1024 * 1024


@bp.after_request
def keep_private(response):
    """Registrants' personal data must never sit in a cache or be indexed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.app_template_filter("registrant")
def registrant_filter(registration):
    """``{{ registration|registrant }}``: the name shown to organisers."""
    return registrant_label(registration)


@bp.app_template_filter("short_moment")
def short_moment_filter(moment, zone):
    """``{{ moment|short_moment(event.zone) }}``: a date and time for tables."""
    return format_datetime(moment, "short", tzinfo=zone, locale=get_locale())


@bp.app_template_filter("time_of_day")
def time_of_day_filter(moment, zone):
    """``{{ moment|time_of_day(event.zone) }}``: the time only, such as 6:05 PM."""
    return format_time(moment, "short", tzinfo=zone, locale=get_locale())


@bp.context_processor
def vocabulary():
    """Labels for the codes the organiser pages show."""
    return {
        "sector_labels": SECTORS,
        "language_labels": LANGUAGES,
        "status_labels": STATUS_LABELS,
    }


# --- The dashboard ---------------------------------------------------------------


@bp.get("/")
def dashboard():
    """The events the person manages: coming, drafts and past, with their counts."""
    require_organiser()

    sections = services.dashboard_sections(current_user, now=utcnow())
    return render_template(
        "organise/dashboard.html",
        upcoming=sections.upcoming,
        drafts=sections.drafts,
        past=sections.past,
        counts=services.counts_by_event(e.id for e in sections.all_events),
    )


# --- Creating and changing events ------------------------------------------------


@bp.route("/events/new", methods=["GET", "POST"])
def new_event():
    """The event form, empty; a new event starts as a draft."""
    require_organiser()

    data = EventForm.defaults()
    if request.method == "GET":
        data["nonce"] = new_nonce()
    form = _event_form(data=data)
    # A double click or a resent page lands on the event the first copy made. This
    # is asked before the form's own rules, which would refuse the copy the address
    # its first copy took.
    made = _event_made_by(form) if form.is_submitted() else None
    if made is not None:
        db.session.rollback()
        flash(_("This form was already saved; here is the event it made."), "success")
        return redirect(url_for(".edit_event", slug=made.slug), code=303)
    if not form.validate_on_submit():
        return _event_form_page(form, None)

    nonce = form.nonce.data or None
    slug = form.slug.data or _free_slug(form.title.data)
    rule = form.rule()
    try:
        if rule is None:
            event = services.create_event(
                form.event_values(slug), actor=current_user, now=utcnow(), nonce=nonce
            )
        else:
            series = series_services.create_series(
                form.event_values(slug),
                rule,
                actor=current_user,
                now=utcnow(),
                nonce=nonce,
            )
            event = series.occurrences[0]
            dates = len(series.occurrences)
        db.session.commit()
    except ActionRefused as refusal:
        db.session.rollback()
        getattr(form, refusal.field or "repeat").errors.append(refusal.message)
        return _event_form_page(form, None)
    except IntegrityError:
        db.session.rollback()
        form.slug.errors.append(_("Another event already has this address."))
        return _event_form_page(form, None)

    if rule is None:
        flash(_("The draft is saved. Publish it when it is ready."), "success")
    else:
        flash(
            ngettext(
                "The series is saved as a draft of %(num)d date. Publishing any"
                " date publishes them all.",
                "The series is saved as drafts of %(num)d dates. Publishing any"
                " date publishes them all.",
                dates,
            ),
            "success",
        )
    return redirect(url_for(".edit_event", slug=event.slug), code=303)


def _event_made_by(form: EventForm) -> Event | None:
    """The event an earlier copy of this new-event form made, if it carries a
    well-formed one-time value and that copy was saved."""
    if not form.nonce.data or not form.nonce.validate(form):
        return None
    return services.event_made_by_form(form.nonce.data, actor=current_user)


@bp.route("/events/<slug:slug>/edit", methods=["GET", "POST"])
def edit_event(slug):
    """The event form, filled in; saving tells registrants of a new time or place."""
    event = manageable_event_or_404(slug)

    form = _event_form(data=EventForm.initial_data(event), event=event)
    if not form.validate_on_submit():
        return _event_form_page(form, event)

    new_slug = event.slug if form.slug_locked else form.slug.data or event.slug
    try:
        if form.changes_series:
            # The series keeps the start of its addresses; each date keeps its own.
            values = {**form.event_values(event.series.slug), "slug": event.series.slug}
            series_services.split_series(
                event, values, form.rule(), actor=current_user, now=utcnow()
            )
        else:
            services.update_event(
                event, form.event_values(new_slug), actor=current_user, now=utcnow()
            )
        db.session.commit()
    except ActionRefused as refusal:
        db.session.rollback()
        getattr(form, refusal.field or "title").errors.append(refusal.message)
        return _event_form_page(form, event)
    except IntegrityError:
        db.session.rollback()
        form.slug.errors.append(_("Another event already has this address."))
        return _event_form_page(form, event)

    deliver_queued()
    flash(_("The event is saved."), "success")
    return redirect(url_for(".edit_event", slug=event.slug), code=303)


@bp.post("/events/<slug:slug>/publish")
def publish_event(slug):
    """Publish a draft: it appears on the site and in the calendars."""
    event = manageable_event_or_404(slug)
    _check_button()

    if _attempt(services.publish_event, event, actor=current_user, now=utcnow()):
        flash(_("The event is published."), "success")
    return redirect(url_for(".edit_event", slug=event.slug), code=303)


@bp.route("/events/<slug:slug>/cancel", methods=["GET", "POST"])
def cancel_event(slug):
    """Ask to confirm, then cancel the event and e-mail its registrants."""
    event = manageable_event_or_404(slug)
    form = ButtonForm()
    if not form_sent():
        return render_template(
            "organise/confirm_cancel_event.html",
            event=event,
            form=form,
            to_tell=registrants_to_tell(event),
            signed_up=services.has_active_registrations(event),
        )
    _check_button(form)

    try:
        told = services.cancel_event(event, actor=current_user, now=utcnow())
        db.session.commit()
    except ActionRefused as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
    else:
        deliver_queued()
        if told:
            flash(
                ngettext(
                    "The event is cancelled, and the %(num)d person who signed up"
                    " and left an address is told by e-mail.",
                    "The event is cancelled, and the %(num)d people who signed up"
                    " and left an address are told by e-mail.",
                    told,
                ),
                "success",
            )
        else:
            flash(_("The event is cancelled."), "success")
    return redirect(url_for(".edit_event", slug=event.slug), code=303)


@bp.route("/events/<slug:slug>/delete", methods=["GET", "POST"])
def delete_event(slug):
    """Ask to confirm, then delete a draft."""
    event = manageable_event_or_404(slug)
    form = ButtonForm()
    if not form_sent():
        if event.status != "draft":
            flash(
                _("Only drafts can be deleted. Cancel a published event instead."),
                "error",
            )
            return redirect(url_for(".edit_event", slug=event.slug), code=303)
        return render_template(
            "organise/confirm_delete_event.html", event=event, form=form
        )
    _check_button(form)

    title = event.title
    if not _attempt(services.delete_draft, event, actor=current_user):
        return redirect(url_for(".edit_event", slug=slug), code=303)
    flash(_("The draft “%(title)s” is deleted.", title=title), "success")
    return redirect(url_for(".dashboard"), code=303)


# --- Registrants -----------------------------------------------------------------


@bp.get("/events/<slug:slug>/registrants")
def registrants(slug):
    """Everyone who signed up, with a filter by status and an action per row."""
    event = manageable_event_or_404(slug)
    status = _status_filter()

    return render_template(
        "organise/registrants.html",
        event=event,
        rows=services.registrant_rows(event, status),
        status=status,
        statuses=REGISTRATION_STATUSES,
        counts=services.counts_by_event([event.id])[event.id],
        columns=registrant_columns(),
        form=ButtonForm(),
        event_over=event.ends_at <= utcnow(),
    )


@bp.get("/events/<slug:slug>/registrants.csv")
def export_registrants(slug):
    """The registrant list as a CSV download, with the same filter and columns."""
    event = manageable_event_or_404(slug)
    status = _status_filter()

    body = registrants_csv(event, services.registrant_rows(event, status))
    name = f"{event.slug}-{status}.csv" if status else f"{event.slug}-registrants.csv"
    logger.info(
        "registrants of event %s exported by account %s", event.id, current_user.id
    )
    # The byte-order mark tells Excel on Windows that the file is UTF-8; without it
    # Excel reads the local code page and mangles accented and Korean names.
    return Response(
        "\ufeff".encode() + body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/events/<slug:slug>/registrants/<int:registration_id>/approve")
def approve(slug, registration_id):
    """Approve a pending sign-up: a place if there is one, else the waiting list."""
    event = manageable_event_or_404(slug)
    registration = _registration_or_404(event, registration_id)
    _check_button()

    if _attempt(services.approve, registration, actor=current_user, now=utcnow()):
        if registration.status == "confirmed":
            flash(
                _(
                    "Approved: %(name)s has a place.",
                    name=registrant_label(registration),
                ),
                "success",
            )
        else:
            flash(
                _(
                    "Approved: the event is full, so %(name)s is on the waiting list.",
                    name=registrant_label(registration),
                ),
                "success",
            )
    return _back_to_registrants(event)


@bp.post("/events/<slug:slug>/registrants/<int:registration_id>/reject")
def reject(slug, registration_id):
    """Turn down a pending sign-up."""
    event = manageable_event_or_404(slug)
    registration = _registration_or_404(event, registration_id)
    _check_button()

    if _attempt(services.reject, registration, actor=current_user, now=utcnow()):
        flash(_("Rejected: %(name)s.", name=registrant_label(registration)), "success")
    return _back_to_registrants(event)


@bp.route(
    "/events/<slug:slug>/registrants/<int:registration_id>/cancel",
    methods=["GET", "POST"],
)
def cancel_registration(slug, registration_id):
    """Ask to confirm, then cancel a registration on the person's behalf."""
    event = manageable_event_or_404(slug)
    registration = _registration_or_404(event, registration_id)
    form = ButtonForm()
    if not form_sent():
        return render_template(
            "organise/confirm_cancel_registration.html",
            event=event,
            registration=registration,
            form=form,
            status=_status_filter(),
            counts=services.counts_by_event([event.id])[event.id],
            event_over=event.ends_at <= utcnow(),
        )
    _check_button(form)

    if _attempt(
        services.cancel_by_organiser, registration, actor=current_user, now=utcnow()
    ):
        flash(_("Cancelled: %(name)s.", name=registrant_label(registration)), "success")
    return _back_to_registrants(event)


@bp.route(
    "/events/<slug:slug>/registrants/<int:registration_id>/erase",
    methods=["GET", "POST"],
)
def erase_registration(slug, registration_id):
    """Ask to confirm, then erase a registrant's personal data."""
    event = manageable_event_or_404(slug)
    registration = _registration_or_404(event, registration_id)
    form = ButtonForm()
    if not form_sent():
        return render_template(
            "organise/confirm_erase.html",
            event=event,
            registration=registration,
            form=form,
        )
    _check_button(form)

    if _attempt(services.erase, registration, actor=current_user, now=utcnow()):
        flash(_("The registrant's personal data is erased."), "success")
    return _back_to_registrants(event)


# --- Check-in --------------------------------------------------------------------


@bp.get("/events/<slug:slug>/check-in")
def checkin(slug):
    """The door list: a button per confirmed person, a search, and walk-ins."""
    event = manageable_event_or_404(slug)
    search = (request.args.get("q") or "").strip()[:120]
    now = utcnow()

    walk_in_form = WalkInForm(language=_main_language(event), nonce=new_nonce())
    return _checkin_page(event, search, walk_in_form, now)


@bp.post("/events/<slug:slug>/check-in/<int:registration_id>")
def check_in(slug, registration_id):
    """Mark one confirmed person as attending."""
    event = manageable_event_or_404(slug)
    registration = _registration_or_404(event, registration_id)
    _check_button()

    # Attendance and its audit entry show on no public page or feed: places count
    # confirmed sign-ups, attended or not. A busy door leaves the kept pages alone.
    writes_unseen(db.session())
    if _attempt(services.check_in, registration, actor=current_user, now=utcnow()):
        flash(
            _("Checked in: %(name)s.", name=registrant_label(registration)), "success"
        )
    return _back_to_checkin(event)


@bp.post("/events/<slug:slug>/check-in/<int:registration_id>/undo")
def undo_check_in(slug, registration_id):
    """Take back a check-in made by mistake."""
    event = manageable_event_or_404(slug)
    registration = _registration_or_404(event, registration_id)
    _check_button()

    walk_in = registration.source == "walk-in"
    if _attempt(services.undo_check_in, registration, actor=current_user, now=utcnow()):
        if walk_in:
            message = _(
                "Walk-in removed: %(name)s.", name=registrant_label(registration)
            )
        else:
            message = _(
                "Check-in undone: %(name)s.", name=registrant_label(registration)
            )
        flash(message, "success")
    return _back_to_checkin(event)


@bp.post("/events/<slug:slug>/walk-ins")
def walk_in(slug):
    """Add someone who came without signing up, already checked in."""
    event = manageable_event_or_404(slug)
    now = utcnow()

    form = WalkInForm()
    if not form.validate_on_submit():
        return _checkin_page(event, "", form, now), 400

    walk_in = WalkIn(
        name=form.name.data or None,
        sector=form.sector.data or None,
        language=form.language.data,
        nonce=form.nonce.data or None,
    )
    try:
        added = services.add_walk_in(event, walk_in, actor=current_user, now=now)
        db.session.commit()
    except ActionRefused as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return _back_to_checkin(event)

    if added is None:
        flash(_("This walk-in was already added; nobody was added twice."), "success")
    else:
        flash(_("Walk-in added and checked in."), "success")
    return _back_to_checkin(event)


# --- Import and the audit trail --------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
def import_events():
    """Upload a CSV file of events; all of it is imported, or none."""
    require_organiser()

    form = ImportForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return _import_page(form), status

    upload = form.file.data
    raw = upload.read(MAX_IMPORT_BYTES + 1)
    source = upload.filename or "upload.csv"
    if len(raw) > MAX_IMPORT_BYTES:
        form.file.errors.append(_("The file is larger than 1 MB; split it in parts."))
        return _import_page(form), 400

    try:
        result = import_csv(raw, source, actor=current_user, now=utcnow())
        db.session.commit()
    except ImportFailed as failure:
        db.session.rollback()
        return _import_page(form, problems=failure.problems), 400

    deliver_queued()
    flash(
        _(
            "Events: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
            created=result.events.created,
            updated=result.events.updated,
            unchanged=result.events.unchanged,
        ),
        "success",
    )
    return redirect(url_for(".dashboard"), code=303)


@bp.get("/events/<slug:slug>/audit")
def audit_trail(slug):
    """Who changed what and when, newest first."""
    event = manageable_event_or_404(slug)
    return render_template("organise/audit.html", event=event, lines=trail(event))


# --- Internals --------------------------------------------------------------------


def _event_form(**kwargs) -> EventForm:
    return EventForm(
        communities=services.managed_communities(current_user),
        network_wide=current_user.is_admin,
        **kwargs,
    )


def _event_form_page(form: EventForm, event: Event | None):
    status = 400 if request.method == "POST" else 200
    page = render_template(
        "organise/event_form.html",
        form=form,
        event=event,
        zones=COMMON_ZONES,
        button_form=ButtonForm(),
        counts=services.counts_by_event([event.id])[event.id] if event else None,
        series_rule=describe(event.series.rule) if event and event.series else None,
        max_occurrences=MAX_OCCURRENCES,
    )
    return page, status


def _free_slug(title: str) -> str:
    """A slug made from the title, numbered if another event already has it."""
    base = slugify(title) or "event"
    slug, number = base, 2
    while slug_taken(slug):
        slug = f"{base}-{number}"
        number += 1
    return slug


def _registration_or_404(event: Event, registration_id: int) -> Registration:
    registration = db.session.scalar(
        select(Registration)
        .where(Registration.id == registration_id)
        .where(Registration.event_id == event.id)
    )
    if registration is None:
        abort(404)
    return registration


def _check_button(form: ButtonForm | None = None) -> None:
    """Refuse a button press whose form does not check out (a missing CSRF token)."""
    form = form or ButtonForm()
    if not form.validate_on_submit():
        abort(400)


def _attempt(action, *args, **kwargs) -> bool:
    """Run a service, commit and deliver mail; show the reason if it was refused."""
    try:
        action(*args, **kwargs)
        db.session.commit()
    except ActionRefused as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return False

    deliver_queued()
    return True


def _status_filter() -> str | None:
    status = request.args.get("status") or None
    if status is not None and status not in REGISTRATION_STATUSES:
        abort(404)
    return status


def _back_to_registrants(event: Event):
    status = request.args.get("status")
    return redirect(
        url_for(
            ".registrants",
            slug=event.slug,
            status=status if status in REGISTRATION_STATUSES else None,
        ),
        code=303,
    )


def _back_to_checkin(event: Event):
    search = (request.args.get("q") or "").strip()[:120]
    return redirect(url_for(".checkin", slug=event.slug, q=search or None), code=303)


def _main_language(event: Event) -> str:
    codes = event.language_codes
    return codes[0] if codes else "en"


def _checkin_page(event: Event, search: str, walk_in_form: WalkInForm, now):
    survey_link = survey.door_link(event)
    survey_code = None
    if survey_link is not None:
        survey_code = survey.qr_code_svg(
            survey_link, _("Survey for the attendees of %(title)s", title=event.title)
        )
    return render_template(
        "organise/checkin.html",
        event=event,
        people=services.check_in_list(event, search),
        search=search,
        counts=services.counts_by_event([event.id])[event.id],
        open=services.can_check_in(event, now=now),
        opens_at=services.check_in_opens_at(event),
        walk_in_form=walk_in_form,
        form=ButtonForm(),
        survey_link=survey_link,
        survey_code=survey_code,
        survey_answers=survey.answered_at_event(event) if survey_link else 0,
    )


def _import_page(form: ImportForm, problems=()):
    return render_template(
        "organise/import.html",
        form=form,
        problems=problems,
        columns=COLUMNS,
        problem_count=ngettext(
            "%(num)d problem found; nothing was imported.",
            "%(num)d problems found; nothing was imported.",
            len(problems),
        ),
    )

"""The learner's pages (dashboard, modules, lessons, quizzes, certificate), the public
certificate check, and the training report for organisers and admins.

Learners see only their own progress. Each view makes one access check, loads what
it shows (404 when missing or archived), calls a service and commits once. A
learner's progress shows on no public page or feed, so the views that record it
leave the pages kept for visitors alone (see :func:`.writes_unseen`).
"""

import logging
import re

from babel.dates import format_date
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
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.access import require_admin, require_organiser
from ..accounts.models import User
from ..caching.versions import writes_unseen
from ..database import utcnow
from ..events.text import render_markdown
from ..extensions import db
from ..forms import form_sent
from . import services
from .export import training_csv
from .forms import (
    ButtonForm,
    RevokeForm,
    chosen_positions,
    question_field,
    read_choices,
)
from .models import QuizAttempt
from .services import LearningRefused

logger = logging.getLogger(__name__)

bp = Blueprint("learning", __name__)

#: What a certificate code can look like; anything else is not looked up.
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")


@bp.after_request
def keep_private(response):
    """Progress pages are personal: keep them out of caches and search engines."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    if request.endpoint == "learning.verify_certificate":
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.app_template_filter("learning_date")
def learning_date(moment):
    """``{{ moment|learning_date }}``: the day an instant fell on, written in full."""
    return format_date(services.network_day(moment), "long", locale=get_locale())


@bp.app_template_filter("quiz_score")
def quiz_score(attempt: QuizAttempt) -> int:
    """``{{ attempt|quiz_score }}``: the attempt's score as a whole percentage."""
    return services.score_percent(attempt)


# --- The learner's pages ------------------------------------------------------------


@bp.get("/learn/")
@login_required
def dashboard():
    """Every module with its progress, the next thing to do and the quiz results."""
    progress = services.progress_of(current_user)
    return render_template(
        "learning/dashboard.html", progress=progress, form=ButtonForm(formdata=None)
    )


@bp.get("/learn/<slug:module_key>/")
@login_required
def module(module_key):
    """A module's lessons, quiz and progress; a locked one says what opens it."""
    module = _module_or_404(module_key)

    progress = services.progress_of(current_user)
    return render_template(
        "learning/module.html",
        progress=progress.module(module.id),
        curriculum=progress,
    )


@bp.route("/learn/<slug:module_key>/<slug:lesson_key>/", methods=["GET", "POST"])
@login_required
def lesson(module_key, lesson_key):
    """Read a lesson; the form marks it done and moves on to the next."""
    module = _module_or_404(module_key)
    lesson = services.current_lesson(module, lesson_key)
    if lesson is None:
        abort(404)

    form = ButtonForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        writes_unseen(db.session())
        try:
            done = services.complete_lesson(current_user, lesson, now=utcnow())
        except LearningRefused as refusal:
            db.session.rollback()
            return _refused(module, refusal)
        db.session.commit()
        return redirect(_after_lesson(done, lesson), code=303)

    progress = services.progress_of(current_user).module(module.id)
    if progress.is_locked:
        return _locked_page(progress)
    before, after = progress.neighbours(lesson)
    return render_template(
        "learning/lesson.html",
        progress=progress,
        lesson=lesson,
        body=render_markdown(lesson.body, linkify=True),
        completion=progress.done.get(lesson.id),
        before=before,
        after=after,
        number=progress.lessons.index(lesson) + 1,
        form=form,
    )


@bp.route("/learn/<slug:module_key>/quiz", methods=["GET", "POST"])
@login_required
def quiz(module_key):
    """The module's quiz; sending it shows the result with an explanation for each."""
    module = _module_or_404(module_key)
    progress = services.progress_of(current_user).module(module.id)
    if progress.is_locked:
        return _locked_page(progress)

    questions = services.quiz_questions(module)
    form = ButtonForm()
    if not form_sent():
        return _quiz_page(progress, questions, form, {}, {})
    if not form.validate_on_submit():
        abort(400)

    choices = read_choices(questions, request.form)
    # A quiz that cannot be taken now is refused by the service, whatever was sent.
    problems = (
        services.check_choices(questions, choices) if progress.can_take_quiz else {}
    )
    if problems:
        return _quiz_page(progress, questions, form, choices, problems), 400

    writes_unseen(db.session())
    try:
        result = services.submit_quiz(current_user, module, choices, now=utcnow())
    except LearningRefused as refusal:
        db.session.rollback()
        return _refused(module, refusal)
    except ValueError:
        # The quiz was reloaded from the curriculum files while the learner answered.
        db.session.rollback()
        flash(_("The quiz has just changed. Please answer it again."), "error")
        return redirect(url_for(".quiz", module_key=module.key), code=303)
    db.session.commit()

    if result.certificate is not None:
        flash(_("You have finished the whole curriculum. Your certificate is ready."))
    elif result.module_completion is not None:
        flash(_("You have completed this module."), "success")
    return redirect(
        url_for(".quiz_result", module_key=module.key, attempt_id=result.attempt.id),
        code=303,
    )


@bp.get("/learn/<slug:module_key>/quiz/<int:attempt_id>")
@login_required
def quiz_result(module_key, attempt_id):
    """One of the learner's own attempts: the score and what each wrong answer
    should have been, with the explanation."""
    module = _module_or_404(module_key)
    attempt = db.session.get(QuizAttempt, attempt_id)
    mine = attempt is not None and attempt.user_id == current_user.id
    # Another learner's attempt does not exist, as far as this learner can tell.
    if not mine or attempt.module_id != module.id:
        abort(404)

    progress = services.progress_of(current_user)
    module_progress = progress.module(module.id)
    return render_template(
        "learning/quiz_result.html",
        progress=module_progress,
        result=services.review_attempt(attempt),
        next_step=progress.next_step,
    )


@bp.route("/learn/certificate", methods=["GET", "POST"])
@login_required
def certificate():
    """The learner's printable certificate, or what is left to earn it.

    Sending the form issues it to a learner who has earned it without receiving it
    yet, which happens when a module they had not finished leaves the curriculum.
    """
    if request.method == "POST":
        if not ButtonForm().validate_on_submit():
            abort(400)
        writes_unseen(db.session())
        issued = services.issue_certificate_if_earned(current_user, now=utcnow())
        db.session.commit()
        if issued is None and services.progress_of(current_user).certificate is None:
            flash(_("Finish every module first."), "error")
        return redirect(url_for(".certificate"), code=303)

    progress = services.progress_of(current_user)
    certificate = progress.certificate
    verify_url = None
    if certificate is not None:
        verify_url = url_for(
            ".verify_certificate", code=certificate.code, _external=True
        )
    return render_template(
        "learning/certificate.html",
        progress=progress,
        certificate=certificate,
        form=ButtonForm(formdata=None),
        verify_url=verify_url,
    )


# --- Certificates for everyone, revoking for admins ---------------------------------


@bp.get("/certificates/<code>")
def verify_certificate(code):
    """Anyone may check a certificate: name, curriculum, date, valid or revoked."""
    certificate = _certificate_or_404(code)
    return _verify_page(certificate, RevokeForm(formdata=None))


@bp.post("/admin/certificates/<code>/revoke")
def revoke_certificate(code):
    """Revoke a certificate, with a reason that only admins see."""
    require_admin()
    certificate = _certificate_or_404(code)

    form = RevokeForm()
    if not form.validate_on_submit():
        return _verify_page(certificate, form), 400

    revoked = services.revoke_certificate(
        certificate, form.reason.data, current_user, now=utcnow()
    )
    db.session.commit()
    if revoked:
        flash(_("The certificate is revoked."), "success")
    else:
        flash(_("The certificate was revoked already."), "info")
    return redirect(url_for(".verify_certificate", code=certificate.code), code=303)


# --- Training progress for organisers and admins ------------------------------------


@bp.get("/training/")
def training():
    """The training progress of the members of the communities the person may see."""
    require_organiser()

    curriculum, report = services.training_report(current_user)
    return render_template(
        "learning/training.html", curriculum=curriculum, report=report
    )


@bp.get("/training/export.csv")
def export_training():
    """The training report as a CSV file, one line per person and community."""
    require_organiser()

    curriculum, report = services.training_report(current_user)
    logger.info("account %s exported the training report", current_user.id)
    day = utcnow().date().isoformat()
    return Response(
        training_csv(curriculum, report),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="training-{day}.csv"',
        },
    )


# --- Helpers ------------------------------------------------------------------------


def _module_or_404(key: str):
    module = services.current_module(key)
    if module is None:
        abort(404)
    return module


def _certificate_or_404(code: str):
    certificate = None
    if CODE_PATTERN.fullmatch(code):
        certificate = services.find_certificate(code)
    if certificate is None:
        abort(
            404,
            _(
                "No certificate has this code. Check that it is typed exactly as"
                " printed: capital and small letters differ."
            ),
        )
    return certificate


def _after_lesson(done: services.LessonDone, lesson) -> str:
    """Where a learner goes once a lesson is done: on to the next lesson, or to the
    quiz after the last one, or to the certificate after the very last step."""
    module = lesson.module
    if done.certificate is not None:
        flash(_("You have finished the whole curriculum. Your certificate is ready."))
        return url_for(".certificate")
    if done.module_completion is not None:
        flash(_("You have completed this module."), "success")
        return url_for(".module", module_key=module.key)

    if done.created:
        flash(_("“%(title)s” is marked as done.", title=lesson.title), "success")
    progress = services.progress_of(current_user).module(module.id)
    _before, after = progress.neighbours(lesson)
    if after is not None:
        return url_for(".lesson", module_key=module.key, lesson_key=after.key)
    if progress.next_lesson is not None:
        return url_for(
            ".lesson", module_key=module.key, lesson_key=progress.next_lesson.key
        )
    if progress.can_take_quiz:
        return url_for(".quiz", module_key=module.key)
    return url_for(".module", module_key=module.key)


def _locked_page(progress: services.ModuleProgress):
    return render_template("learning/locked.html", progress=progress), 403


def _refused(module, refusal: LearningRefused):
    """Answer a refused action: the locked page, or back to the module with why."""
    if refusal.reason == "locked":
        return _locked_page(services.progress_of(current_user).module(module.id))
    if refusal.reason == "archived":
        abort(404)
    messages = {
        "passed": _("You have passed this quiz already."),
        "no-attempts-left": _("You have used every attempt at this quiz."),
        "no-questions": _("This module has no quiz yet."),
    }
    flash(messages[refusal.reason], "error")
    return redirect(url_for(".module", module_key=module.key), code=303)


def _quiz_page(progress, questions, form, choices, problems):
    return render_template(
        "learning/quiz.html",
        progress=progress,
        questions=questions,
        form=form,
        choices=choices,
        problems=problems,
        field_name=question_field,
        chosen=lambda question: chosen_positions(choices, question),
    )


def _verify_page(certificate, form):
    revoked_by = None
    if current_user.is_authenticated and current_user.is_admin:
        revoked_by = certificate.revoked_by_id and db.session.get(
            User, certificate.revoked_by_id
        )
    return render_template(
        "learning/verify.html",
        certificate=certificate,
        form=form,
        revoked_by=revoked_by,
    )

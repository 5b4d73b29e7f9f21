"""Logging in and out, one's own account, passwords, invitations, and people admin."""

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash

from ..caching.versions import writes_unseen
from ..calendar.personal import reset_feed_token
from ..communities.models import Community
from ..database import utcnow
from ..extensions import db, login_manager
from ..forms import form_sent
from ..mail.composing import QUEUED_KEY, take_queued_ids
from ..mail.services import deliver_queued
from ..security.honeypot import caught
from ..security.rate_limits import rate_limited
from .access import require_admin
from .forms import (
    AcceptInvitationForm,
    ButtonForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    InviteForm,
    LoginForm,
    ResetPasswordForm,
    chosen_roles,
    roles_form,
)
from .models import Membership, User
from .next_url import safe_next_url
from .services import (
    PASSWORD_MIN_LENGTH,
    AccountExists,
    NotAllowed,
    accept_invitation,
    authenticate,
    communities_of,
    disable,
    enable,
    invite,
    request_password_reset,
    send_invitation_link,
    set_password,
    set_roles,
    stand_in_hash,
)
from .tokens import password_fingerprint, user_for_token

logger = logging.getLogger(__name__)

bp = Blueprint("accounts", __name__)

#: Session key holding the fingerprint of the password the session was opened with.
SESSION_PASSWORD_KEY = "account_password"

#: Session key holding a new personal feed secret until the account page shows it,
#: once: only its hash is stored anywhere else.
NEW_FEED_TOKEN_KEY = "new_feed_token"


@bp.record_once
def configure_login(state):
    """Send people who must log in to this blueprint's login page."""
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    # Made now, so that the first refused login takes no longer than the others.
    stand_in_hash()


@bp.before_app_request
def end_sessions_of_old_passwords():
    """Log out a session opened before the account's password last changed."""
    # A request may run inside an application context that is already open (the
    # test client does this), where Flask-Login would find the previous request's
    # person on ``g``; the person is always read afresh from this request's session.
    g.pop("_login_user", None)

    # Without a session cookie there is nobody to check.
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return
    opened_with = session.get(SESSION_PASSWORD_KEY)
    if opened_with is None or not current_user.is_authenticated:
        return
    if opened_with != password_fingerprint(current_user):
        logout_user()
        session.pop(SESSION_PASSWORD_KEY, None)


@bp.app_template_global("has_endpoint")
def has_endpoint(name: str) -> bool:
    """Whether a page exists, so that the layout links only to features installed."""
    return name in current_app.view_functions


@bp.context_processor
def password_rules():
    """Let the forms' hints state the password rules the forms enforce."""
    return {"password_min_length": PASSWORD_MIN_LENGTH}


@bp.after_request
def keep_private(response):
    """Keep these pages out of caches, and their secret links out of Referer headers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# Logging in and out ------------------------------------------------------------------


def _too_many_logins(message: str) -> str:
    """The login form again, with the address typed but never the password."""
    form = LoginForm()
    form.password.data = ""
    form.form_errors.append(message)
    return render_template("accounts/login.html", form=form)


def _login_refused(response) -> bool:
    # Logging in successfully redirects; only refusals use up the tries allowed.
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@rate_limited("RATE_LIMIT_LOGIN", answer=_too_many_logins, counts=_login_refused)
def login():
    """Show the login form, or log the person in and send them on."""
    if not form_sent():
        form = LoginForm(next=safe_next_url(request.args.get("next")) or "")
        return render_template("accounts/login.html", form=form)

    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form), 400

    # Logging in writes only the account's last login time, which no public page or
    # feed shows, so the pages kept for visitors stay as they are.
    writes_unseen(db.session())
    # A filled-in honeypot is refused like a wrong password, without looking further.
    user = None
    if not caught(form):
        user = authenticate(form.email.data, form.password.data, now=utcnow())
    if user is None:
        db.session.rollback()
        logger.info("login refused")
        # One message for every reason, so that the form never tells whether an
        # address has an account.
        form.form_errors.append(_("The e-mail address or the password is not right."))
        form.password.data = ""
        return render_template("accounts/login.html", form=form), 400

    db.session.commit()
    _start_session(user)
    logger.info("account %s logged in", user.id)
    target = safe_next_url(form.next.data or request.args.get("next"))
    return redirect(target or _landing_page(user), code=303)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Ask to confirm, or end the session."""
    if not current_user.is_authenticated:
        return redirect(url_for("site.home"), code=303)

    form = ButtonForm()
    if not form_sent():
        return render_template("accounts/logout.html", form=form)
    if not form.validate_on_submit():
        abort(400)

    logout_user()
    session.clear()
    flash(_("You are logged out."), "success")
    return redirect(url_for("site.home"), code=303)


# One's own account -----------------------------------------------------------------


@bp.get("/account/")
@login_required
def account():
    """The person's roles, communities, password and personal calendar address.

    A calendar address made just before is shown this once.
    """
    return _account_page(
        ChangePasswordForm(), feed_token=session.pop(NEW_FEED_TOKEN_KEY, None)
    )


@bp.post("/account/password")
@login_required
def change_password():
    """Change the password after checking the current one."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _account_page(form), 400
    if not check_password_hash(current_user.password_hash, form.current_password.data):
        form.current_password.errors.append(_("This is not your current password."))
        return _account_page(form), 400

    # A password shows on no public page or feed.
    writes_unseen(db.session())
    set_password(current_user, form.new_password.data, now=utcnow())
    db.session.commit()
    logger.info("account %s changed its password", current_user.id)
    # This session goes on; every other session of the account ends.
    session[SESSION_PASSWORD_KEY] = password_fingerprint(current_user)
    flash(_("Your password is changed."), "success")
    return redirect(url_for(".account"), code=303)


@bp.post("/account/feed")
@login_required
def reset_feed():
    """Make a new personal calendar address, then show it once on the account page.

    Redirecting means that reloading the page shows it rather than making another.
    """
    if not ButtonForm().validate_on_submit():
        abort(400)

    # The personal feed's secret shows on no public page, and no public feed
    # depends on it.
    writes_unseen(db.session())
    token = reset_feed_token(current_user)
    db.session.commit()
    session[NEW_FEED_TOKEN_KEY] = token
    return redirect(url_for(".account", _anchor="calendar"), code=303)


# Forgotten passwords and invitations ------------------------------------------------


def _too_many_reset_requests(message: str) -> str:
    """The form again, with the address as typed, saying when to retry."""
    flash(message, "error")
    return render_template("accounts/forgot_password.html", form=ForgotPasswordForm())


@bp.route("/password/forgot", methods=["GET", "POST"])
@rate_limited("RATE_LIMIT_PASSWORD_RESET", answer=_too_many_reset_requests)
def forgot_password():
    """Ask for an address and send a reset link to it if it has an account."""
    form = ForgotPasswordForm()
    if not form_sent():
        return render_template("accounts/forgot_password.html", form=form)
    if not form.validate_on_submit():
        return render_template("accounts/forgot_password.html", form=form), 400
    if caught(form):
        return render_template("accounts/reset_link_sent.html")

    # A reset link writes only the outbox and an invitation time, which no public
    # page or feed shows.
    writes_unseen(db.session())
    request_password_reset(form.email.data)
    db.session.commit()

    response = current_app.make_response(
        render_template("accounts/reset_link_sent.html")
    )
    # Sending takes time only when there is something to send; doing it after the
    # answer keeps the answer's timing the same for every address.
    _deliver_after(response)
    return response


def _too_many_resets(message: str) -> str:
    """The new-password form again, empty: passwords are never sent back."""
    flash(message, "error")
    return render_template(
        "accounts/reset_password.html", form=ResetPasswordForm(formdata=None)
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@rate_limited("RATE_LIMIT_PASSWORD_RESET", answer=_too_many_resets)
def reset_password(token):
    """Let the holder of a reset link choose a new password."""
    user = user_for_token(token, "password-reset")
    if user is None:
        return _link_expired("password-reset")

    form = ResetPasswordForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("accounts/reset_password.html", form=form), status

    # A password shows on no public page or feed.
    writes_unseen(db.session())
    set_password(user, form.new_password.data, now=utcnow())
    db.session.commit()
    _start_session(user)
    flash(_("Your password is changed, and you are logged in."), "success")
    return redirect(url_for(".account"), code=303)


@bp.route("/invitations/<token>", methods=["GET", "POST"], endpoint="accept_invitation")
def invitation(token):
    """Let an invited person confirm their name, choose a password and log in."""
    user = user_for_token(token, "invitation")
    if user is None:
        return _link_expired("invitation")

    if not form_sent():
        form = AcceptInvitationForm(name=user.name)
    else:
        form = AcceptInvitationForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("accounts/accept_invitation.html", form=form), status

    # An account's name and password show on no public page or feed.
    writes_unseen(db.session())
    accept_invitation(user, form.name.data, form.new_password.data, now=utcnow())
    db.session.commit()
    _start_session(user)
    flash(_("Welcome! Your account is ready."), "success")
    return redirect(_landing_page(user), code=303)


# People, for admins ----------------------------------------------------------------


@bp.get("/admin/people/")
def people():
    """Every account, with its roles and whether it can log in."""
    require_admin()

    users = db.session.scalars(
        select(User)
        .options(selectinload(User.memberships).selectinload(Membership.community))
        .order_by(User.name, User.id)
    ).all()
    return render_template("accounts/people.html", users=users)


@bp.route("/admin/people/invite", methods=["GET", "POST"], endpoint="invite")
def invite_person():
    """Invite someone by e-mail, with their role and communities."""
    require_admin()

    communities = _all_communities()
    form = InviteForm(communities)
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("accounts/invite.html", form=form), status

    try:
        user = invite(
            form.email.data,
            form.name.data,
            language=form.language.data,
            is_admin=form.role.data == "admin",
            roles=form.roles(),
            invited_by=current_user,
        )
    except AccountExists:
        db.session.rollback()
        form.email.errors.append(_("There is already an account with this address."))
        return render_template("accounts/invite.html", form=form), 400

    db.session.commit()
    deliver_queued()
    flash(_("The invitation is on its way."), "success")
    return redirect(url_for(".person", user_id=user.id), code=303)


@bp.route("/admin/people/<int:user_id>/", methods=["GET", "POST"])
def person(user_id):
    """One account: make them admin or not, and set their role in each community."""
    require_admin()

    user = db.get_or_404(User, user_id)
    # An explicit form: an unticked box and nothing else is still a submission.
    formdata = request.form if request.method == "POST" else None
    form = roles_form(user, _all_communities(), formdata=formdata)
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return _person_page(user, form), status

    try:
        changed = set_roles(
            user,
            is_admin=form.is_admin.data,
            roles=chosen_roles(form),
            changed_by=current_user,
        )
    except NotAllowed as refusal:
        db.session.rollback()
        form.is_admin.errors.append(refusal.message)
        return _person_page(user, form), 400

    db.session.commit()
    flash(_("Roles saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for(".person", user_id=user.id), code=303)


@bp.post("/admin/people/<int:user_id>/disable", endpoint="disable")
def disable_person(user_id):
    """Stop an account from logging in."""
    require_admin()

    user = db.get_or_404(User, user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)

    try:
        disable(user, now=utcnow(), changed_by=current_user)
    except NotAllowed as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
    else:
        db.session.commit()
        flash(_("The account is disabled."), "success")
    return redirect(url_for(".person", user_id=user.id), code=303)


@bp.post("/admin/people/<int:user_id>/enable", endpoint="enable")
def enable_person(user_id):
    """Let a disabled account log in again."""
    require_admin()

    user = db.get_or_404(User, user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)

    enable(user, changed_by=current_user)
    db.session.commit()
    flash(_("The account can log in again."), "success")
    return redirect(url_for(".person", user_id=user.id), code=303)


@bp.post("/admin/people/<int:user_id>/invitation")
def resend_invitation(user_id):
    """Send a new invitation link to someone who has not accepted theirs yet."""
    require_admin()

    user = db.get_or_404(User, user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if user.password_hash is not None or user.disabled_at is not None:
        flash(
            _("Only an active account still waiting for a password gets one."), "error"
        )
        return redirect(url_for(".person", user_id=user.id), code=303)

    send_invitation_link(user)
    db.session.commit()
    deliver_queued()
    flash(_("A new invitation is on its way."), "success")
    return redirect(url_for(".person", user_id=user.id), code=303)


# Helpers -----------------------------------------------------------------------------


def _start_session(user: User) -> None:
    """Open a fresh session for ``user``, tied to their current password."""
    session.clear()
    login_user(user)
    session[SESSION_PASSWORD_KEY] = password_fingerprint(user)


def _landing_page(user: User) -> str:
    """Organisers and admins start at their dashboard, learners at their account."""
    dashboard = "organise.dashboard"
    if (user.is_admin or user.is_organiser) and dashboard in current_app.view_functions:
        return url_for(dashboard)
    return url_for(".account")


def _account_page(form: ChangePasswordForm, feed_token: str | None = None) -> str:
    return render_template(
        "accounts/account.html",
        user=current_user,
        communities=communities_of(current_user),
        password_form=form,
        feed_form=ButtonForm(formdata=None),
        feed_token=feed_token,
    )


def _person_page(user: User, form) -> str:
    return render_template(
        "accounts/person.html",
        person=user,
        form=form,
        button_form=ButtonForm(formdata=None),
    )


def _link_expired(purpose: str):
    return render_template("accounts/link_expired.html", purpose=purpose), 404


def _all_communities() -> list[Community]:
    return list(db.session.scalars(select(Community).order_by(Community.name)))


def _deliver_after(response) -> None:
    """Deliver the messages this request queued once ``response`` has been sent."""
    app = current_app._get_current_object()
    ids = take_queued_ids()

    def deliver_now():
        with app.app_context():
            # Hand the request's messages to this new context, which delivers them.
            g.setdefault(QUEUED_KEY, []).extend(ids)
            deliver_queued()

    if ids:
        response.call_on_close(deliver_now)

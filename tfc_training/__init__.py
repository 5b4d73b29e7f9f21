"""tfc-training: events, training and calendars for TraffickFree Communities."""

import os
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from . import caching, security
from . import config as default_config
from .accounts.loading import load_user
from .calendar.state import track_feed_changes
from .database import configure_sqlite, track_write_transactions
from .extensions import babel, csrf, db, login_manager, migrate
from .row_ids import RowIdConverter
from .slugs import SlugConverter

#: The project folder, which holds ``templates/``, ``static/`` and ``migrations/``.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Application(Flask):
    """Flask, with error logs that name the route rather than the path.

    Paths can hold secrets (manage links, personal feed tokens), and logs must never
    hold them; the route pattern says just as well where the error happened.
    """

    def log_exception(self, exc_info):
        rule = request.url_rule.rule if request.url_rule else "(no route)"
        self.logger.error(
            "Exception on %s [%s]", rule, request.method, exc_info=exc_info
        )

    def create_url_adapter(self, request):
        """Outside a request, build absolute links from ``SITE_URL``.

        Commands run by cron (reminders, retried e-mail) have no request to take the
        site's address from. ``SERVER_NAME``, when set, keeps its usual meaning.

        A request whose Host is not in ``TRUSTED_HOSTS`` is answered with 400; the
        error page still needs links, so they are built from ``SITE_URL`` too.
        """
        site_url = self.config.get("SITE_URL")
        if request is None and self.config["SERVER_NAME"] is None and site_url:
            return self._site_url_adapter(site_url)

        try:
            return super().create_url_adapter(request)
        except SecurityError as untrusted:
            if request is None or not site_url:
                raise
            request.routing_exception = untrusted
            return self._site_url_adapter(site_url)

    def _site_url_adapter(self, site_url):
        parts = urlsplit(site_url)
        return self.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
        )


class ConfigurationError(RuntimeError):
    """The app was asked to start with settings that are unsafe or incomplete."""


def create_app(test_config=None):
    """Build the application.

    Settings come from :mod:`tfc_training.config`, then ``instance/config.py``,
    then ``TFC_*`` environment variables, then ``test_config``.
    """
    app = Application(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_object(default_config)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("TFC")
    if test_config is not None:
        app.config.from_mapping(test_config)

    _check_secret_key(app)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        database = Path(app.instance_path) / "tfc_training.sqlite"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"

    app.url_map.converters["slug"] = SlugConverter
    # Every ``<int:...>`` part of every route is held to the range of a row id.
    app.url_map.converters["int"] = RowIdConverter
    _init_extensions(app)
    _register_features(app)
    security.init_app(app)
    app.teardown_request(_end_transaction)

    if app.config["PROXY_FIX"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1)
    return app


def _check_secret_key(app):
    if app.debug or app.testing:
        return
    if app.config.get("SECRET_KEY") in (None, "", default_config.DEFAULT_SECRET_KEY):
        raise ConfigurationError(
            "SECRET_KEY is unset or still the development default. Set TFC_SECRET_KEY"
            " in the environment (or SECRET_KEY in instance/config.py) to a long random"
            ' value, for example the output of: python -c "import secrets;'
            ' print(secrets.token_hex(32))"'
        )


def _end_transaction(exc):
    """Roll back whatever a request left uncommitted.

    A view that forgot to commit then loses its work at once, in tests as in
    production, instead of leaking it into whatever runs next in the same session.
    A request that never touched the database (a 404, a static file, a page served
    from the form alone) has no session to end, and asking for one would make it.
    """
    if not db.session.registry.has():
        return
    session = db.session()
    if session.in_transaction():
        session.rollback()


def _select_locale():
    # Command-line work has no request and so no browser preference: use the default.
    if not has_request_context():
        return None
    languages = current_app.config["LANGUAGES"]
    # With one language there is nothing to choose, and every request would parse
    # its Accept-Language header only to learn that.
    if len(languages) == 1:
        return languages[0]
    return request.accept_languages.best_match(languages) or "en"


def _init_extensions(app):
    from . import models  # noqa: F401  (makes every table known to the metadata)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.session_protection = "strong"

    track_write_transactions()
    track_feed_changes()
    caching.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])


def _register_features(app):
    from .accounts import cli as account_cli
    from .accounts import views as account_views
    from .backup import cli as backup_cli
    from .calendar import bodies as calendar_bodies
    from .calendar import views as calendar_views
    from .communities import views as community_views
    from .demo import cli as demo_cli
    from .events import cli as event_cli
    from .events import views as event_views
    from .indicators import views as indicator_views
    from .learning import cli as learning_cli
    from .learning import views as learning_views
    from .mail import cli as mail_cli
    from .mail import sender as mail_sender
    from .organise import views as organise_views
    from .registration import views as registration_views
    from .reports import views as report_views
    from .site import views as site_views

    app.register_blueprint(site_views.bp)
    app.register_blueprint(account_views.bp)
    app.register_blueprint(event_views.bp)
    app.register_blueprint(community_views.bp)
    app.register_blueprint(registration_views.bp)
    app.register_blueprint(calendar_views.bp)
    calendar_bodies.init_app(app)
    app.register_blueprint(organise_views.bp)
    app.register_blueprint(learning_views.bp)
    app.register_blueprint(indicator_views.bp)
    app.register_blueprint(indicator_views.survey_bp)
    app.register_blueprint(report_views.bp)
    app.cli.add_command(event_cli.events_cli)
    app.cli.add_command(account_cli.users_cli)
    app.cli.add_command(demo_cli.demo_cli)
    app.cli.add_command(mail_cli.mail_cli)
    mail_sender.init_app(app)
    app.cli.add_command(learning_cli.curriculum_cli)
    app.cli.add_command(backup_cli.backup_command)
    app.cli.add_command(backup_cli.restore_command)

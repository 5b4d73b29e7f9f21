"""Session and remember-me cookies: never readable by scripts, never sent along with
requests from other sites, and marked secure whenever the site is served over HTTPS.
"""

import logging
from urllib.parse import urlsplit

from flask.sessions import SecureCookieSessionInterface

logger = logging.getLogger(__name__)

#: Hosts where plain HTTP is expected: the developer's own machine.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed session cookie, opened without its signer when there is none.

    Most requests come from visitors with no session cookie (public pages, calendar
    apps polling a feed); their session is empty either way, and building the
    signer for it costs more than the rest of opening it.
    """

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def serves_https(config) -> bool:
    """Whether the site's public address, ``SITE_URL``, starts with ``https://``."""
    return urlsplit(config.get("SITE_URL") or "").scheme == "https"


def init_app(app) -> None:
    """Decide the ``Secure`` flag of both cookies where the settings leave it open.

    ``SESSION_COOKIE_SECURE`` and ``REMEMBER_COOKIE_SECURE`` left at ``None`` follow
    ``SITE_URL``: secure for ``https://``, not for ``make run`` on
    ``http://127.0.0.1``, where a secure cookie would never come back and nobody
    could log in. Set either to true or false to decide it yourself.
    """
    app.session_interface = SessionInterface()
    config = app.config
    if config.get("SESSION_COOKIE_SECURE") is None:
        config["SESSION_COOKIE_SECURE"] = serves_https(config)
    if config.get("REMEMBER_COOKIE_SECURE") is None:
        config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]

    host = urlsplit(config.get("SITE_URL") or "").hostname
    if app.debug or app.testing or config["SESSION_COOKIE_SECURE"]:
        return
    if host not in LOOPBACK_HOSTS:
        logger.warning(
            "session cookies are sent over plain HTTP because SITE_URL does not start"
            " with https://; set TFC_SITE_URL to the public https:// address"
        )

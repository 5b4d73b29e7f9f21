"""Links in e-mail, always to the site's configured public address.

A message is often written while a request is being answered, and a request's Host
header is whatever its sender chose to write: a password reset asked for with
``Host: evil.example.net`` must not mail a link to that host. Every link in every
message is therefore built from ``SITE_URL`` (scheme, host and path prefix), never
from the request, by :func:`site_url_for`.
"""

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import MapAdapter


class SiteURLMissing(RuntimeError):
    """Neither ``SITE_URL`` nor ``SERVER_NAME`` says where the site is."""


def site_url_adapter() -> MapAdapter:
    """A URL adapter bound to ``SITE_URL``, or to ``SERVER_NAME`` when it is empty."""
    config = current_app.config
    site_url = config.get("SITE_URL")
    if site_url:
        parts = urlsplit(site_url)
        return current_app.url_map.bind(
            parts.netloc,
            script_name=parts.path.rstrip("/") or "/",
            url_scheme=parts.scheme or "https",
        )

    if config.get("SERVER_NAME"):
        return current_app.url_map.bind(
            config["SERVER_NAME"],
            script_name=config["APPLICATION_ROOT"],
            url_scheme=config["PREFERRED_URL_SCHEME"],
        )
    raise SiteURLMissing(
        "SITE_URL is empty, so e-mail cannot link to the site. Set TFC_SITE_URL to"
        " the site's public address, such as https://events.example.org"
    )


def site_url_for(endpoint: str, **values) -> str:
    """The absolute address of ``endpoint`` on the public site, for a message."""
    current_app.inject_url_defaults(endpoint, values)
    return site_url_adapter().build(endpoint, values, force_external=True)

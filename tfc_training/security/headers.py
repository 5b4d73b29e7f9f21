"""Security headers on every answer the site gives.

The site needs no script and no inline style, so the Content-Security-Policy allows
neither: a name or description that slipped past escaping still could not run. Pages
holding a secret link set a stricter Referrer-Policy themselves; the headers here
only fill in what a view left unset.
"""

from flask import request

#: Everything from the site itself, nothing inline, never inside another site's frame.
POLICY_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join(POLICY_DIRECTIVES)

#: Browser features the site never uses, switched off for it and anything it embeds.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "accelerometer",
        "gyroscope",
        "magnetometer",
    )
)

#: The headers every answer carries unless its view chose another value.
DEFAULT_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: A year: browsers then refuse plain HTTP for the site until it is renewed.
HSTS_MAX_AGE = 365 * 24 * 60 * 60


#: The same, with each name as it is compared: header names ignore case.
_DEFAULTS_BY_KEY = tuple(
    (name.lower(), name, value) for name, value in DEFAULT_HEADERS.items()
)


def add_security_headers(response):
    """Fill in the security headers that the view did not set itself."""
    # Every answer passes here, so the names already set are read in one pass
    # rather than searched for once per header.
    present = {name.lower() for name, _value in response.headers}
    missing = [
        (name, value) for key, name, value in _DEFAULTS_BY_KEY if key not in present
    ]
    # Only an answer that came over HTTPS may ask for HTTPS from now on; behind a
    # proxy, TFC_PROXY_FIX makes the scheme the one the visitor used.
    if request.is_secure and "strict-transport-security" not in present:
        missing.append(("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE}"))
    response.headers.extend(missing)
    return response


def init_app(app) -> None:
    app.after_request(add_security_headers)

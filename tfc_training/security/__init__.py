"""Protection that every page shares: cookie settings, security headers, query
strings refused before they reach a query, rate limits on the forms that strangers
can send, and logs that keep secret links out.

The honeypot field that public forms carry lives in :mod:`.honeypot`; each feature
adds it to its own forms.
"""

from . import cookies, headers, logs, query_strings, rate_limits


def init_app(app) -> None:
    """Apply the site's protections to ``app``, after its features are registered.

    Rate limits wrap the views that ask for them, so they must already be there.
    """
    cookies.init_app(app)
    query_strings.init_app(app)
    headers.init_app(app)
    rate_limits.init_app(app)
    logs.init_app(app)

"""Keep secret links and search words out of the server's own logs.

The development server (``make run``) and the test server log each request line,
path and query string included. Paths under ``/r/`` and ``/feeds/`` and the links of
password resets and invitations are the private keys of registrants and account
holders, and a query string can hold a name typed into the check-in search: those
parts are replaced before the line reaches any handler.

The rate limiter notes the client address of each refusal; addresses are personal
data too, so only its warnings and errors are kept.
"""

import logging
import re

#: Path segments that follow these words are secrets; the word itself may stay.
SECRET_PATH = re.compile(
    r"(?P<prefix>/(?:r|feeds|password/reset|invitations|certificates))/[^\s/?#\"]+"
)
#: A query string, up to the end of the path it belongs to.
QUERY_STRING = re.compile(r"\?[^\s#\"]*")

HIDDEN = "[hidden]"


def redact(text: str) -> str:
    """``text`` with secret path segments and query strings replaced."""
    text = SECRET_PATH.sub(lambda match: f"{match['prefix']}/{HIDDEN}", text)
    return QUERY_STRING.sub(f"?{HIDDEN}", text)


class SecretLinkFilter(logging.Filter):
    """Rewrite the text arguments of a record, so that no handler sees a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


_SECRET_LINK_FILTER = SecretLinkFilter()


def init_app(app) -> None:
    """Install the filters; doing it again for another app changes nothing."""
    request_log = logging.getLogger("werkzeug")
    if _SECRET_LINK_FILTER not in request_log.filters:
        request_log.addFilter(_SECRET_LINK_FILTER)

    limiter_log = logging.getLogger("flask-limiter")
    if limiter_log.level < logging.WARNING:
        limiter_log.setLevel(logging.WARNING)

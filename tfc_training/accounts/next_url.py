"""Where to send someone after they log in: only ever a page of this site."""

from urllib.parse import unquote, urlsplit

from flask import request

#: Longer addresses are not ones this site makes, so they are not followed.
NEXT_MAX_LENGTH = 2000


def safe_next_url(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else ``None``.

    Only a path that starts with a single slash and lies under the address the app
    is mounted at is accepted: no scheme, no host, no backslash (some browsers read
    it as a slash), no control character or space (browsers drop some of them,
    which can turn ``/\\t/host`` into ``//host``) and no ``..`` segment.
    """
    if not target or len(target) > NEXT_MAX_LENGTH:
        return None
    if "\\" in target or any(ord(c) <= 32 or ord(c) == 127 for c in target):
        return None

    # Checked on the text itself: browsers read ``///host`` as another host, where
    # the parser sees an empty host and a path.
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if not parts.path.startswith(request.script_root + "/"):
        return None
    # Browsers resolve dot segments, also percent-encoded, which could leave the prefix.
    if any(unquote(s) in (".", "..") for s in parts.path.split("/")):
        return None
    return target

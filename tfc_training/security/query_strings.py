"""Query strings that no page can take.

A NUL character is never part of a real address. PostgreSQL refuses it in any text
it is asked to compare, so a filter or search holding one would fail in the
database; it is refused here, once for every page, with a message instead.
"""

from flask import abort, request
from flask_babel import gettext as _

from ..forms import NUL
from ..plain_text import printable


def init_app(app) -> None:
    app.before_request(_refuse_nul)


def _refuse_nul():
    for name, value in request.args.items(multi=True):
        if NUL in name or NUL in value:
            abort(
                400,
                description=_(
                    "The “%(name)s” part of this address holds an invisible control"
                    " character. Remove it and try again.",
                    name=printable(name),
                ),
            )

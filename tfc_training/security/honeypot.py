"""A honeypot field for the forms anyone can send.

People never see the field: it sits off screen, out of the tab order, and screen
readers announce it as one to leave empty. Programs that fill in every box they find
fill it in too; the view then answers exactly as if the form had worked, so that the
program learns nothing, and writes nothing. Only a count is logged.
"""

import itertools
import logging

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import StringField

from ..forms import SiteForm

logger = logging.getLogger(__name__)

#: The field's name: a word that programs like to fill in and that browsers and
#: password managers have no saved value for.
FIELD_NAME = "comment"

#: Filled-in honeypots since the process started, for the log.
_caught = itertools.count(1)


class HoneypotField(StringField):
    """A text box for programs only; see :func:`caught`."""

    def __init__(self, label=None, **kwargs):
        render_kw = {
            "autocomplete": "off",
            "tabindex": "-1",
            **kwargs.pop("render_kw", {}),
        }
        super().__init__(
            label or _l("Leave this field empty"), render_kw=render_kw, **kwargs
        )


class HoneypotForm(SiteForm):
    """A form that carries the honeypot; render it with ``honeypot(form)`` from
    ``_form.html``."""

    comment = HoneypotField()


def caught(form: SiteForm) -> bool:
    """Whether ``form`` came back with its honeypot filled in; counts it in the log."""
    field = form._fields.get(FIELD_NAME)
    if not isinstance(field, HoneypotField) or not (field.data or "").strip():
        return False

    logger.info(
        "honeypot filled on %s (%s since start)", request.endpoint, next(_caught)
    )
    return True

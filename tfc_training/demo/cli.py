"""``flask demo ...``: sample data for trying the site."""

import click
from flask.cli import AppGroup
from flask_babel import ngettext

from ..database import utcnow
from ..events.cli import report_counts, report_problems
from ..events.importer import ImportFailed
from ..extensions import db
from .loading import fill_full_event, load_sample

demo_cli = AppGroup("demo", help="Load sample data for trying the site.")


@demo_cli.command("load")
def load_command():
    """Load the Los Angeles sample, moved so that its first event is next week.

    Running it again in the same week changes nothing.
    """
    now = utcnow()
    try:
        result = load_sample(now=now)
        db.session.commit()
    except ImportFailed as failure:
        db.session.rollback()
        report_problems(failure)
        raise SystemExit(1) from None
    except Exception:
        db.session.rollback()
        raise
    report_counts(result)

    try:
        added = fill_full_event(now=now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(
        ngettext(
            "Invented sign-ups: %(num)d added.",
            "Invented sign-ups: %(num)d added.",
            added,
        )
    )

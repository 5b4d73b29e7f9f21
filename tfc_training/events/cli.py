"""``flask events ...``: commands for managing events from the command line."""

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from ..database import utcnow
from ..extensions import db
from ..mail.services import deliver_queued
from ..organise.importing import import_file
from .importer import ImportFailed, ImportResult

events_cli = AppGroup("events", help="Manage events.")


@events_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def import_command(file):
    """Create or update communities and events from a YAML FILE, by slug.

    A FILE ending in .csv holds events only, one per row, with the columns listed in
    ``tfc_training/events/csv_import.py``. The file is checked in full first; if
    anything is wrong, every problem is listed with its line and field, and nothing
    is written. Existing events change as through the organiser's event form: on
    their audit trail, with registrants e-mailed about a new time or place.
    """
    try:
        result = import_file(file, now=utcnow())
        db.session.commit()
    except ImportFailed as failure:
        db.session.rollback()
        report_problems(failure)
        raise SystemExit(1) from None
    except Exception:
        db.session.rollback()
        raise

    deliver_queued()
    report_counts(result)


def report_problems(failure: ImportFailed) -> None:
    """Print each problem on its own line, then say that nothing was written."""
    for problem in failure.problems:
        click.echo(str(problem), err=True)
    click.echo(
        ngettext(
            "%(num)d problem found; nothing was imported.",
            "%(num)d problems found; nothing was imported.",
            len(failure.problems),
        ),
        err=True,
    )


def report_counts(result: ImportResult) -> None:
    """Print how many communities and events were created, updated and unchanged."""
    for label, tally in (
        (_("Communities"), result.communities),
        (_("Events"), result.events),
    ):
        click.echo(
            _(
                "%(label)s: %(created)d created, %(updated)d updated, %(unchanged)d"
                " unchanged.",
                label=label,
                created=tally.created,
                updated=tally.updated,
                unchanged=tally.unchanged,
            )
        )

"""``flask curriculum ...``: loading the training curriculum from its files."""

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from ..database import utcnow
from ..extensions import db
from .loader import CurriculumInvalid
from .sync import KINDS, Change, SyncResult, sync_folder

curriculum_cli = AppGroup("curriculum", help="Manage the training curriculum.")


def default_folder() -> Path:
    """The ``curriculum/`` folder beside the package, as shipped with the project."""
    from .. import PROJECT_ROOT

    return PROJECT_ROOT / "curriculum"


@curriculum_cli.command("sync")
@click.option(
    "--path",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The curriculum folder (default: curriculum/ in the project).",
)
def sync_command(folder):
    """Load the curriculum files into the database, matched by the ids they carry.

    New modules, lessons and questions are created, changed ones updated, and those
    no longer in the files archived, keeping everyone's progress. Every file is
    checked first; if anything is wrong, each problem is listed with its file and
    line, and nothing is written.
    """
    try:
        result = sync_folder(folder or default_folder(), now=utcnow())
        db.session.commit()
    except CurriculumInvalid as failure:
        db.session.rollback()
        report_problems(failure)
        raise SystemExit(1) from None
    except Exception:
        db.session.rollback()
        raise

    report_result(result)


def report_problems(failure: CurriculumInvalid) -> None:
    """Print each problem on its own line, then say that nothing was written."""
    for problem in failure.problems:
        click.echo(str(problem), err=True)
    click.echo(
        ngettext(
            "%(num)d problem found; nothing was synced.",
            "%(num)d problems found; nothing was synced.",
            len(failure.problems),
        ),
        err=True,
    )


def report_result(result: SyncResult) -> None:
    """Print each row created, updated, restored or archived, then the counts."""
    for kind in KINDS:
        for change in result.tally(kind).changes:
            click.echo(describe_change(change))

    labels = {
        "module": _("Modules"),
        "lesson": _("Lessons"),
        "question": _("Questions"),
    }
    for kind in KINDS:
        tally = result.tally(kind)
        click.echo(
            _(
                "%(label)s: %(created)d created, %(updated)d updated, %(archived)d"
                " archived, %(unchanged)d unchanged.",
                label=labels[kind],
                created=tally.created,
                updated=tally.updated,
                archived=tally.archived,
                unchanged=tally.unchanged,
            )
        )
    if not result.changed:
        click.echo(_("The database already matched the files; nothing changed."))


def describe_change(change: Change) -> str:
    """One line saying what happened to one module, lesson or question."""
    kind = {"module": _("module"), "lesson": _("lesson"), "question": _("question")}[
        change.kind
    ]
    if change.action == "created":
        return _("Created %(kind)s %(id)s.", kind=kind, id=change.key)
    if change.action == "archived":
        return _(
            "Archived %(kind)s %(id)s: it is no longer in the files; progress on"
            " it is kept.",
            kind=kind,
            id=change.key,
        )
    if change.action == "restored":
        line = _(
            "Restored %(kind)s %(id)s, which had been archived.",
            kind=kind,
            id=change.key,
        )
    else:
        line = _("Updated %(kind)s %(id)s.", kind=kind, id=change.key)
    if change.version is not None:
        line += " " + _("It is now at version %(version)d.", version=change.version)
    return line

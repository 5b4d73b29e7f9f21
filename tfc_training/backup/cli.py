"""``flask backup FILE`` and ``flask restore FILE``: the whole database, one file."""

from pathlib import Path

import click
from flask_babel import gettext as _

from .services import BackupError, backup, restore

_FILE = click.Path(dir_okay=False, path_type=Path)


@click.command("backup")
@click.argument("file", type=_FILE)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def backup_command(file, force):
    """Copy the whole database to FILE, while the site keeps running.

    The file holds every registrant's personal data: keep it as safe as the
    database.
    """
    try:
        size = backup(file, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(_("Backup written to %(file)s (%(size)d bytes).", file=file, size=size))


@click.command("restore")
@click.argument("file", type=_FILE)
@click.option("--force", is_flag=True, help="Replace a database that holds data.")
def restore_command(file, force):
    """Replace the whole database with the backup in FILE.

    Stop the site first. A database that holds data is replaced only with --force.
    """
    try:
        restored = restore(file, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        _(
            "Restored %(file)s (schema %(revision)s).",
            file=file,
            revision=restored.revision,
        )
    )
    click.echo(
        _("Run 'flask --app wsgi db upgrade' if this code is newer than the backup.")
    )

"""``flask users ...``: commands for accounts."""

import os
import sys

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import AppGroup
from flask_babel import gettext as _

from ..database import utcnow
from ..extensions import db
from .services import (
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    AccountExists,
    create_admin,
)

users_cli = AppGroup("users", help="Manage accounts.")

#: Where the password comes from when there is no terminal to type it into.
PASSWORD_VARIABLE = "TFC_ADMIN_PASSWORD"


def has_terminal() -> bool:
    """Whether someone is there to type a password."""
    return sys.stdin.isatty()


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", help="The name shown for the account (default: from EMAIL).")
def create_admin_command(email, name):
    """Create an admin account (network staff) for EMAIL.

    The password is asked for on the terminal; without a terminal (in a script or
    a container), it is read from the TFC_ADMIN_PASSWORD environment variable.
    """
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise click.UsageError(
            _("“%(email)s” is not an e-mail address.", email=email)
        ) from None

    password = _read_password()
    try:
        user = create_admin(email, name or email.split("@")[0], password, now=utcnow())
        db.session.commit()
    except AccountExists:
        db.session.rollback()
        raise click.ClickException(
            _("There is already an account with this address.")
        ) from None

    click.echo(_("Admin account %(id)d created; it can log in now.", id=user.id))


def _read_password() -> str:
    if not has_terminal():
        password = os.environ.get(PASSWORD_VARIABLE)
        if not password:
            raise click.ClickException(
                _(
                    "There is no terminal to ask for the password. Set the"
                    " %(variable)s environment variable to it and run again.",
                    variable=PASSWORD_VARIABLE,
                )
            )
        _check_length(password)
        return password

    # The length is checked before the password is asked for again, so that nobody
    # types a password twice only to learn that it was too short.
    password = click.prompt(_("Password"), hide_input=True)
    _check_length(password)
    again = click.prompt(_("Repeat the password"), hide_input=True)
    if again != password:
        raise click.ClickException(_("The two passwords are not the same."))
    return password


def _check_length(password: str) -> None:
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise click.ClickException(
            _(
                "Use a password of %(min)d to %(max)d characters.",
                min=PASSWORD_MIN_LENGTH,
                max=PASSWORD_MAX_LENGTH,
            )
        )

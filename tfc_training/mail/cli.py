"""``flask mail ...``: send what the outbox holds, and the reminders, from cron."""

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from ..database import utcnow
from ..extensions import db
from .services import (
    deliver_queued,
    flush_outbox,
    queue_reminders,
    queue_survey_invitations,
)

mail_cli = AppGroup("mail", help="Send the e-mail waiting in the outbox.")


@mail_cli.command("flush")
def flush_command():
    """Send every message not sent yet, oldest first.

    Safe to run from cron while the site is busy, and twice at once: each message
    goes once. Exits with status 1 when some could not be sent.
    """
    report = flush_outbox()

    click.echo(
        _("%(sent)d sent, %(failed)d failed.", sent=report.sent, failed=report.failed)
    )
    if report.held:
        click.echo(
            _(
                "%(held)d not tried again after failing too often; their last_error in"
                " the outbox_message table says why.",
                held=report.held,
            )
        )
    if report.failed:
        raise SystemExit(1)


@mail_cli.command("send-reminders")
def send_reminders_command():
    """Remind confirmed registrants of events starting 24 to 48 hours from now.

    Meant to run once a day; running it again sends nothing twice.
    """
    queued = queue_reminders(now=utcnow())
    db.session.commit()

    report = deliver_queued()
    click.echo(
        _(
            "%(queued)d reminders queued, %(sent)d sent, %(failed)d failed.",
            queued=queued,
            sent=report.sent,
            failed=report.failed,
        )
    )
    if report.failed:
        raise SystemExit(1)


@mail_cli.command("send-follow-ups")
def send_follow_ups_command():
    """Thank the attendees of awareness events that ended in the last week, with a
    link to the two-question survey.

    Meant to run once a day; running it again sends nothing twice.
    """
    queued = queue_survey_invitations(now=utcnow())
    db.session.commit()

    report = deliver_queued()
    click.echo(
        _(
            "%(queued)d follow-ups queued, %(sent)d sent, %(failed)d failed.",
            queued=queued,
            sent=report.sent,
            failed=report.failed,
        )
    )
    if report.failed:
        raise SystemExit(1)

"""``flask demo ...``: sample data for trying the site."""

from datetime import UTC, datetime, time

import click
from flask.cli import AppGroup
from flask_babel import ngettext
from sqlalchemy import func, select

from ..database import utcnow
from ..events.cli import report_counts, report_problems
from ..events.importer import ImportFailed
from ..extensions import db
from ..learning.cli import default_folder
from ..learning.models import Module
from ..learning.sync import sync_folder
from .generate import LOS_ANGELES, AlreadyHoldsData, check_database, generate
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


@demo_cli.command("generate")
@click.option("--communities", default=10, show_default=True, type=click.IntRange(1))
@click.option("--events", default=500, show_default=True, type=click.IntRange(0))
@click.option(
    "--registrations", default=20000, show_default=True, type=click.IntRange(0)
)
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0))
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The last day of the invented year (default: today). With the same seed"
    " and day, every run writes the same data.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write even though the database holds other data: only for a database"
    " that is there for trying things out.",
)
def generate_command(communities, events, registrations, seed, today, force):
    """Fill the database with a year of invented activity, for trying the reports.

    Communities with their leaders and training, events of every type over the past
    twelve months and a few weeks ahead, registrations with sectors and languages,
    attendance, cancellations, milestones, meetings held elsewhere and survey
    answers. Refuses a database that holds real data, unless --force is given.
    """
    if today is None:
        now = utcnow()
        day = now.astimezone(LOS_ANGELES).date()
    else:
        day = today.date()
        now = datetime.combine(day, time(12), LOS_ANGELES).astimezone(UTC)

    try:
        check_database(seed, force=force)
        if not db.session.scalar(select(func.count(Module.id))):
            sync_folder(default_folder(), now=now)
            click.echo("Curriculum: loaded, for the leaders' training progress.")
        totals = generate(
            communities=communities,
            events=events,
            registrations=registrations,
            seed=seed,
            today=day,
            now=now,
            progress=click.echo,
        )
        db.session.commit()
    except AlreadyHoldsData as refusal:
        db.session.rollback()
        click.echo(refusal.message, err=True)
        raise SystemExit(1) from None
    except Exception:
        db.session.rollback()
        raise

    summary = ", ".join(f"{number} {name}" for name, number in totals.counts.items())
    click.echo(f"Done: {summary}.")

"""The migrations build the schema the models describe, and go down and up again
with data in place, losing nothing the older schema can hold.

Every test walks whatever revisions exist, so a new migration is covered as soon as
it is written. A new table must get a row in :func:`fill_every_table`: the test
that checks every table holds data says which one is missing.
"""

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from learning_support import lessons_of, right_choices, sync_shipped_curriculum
from sqlalchemy import MetaData, func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from tfc_training.accounts.models import Membership, User
from tfc_training.audit.services import record
from tfc_training.demo.loading import load_sample
from tfc_training.events.models import Event
from tfc_training.extensions import db
from tfc_training.learning.services import complete_lesson, submit_quiz
from tfc_training.registration.services import Applicant, cancel, sign_up


def revisions():
    """Every revision id, oldest first."""
    config = current_app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def current_revision():
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def table_names():
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def snapshot(columns_by_table):
    """The rows of each table, only the named columns, in primary key order."""
    metadata = MetaData()
    metadata.reflect(bind=db.engine, only=list(columns_by_table))
    rows = {}
    with db.engine.connect() as connection:
        for name, columns in columns_by_table.items():
            table = metadata.tables[name]
            order = list(table.primary_key.columns) or [table.c[columns[0]]]
            query = select(*(table.c[column] for column in columns)).order_by(*order)
            rows[name] = [tuple(row) for row in connection.execute(query)]
    return rows


def columns_now():
    """Each table's column names, as the database holds them at this moment."""
    inspector = inspect(db.engine)
    return {
        name: sorted(column["name"] for column in inspector.get_columns(name))
        for name in table_names()
    }


def fill_every_table(now):
    """Write rows to every table through the product's own services.

    The registrations keep to what the first schema knows (confirmed, waiting and
    cancelled online sign-ups), so that going down and up again must keep them all.
    """
    load_sample(now=now)
    db.session.commit()
    modules = sync_shipped_curriculum(now)

    organiser = User(
        email="organiser@example.org",
        name="Organiser",
        password_hash="not-a-real-hash",
        is_admin=False,
    )
    event = db.session.scalar(
        select(Event)
        .where(Event.community_id.is_not(None))
        .where(Event.starts_at > now)
        .order_by(Event.starts_at)
    )
    organiser.memberships.append(
        Membership(community_id=event.community_id, role="organiser")
    )
    db.session.add(organiser)
    event.capacity = 2
    db.session.commit()

    people = [
        Applicant(
            name=f"Person {number}",
            email=f"person{number}@example.org",
            sector="schools",
            language="en",
            accessibility=None,
        )
        for number in range(4)
    ]
    results = [sign_up(event.id, person, now=now, notify=True) for person in people]
    db.session.commit()
    cancel(results[0].registration, now=now + timedelta(minutes=1), notify=True)
    record(event, "event.updated", actor=organiser, fields=["description"])
    db.session.commit()

    for module in modules:
        for lesson in lessons_of(module):
            complete_lesson(organiser, lesson, now=now)
        submit_quiz(organiser, module, right_choices(module), now=now)
        db.session.commit()

    fill_indicator_tables(event, results[1].registration, organiser, now)


def fill_indicator_tables(event, registration, organiser, now):
    """Milestones, meetings held elsewhere (one of them withdrawn) and survey
    answers, with a receipt."""
    from tfc_training.indicators.services import (
        MeetingValues,
        MilestoneValues,
        local_today,
        record_meeting,
        record_milestone,
        withdraw_meeting,
    )
    from tfc_training.indicators.survey import record_answer

    community = event.community
    today = local_today(now)
    for values in (
        MilestoneValues(
            kind="key-sectors-chosen", achieved_on=today, sectors=["schools"]
        ),
        MilestoneValues(
            kind="recovery-resources-identified", achieved_on=today, languages=["en"]
        ),
    ):
        record_milestone(community, values, actor=organiser, now=now)
    for note in ("Met.", "Entered twice by mistake."):
        meeting = record_meeting(
            community,
            MeetingValues(
                held_on=today,
                people_present=12,
                sectors=["schools", "media"],
                note=note,
            ),
            actor=organiser,
            now=now,
        )
    withdraw_meeting(meeting, actor=organiser, now=now)
    record_answer(event, knows_hotline="yes", can_name_sign="no", now=now)
    record_answer(
        event,
        knows_hotline="unsure",
        can_name_sign="yes",
        now=now,
        registration=registration,
    )
    db.session.commit()


def empty_tables():
    with db.engine.connect() as connection:
        return sorted(
            name
            for name, table in db.metadata.tables.items()
            if not connection.scalar(select(func.count()).select_from(table))
        )


@pytest.fixture
def empty_app(app_for, empty_database_uri):
    app = app_for(empty_database_uri)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_there_is_one_line_of_revisions(empty_app):
    """Two heads would leave ``db upgrade`` unable to choose; merge them first."""
    config = current_app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_the_models_match_the_migrations(empty_app):
    """Autogenerate finds nothing to add: every model change has its migration."""
    upgrade()

    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)

    assert differences == []


def test_each_revision_goes_down_and_up_again(empty_app):
    """From the newest revision, every step down works, then every step up."""
    steps = revisions()
    upgrade()
    assert current_revision() == steps[-1]

    for below in reversed([None, *steps[:-1]]):
        downgrade(revision="-1")
        assert current_revision() == below
    assert table_names() == set()

    for revision in steps:
        upgrade(revision=revision)
        assert current_revision() == revision
    assert table_names() == set(db.metadata.tables)


def test_every_table_gets_data_for_the_round_trip(empty_app, now):
    """The round trip below means something only if every table holds rows."""
    upgrade()

    fill_every_table(now)

    assert empty_tables() == []


def test_down_to_the_first_revision_and_up_again_loses_nothing(empty_app, now):
    """Rows of the first schema's tables survive the way down and the way back up."""
    first = revisions()[0]
    upgrade(revision=first)
    first_columns = columns_now()
    upgrade()
    fill_every_table(now)
    db.session.remove()
    before = snapshot(first_columns)
    everything_before = snapshot(columns_now())

    downgrade(revision=first)
    assert current_revision() == first
    assert snapshot(first_columns) == before

    upgrade()
    assert snapshot(first_columns) == before
    # Tables and columns added later come back empty; the first schema's rows are
    # all still there with the values it held.
    after = snapshot(columns_now())
    for name in first_columns:
        assert len(after[name]) == len(everything_before[name]), name
    assert all(rows for rows in before.values())


# --- Withdrawn outside meetings ----------------------------------------------------

#: The revision that keeps withdrawn outside meetings, and the one before it.
MEETINGS_WITHDRAWN = "17f8a4fc4f3b"
BEFORE_MEETINGS_WITHDRAWN = "b5e1d2c3f4a5"


def outside_meetings():
    """``(id, note, sector count)`` of every outside meeting, in id order."""
    with db.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT m.id, m.note, COUNT(s.sector_slug)"
                    " FROM outside_meeting m LEFT JOIN outside_meeting_sector s"
                    " ON s.outside_meeting_id = m.id"
                    " GROUP BY m.id, m.note ORDER BY m.id"
                )
            )
        ]


def refuses(statement, **values):
    """Whether the database refuses ``statement``; nothing it did is kept."""
    with db.engine.connect() as connection:
        try:
            connection.execute(text(statement), values)
        except IntegrityError:
            return True
        finally:
            connection.rollback()
    return False


def test_withdrawn_meetings_go_on_the_way_down_and_standing_ones_stay(empty_app, now):
    """The older schema cannot keep a meeting that does not count, so going down
    deletes the withdrawn ones; the rest come back up as standing meetings, and the
    table keeps its other constraints through both rebuilds."""
    upgrade()
    fill_every_table(now)
    db.session.remove()
    [standing, withdrawn] = outside_meetings()
    assert standing[1:] == ("Met.", 2) and withdrawn[1:] == (
        "Entered twice by mistake.",
        2,
    )
    zero_people = (
        "INSERT INTO outside_meeting (community_id, held_on, people_present, note,"
        " created_at) SELECT community_id, held_on, 0, '', created_at"
        " FROM outside_meeting WHERE id = :id"
    )
    withdrawn_by_only = (
        "UPDATE outside_meeting SET withdrawn_by_id = recorded_by_id WHERE id = :id"
    )
    assert refuses(withdrawn_by_only, id=standing[0])

    downgrade(revision=BEFORE_MEETINGS_WITHDRAWN)
    assert outside_meetings() == [standing]
    assert refuses(zero_people, id=standing[0])

    upgrade(revision=MEETINGS_WITHDRAWN)
    assert outside_meetings() == [standing]
    assert refuses(zero_people, id=standing[0])
    assert refuses(withdrawn_by_only, id=standing[0])
    with db.engine.connect() as connection:
        assert connection.execute(
            text("SELECT withdrawn_at, withdrawn_by_id FROM outside_meeting")
        ).all() == [(None, None)]


# --- Sessions ended by disabling ---------------------------------------------------

#: The revision that keeps when an account's sessions were ended, and the one before.
SESSIONS_ENDED = "d2e7a9c41b60"
BEFORE_SESSIONS_ENDED = MEETINGS_WITHDRAWN


def test_accounts_disabled_before_the_upgrade_have_their_sessions_ended(empty_app, now):
    """Otherwise enabling an account disabled before the upgrade would bring its old
    sessions back."""
    upgrade(revision=BEFORE_SESSIONS_ENDED)
    with db.engine.begin() as connection:
        for email, disabled_at in [
            ("kept@example.org", None),
            ("gone@example.org", now.replace(tzinfo=None)),
        ]:
            connection.execute(
                text(
                    "INSERT INTO account (email, name, is_admin, disabled_at,"
                    " language, created_at) VALUES (:email, 'Someone', :no,"
                    " :disabled_at, 'en', :created_at)"
                ),
                {
                    "email": email,
                    "no": False,
                    "disabled_at": disabled_at,
                    "created_at": now.replace(tzinfo=None),
                },
            )

    upgrade(revision=SESSIONS_ENDED)

    with db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT email, sessions_ended_at = disabled_at,"
                " sessions_ended_at IS NULL FROM account ORDER BY email"
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("gone@example.org", True, False),
        ("kept@example.org", None, True),
    ]

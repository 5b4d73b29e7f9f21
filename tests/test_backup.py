"""``flask backup`` and ``flask restore``: a round trip gives back the same data."""

import pytest
from organise_support import add_registration
from sqlalchemy import select

from tfc_training.events.models import Event
from tfc_training.extensions import db


def everything():
    """Every row of every table, in primary key order."""
    db.session.remove()
    rows = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(row) for row in connection.execute(query)]
    return rows


def restored_data(rows):
    """The rows a restore gives back as they were: all but the feeds' version, which
    a restore moves on."""
    return {table: found for table, found in rows.items() if table != "feed_state"}


@pytest.fixture
def site(make_community, make_event, make_user):
    """A community, its organiser, an event and two sign-ups; the event's id."""
    community = make_community()
    make_user(organises=[community])
    event = make_event(community_id=community.id, capacity=1)
    add_registration(event)
    add_registration(event, status="waitlisted")
    return event.id


def test_a_round_trip_gives_back_every_row(runner, site, tmp_path):
    """Back up, change the data, restore: every table is as it was at the backup."""
    before = everything()
    file = tmp_path / "site.backup"

    made = runner.invoke(args=["backup", str(file)])
    assert made.exit_code == 0, made.output
    assert "Backup written" in made.output

    event = db.session.get(Event, site)
    db.session.delete(event.languages[0])
    event.title = "Changed after the backup"
    db.session.commit()
    assert everything() != before

    restored = runner.invoke(args=["restore", "--force", str(file)])
    assert restored.exit_code == 0, restored.output
    after = everything()
    assert restored_data(after) == restored_data(before)
    assert after["feed_state"][0][1] > before["feed_state"][0][1]


def test_a_backup_restores_into_an_empty_database(runner, app_for, site, tmp_path):
    """A new, empty database takes the backup without --force."""
    from flask_migrate import upgrade

    file = tmp_path / "site.backup"
    before = everything()
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0

    if db.engine.dialect.name != "sqlite":
        pytest.skip("the round trip with --force covers PostgreSQL")
    fresh = app_for(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    with fresh.app_context():
        upgrade()
        result = fresh.test_cli_runner().invoke(args=["restore", str(file)])
        assert result.exit_code == 0, result.output
        assert restored_data(everything()) == restored_data(before)
        db.engine.dispose()


def test_an_existing_file_is_kept_without_force(runner, site, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    file = folder / "site.backup"
    file.write_text("something precious")

    result = runner.invoke(args=["backup", str(file)])

    assert result.exit_code == 1
    assert "already exists" in result.output
    assert "--force" in result.output
    assert file.read_text() == "something precious"
    assert [p.name for p in folder.iterdir()] == ["site.backup"]

    assert runner.invoke(args=["backup", "--force", str(file)]).exit_code == 0
    assert file.read_bytes() != b"something precious"


def test_a_database_holding_data_is_kept_without_force(runner, site, tmp_path):
    file = tmp_path / "site.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    db.session.get(Event, site).title = "Changed after the backup"
    db.session.commit()
    before = everything()

    result = runner.invoke(args=["restore", str(file)])

    assert result.exit_code == 1
    assert "already holds data" in result.output
    assert "event: 1" in result.output
    assert everything() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "There is no file"),
        (b"id,name\n1,x\n", "is not a backup made by this command"),
        (b"PGDMP-not-really", "PostgreSQL backup, but the site's database is SQLite"),
        (b"SQLite format 3\x00" + b"\x00" * 200, "SQLite backup, but"),
    ],
)
def test_restore_refusals(runner, site, tmp_path, content, message):
    """A missing, foreign or broken file is refused with a message; nothing changes."""
    file = tmp_path / "site.backup"
    if content is not None:
        file.write_bytes(content)
    before = everything()
    dialect = db.engine.dialect.name
    if "SQLite backup" in message and dialect == "sqlite":
        message = "could not restore"
    if "PostgreSQL backup" in message and dialect == "postgresql":
        message = "Reading the backup failed"

    result = runner.invoke(args=["restore", "--force", str(file)])

    assert result.exit_code == 1
    assert message in result.output
    assert everything() == before


def test_a_feed_changed_after_a_restore_is_never_taken_as_unchanged(
    runner, client, site, tmp_path
):
    """A calendar app's copy from before the restore is not confirmed by a new
    change that happens to bring the feed's version back to the same number."""
    file = tmp_path / "site.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    db.session.get(Event, site).title = "Changed after the backup"
    db.session.commit()
    held = client.get("/calendar.ics")
    assert "Changed after the backup" in held.get_data(as_text=True)

    restored = runner.invoke(args=["restore", "--force", str(file)])
    assert restored.exit_code == 0, restored.output
    db.session.get(Event, site).title = "Changed after the restore"
    db.session.commit()

    asked = client.get("/calendar.ics", headers={"If-None-Match": held.headers["ETag"]})
    assert asked.status_code == 200
    assert "Changed after the restore" in asked.get_data(as_text=True)

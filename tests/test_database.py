"""The write transaction that sign-up, cancellation and imports are built on."""

import sqlite3

import pytest

from tfc_training.communities.models import Community
from tfc_training.database import begin_write, done_writing
from tfc_training.extensions import db


def test_nested_calls_stay_in_one_transaction(app):
    begin_write()
    db.session.add(Community(slug="one", name="One", area="A"))
    db.session.flush()

    begin_write()
    db.session.add(Community(slug="two", name="Two", area="B"))
    db.session.flush()
    db.session.rollback()

    assert db.session.query(Community).count() == 0


def sqlite_only():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("on PostgreSQL every transaction may write, so there is no upgrade")


def test_changes_made_before_it_are_refused(app):
    sqlite_only()
    db.session.add(Community(slug="early", name="Early", area="A"))
    db.session.flush()

    with pytest.raises(RuntimeError, match="before the first change"):
        begin_write()
    db.session.rollback()


def test_a_read_before_it_is_ended_quietly(app):
    db.session.query(Community).count()

    begin_write()
    db.session.add(Community(slug="after-read", name="After read", area="A"))
    db.session.commit()

    assert db.session.query(Community).count() == 1


def test_a_new_transaction_starts_afresh_after_commit(app):
    sqlite_only()
    begin_write()
    db.session.commit()

    db.session.add(Community(slug="later", name="Later", area="A"))
    db.session.flush()
    with pytest.raises(RuntimeError):
        begin_write()
    db.session.rollback()


def test_a_request_that_may_write_holds_the_lock_from_its_start(app):
    sqlite_only()
    with app.test_request_context("/", method="POST"):
        db.session.query(Community).count()
        db.session.add(Community(slug="in-post", name="In a POST", area="A"))
        db.session.flush()

        begin_write()  # already writing: nothing to upgrade, nothing refused
        db.session.commit()

    assert db.session.query(Community).filter_by(slug="in-post").count() == 1


def test_a_request_done_writing_reads_without_the_lock(app):
    sqlite_only()
    other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    with app.test_request_context("/", method="POST"):
        db.session.add(Community(slug="written", name="Written", area="A"))
        db.session.commit()
        done_writing()

        # Reading for the answer leaves the write lock to other requests ...
        assert db.session.query(Community).count() == 1
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")

        # ... and a later change still takes it, in turn.
        begin_write()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        db.session.rollback()
    other.close()

"""Counting the SQL statements a piece of work sends, for tests that keep it fixed."""

from contextlib import contextmanager

from sqlalchemy import event

from tfc_training.extensions import db


@contextmanager
def counting_queries():
    """Collect the SQL statements sent to the database inside the block."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def count_queries(action) -> int:
    """Run ``action`` and return how many SQL statements it sent."""
    with counting_queries() as statements:
        action()
    return len(statements)

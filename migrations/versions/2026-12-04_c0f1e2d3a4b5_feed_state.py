"""Feed state: one row whose version every change to what the feeds show raises.

Feeds read it to answer "not modified" without building anything, and to give a
Last-Modified that never goes back, even when an event is deleted.

Revision ID: c0f1e2d3a4b5
Revises: a6d0c1e2f3b4
Create Date: 2026-12-04 18:50:00.000000

"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c0f1e2d3a4b5"
down_revision = "a6d0c1e2f3b4"
branch_labels = None
depends_on = None


def upgrade():
    feed_state = op.create_table(
        "feed_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_feed_state_single_row")),
        sa.CheckConstraint(
            "version >= 0", name=op.f("ck_feed_state_version_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_state")),
    )
    # The newest change so far is the latest change of an event; with no events,
    # the epoch, which empty feeds have always given as their Last-Modified.
    event = sa.table("event", sa.column("updated_at", sa.DateTime()))
    newest = op.get_bind().scalar(sa.select(sa.func.max(event.c.updated_at)))
    op.bulk_insert(
        feed_state,
        [{"id": 1, "version": 0, "changed_at": newest or datetime(1970, 1, 1)}],
    )


def downgrade():
    op.drop_table("feed_state")

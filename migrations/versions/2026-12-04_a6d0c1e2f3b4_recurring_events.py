"""Recurring events: a series holds the rule, each of its dates is an event.

Revision ID: a6d0c1e2f3b4
Revises: c463b391d2a2
Create Date: 2026-12-04 18:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a6d0c1e2f3b4"
down_revision = "c463b391d2a2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=108), nullable=False),
        sa.Column("freq", sa.String(length=8), nullable=False),
        sa.Column("every", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.String(length=20), nullable=True),
        sa.Column("month_day", sa.Integer(), nullable=True),
        sa.Column("week_of_month", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "freq IN ('weekly', 'monthly')", name=op.f("ck_event_series_freq_known")
        ),
        sa.CheckConstraint("every >= 1", name=op.f("ck_event_series_every_positive")),
        sa.CheckConstraint(
            "(until IS NULL) <> (count IS NULL)",
            name=op.f("ck_event_series_until_or_count"),
        ),
        sa.CheckConstraint(
            "count IS NULL OR count >= 1", name=op.f("ck_event_series_count_positive")
        ),
        sa.CheckConstraint(
            "month_day IS NULL OR month_day BETWEEN 1 AND 31",
            name=op.f("ck_event_series_month_day_valid"),
        ),
        sa.CheckConstraint(
            "week_of_month IS NULL OR week_of_month IN (-1, 1, 2, 3, 4)",
            name=op.f("ck_event_series_week_of_month_valid"),
        ),
        sa.CheckConstraint(
            "(freq = 'weekly' AND weekdays IS NOT NULL AND month_day IS NULL"
            " AND week_of_month IS NULL)"
            " OR (freq = 'monthly' AND month_day IS NOT NULL AND weekdays IS NULL"
            " AND week_of_month IS NULL)"
            " OR (freq = 'monthly' AND month_day IS NULL AND weekdays IS NOT NULL"
            " AND week_of_month IS NOT NULL)",
            name=op.f("ck_event_series_rule_shape"),
        ),
        sa.CheckConstraint(
            "duration_minutes > 0", name=op.f("ck_event_series_duration_positive")
        ),
        sa.CheckConstraint(
            "sequence >= 0", name=op.f("ck_event_series_sequence_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_series")),
        sa.UniqueConstraint("uid", name=op.f("uq_event_series_uid")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("recurrence_id", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_event_series_id"), ["series_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_event_series_id_event_series"),
            "event_series",
            ["series_id"],
            ["id"],
        )
        batch_op.create_unique_constraint(
            "uq_event_series_id_recurrence_id", ["series_id", "recurrence_id"]
        )
        batch_op.create_check_constraint(
            "occurrence_has_recurrence_id",
            "(series_id IS NULL) = (recurrence_id IS NULL)",
        )


def downgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_event_occurrence_has_recurrence_id"), type_="check"
        )
        batch_op.drop_constraint("uq_event_series_id_recurrence_id", type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_event_series_id_event_series"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_event_series_id"))
        batch_op.drop_column("recurrence_id")
        batch_op.drop_column("series_id")

    op.drop_table("event_series")

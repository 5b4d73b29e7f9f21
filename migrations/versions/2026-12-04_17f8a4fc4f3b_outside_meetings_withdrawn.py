"""Outside meetings are withdrawn rather than deleted, as milestones are.

A meeting recorded by mistake keeps its row with who withdrew it and when, so a
report already given for its half-year can still be explained.

Going down, the withdrawn meetings are deleted: the older schema has no way to
keep a meeting that does not count, and removed a wrong one by deleting it.

Revision ID: 17f8a4fc4f3b
Revises: b5e1d2c3f4a5
Create Date: 2026-12-04 23:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "17f8a4fc4f3b"
down_revision = "b5e1d2c3f4a5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outside_meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outside_meeting_withdrawn_by_id_account"),
            "account",
            ["withdrawn_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(
            "withdrawn_by_only_when_withdrawn",
            "withdrawn_by_id IS NULL OR withdrawn_at IS NOT NULL",
        )


def downgrade():
    op.execute(
        "DELETE FROM outside_meeting_sector WHERE outside_meeting_id IN"
        " (SELECT id FROM outside_meeting WHERE withdrawn_at IS NOT NULL)"
    )
    op.execute("DELETE FROM outside_meeting WHERE withdrawn_at IS NOT NULL")

    with op.batch_alter_table("outside_meeting", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_outside_meeting_withdrawn_by_only_when_withdrawn"),
            type_="check",
        )
        batch_op.drop_constraint(
            batch_op.f("fk_outside_meeting_withdrawn_by_id_account"),
            type_="foreignkey",
        )
        batch_op.drop_column("withdrawn_by_id")
        batch_op.drop_column("withdrawn_at")

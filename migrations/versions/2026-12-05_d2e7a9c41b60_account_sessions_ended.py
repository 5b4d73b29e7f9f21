"""Disabling an account ends its sessions for good.

The time an account was last disabled goes into the fingerprint its sessions and
links carry, so that enabling it again does not bring them back.

Going down, the column is dropped: the older schema ended sessions only while an
account stayed disabled.

Revision ID: d2e7a9c41b60
Revises: 17f8a4fc4f3b
Create Date: 2026-12-05 00:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d2e7a9c41b60"
down_revision = "17f8a4fc4f3b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sessions_ended_at", sa.DateTime(), nullable=True)
        )
    # Accounts disabled already have had their sessions ended too.
    op.execute(
        "UPDATE account SET sessions_ended_at = disabled_at"
        " WHERE disabled_at IS NOT NULL"
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "disabled_sessions_ended",
            "disabled_at IS NULL OR sessions_ended_at IS NOT NULL",
        )


def downgrade():
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_account_disabled_sessions_ended"), type_="check"
        )
        batch_op.drop_column("sessions_ended_at")

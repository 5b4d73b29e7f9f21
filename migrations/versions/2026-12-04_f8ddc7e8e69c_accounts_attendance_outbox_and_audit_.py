"""Accounts, attendance, approval, the e-mail outbox and the audit trail.

Registrations gain the ``pending`` and ``rejected`` statuses, check-in, walk-ins and
erasure (personal fields emptied, the row kept for the counts).

Revision ID: f8ddc7e8e69c
Revises: 4af09cd831de
Create Date: 2026-12-04 15:49:41.602659

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f8ddc7e8e69c"
down_revision = "4af09cd831de"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('confirmed', 'waitlisted', 'cancelled')"
NEW_STATUSES = (
    "status IN ('confirmed', 'waitlisted', 'pending', 'cancelled', 'rejected')"
)
OLD_ACTIVE = "status != 'cancelled'"
NEW_ACTIVE = "status NOT IN ('cancelled', 'rejected')"
ONLINE_HAS_CONTACT = (
    "source = 'walk-in' OR erased_at IS NOT NULL"
    " OR (name IS NOT NULL AND email IS NOT NULL AND consented_at IS NOT NULL)"
)


def upgrade():
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("feed_token_hash", sa.String(length=64), nullable=True),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=True),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("invited_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["account.id"],
            name=op.f("fk_account_invited_by_id_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("email", name=op.f("uq_account_email")),
        sa.UniqueConstraint("feed_token_hash", name=op.f("uq_account_feed_token_hash")),
    )
    op.create_table(
        "membership",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "role IN ('organiser', 'member')", name=op.f("ck_membership_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_membership_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["account.id"],
            name=op.f("fk_membership_user_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "community_id", name=op.f("pk_membership")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["account.id"],
            name=op.f("fk_audit_entry_actor_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_audit_entry_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_audit_entry_registration_id_registration"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_entry_event_id"), ["event_id"], unique=False
        )

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("ics_body", sa.Text(), nullable=True),
        sa.Column("ics_method", sa.String(length=16), nullable=True),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_outbox_message_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_outbox_message_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_message_dedupe_key")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_message_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_message_registration_id"),
            ["registration_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_message_sent_at"), ["sent_at"], unique=False
        )

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "requires_approval",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )

    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source", sa.String(length=16), nullable=False, server_default="online"
            )
        )
        batch_op.add_column(sa.Column("attended_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("checked_in_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))
        batch_op.alter_column(
            "name", existing_type=sa.VARCHAR(length=120), nullable=True
        )
        batch_op.alter_column(
            "email", existing_type=sa.VARCHAR(length=254), nullable=True
        )
        batch_op.alter_column(
            "consented_at", existing_type=sa.DateTime(), nullable=True
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_registration_checked_in_by_id_account"),
            "account",
            ["checked_in_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_constraint(
            batch_op.f("ck_registration_status_known"), type_="check"
        )
        batch_op.create_check_constraint("status_known", NEW_STATUSES)
        batch_op.create_check_constraint(
            "source_known", "source IN ('online', 'walk-in')"
        )
        batch_op.create_check_constraint("online_has_contact", ONLINE_HAS_CONTACT)
        batch_op.create_check_constraint(
            "only_confirmed_attend", "attended_at IS NULL OR status = 'confirmed'"
        )
        batch_op.drop_index("uq_registration_event_email_active")
        batch_op.create_index(
            "uq_registration_event_email_active",
            ["event_id", "email"],
            unique=True,
            sqlite_where=sa.text(NEW_ACTIVE),
            postgresql_where=sa.text(NEW_ACTIVE),
        )


def downgrade():
    # The first schema knows neither approval, rejection, walk-ins nor erasure: map
    # those rows onto what it does know rather than dropping them.
    op.execute(
        "UPDATE registration SET status = 'cancelled', cancelled_at = updated_at"
        " WHERE status = 'rejected'"
    )
    op.execute("UPDATE registration SET status = 'waitlisted' WHERE status = 'pending'")
    op.execute("UPDATE registration SET name = '' WHERE name IS NULL")
    op.execute(
        "UPDATE registration SET email = 'erased-' || id || '@invalid' WHERE email IS NULL"
    )
    op.execute(
        "UPDATE registration SET consented_at = created_at WHERE consented_at IS NULL"
    )

    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_index("uq_registration_event_email_active")
        batch_op.create_index(
            "uq_registration_event_email_active",
            ["event_id", "email"],
            unique=True,
            sqlite_where=sa.text(OLD_ACTIVE),
            postgresql_where=sa.text(OLD_ACTIVE),
        )
        batch_op.drop_constraint(
            batch_op.f("ck_registration_only_confirmed_attend"), type_="check"
        )
        batch_op.drop_constraint(
            batch_op.f("ck_registration_online_has_contact"), type_="check"
        )
        batch_op.drop_constraint(
            batch_op.f("ck_registration_source_known"), type_="check"
        )
        batch_op.drop_constraint(
            batch_op.f("ck_registration_status_known"), type_="check"
        )
        batch_op.create_check_constraint("status_known", OLD_STATUSES)
        batch_op.drop_constraint(
            batch_op.f("fk_registration_checked_in_by_id_account"), type_="foreignkey"
        )
        batch_op.alter_column(
            "consented_at", existing_type=sa.DateTime(), nullable=False
        )
        batch_op.alter_column(
            "email", existing_type=sa.VARCHAR(length=254), nullable=False
        )
        batch_op.alter_column(
            "name", existing_type=sa.VARCHAR(length=120), nullable=False
        )
        batch_op.drop_column("erased_at")
        batch_op.drop_column("checked_in_by_id")
        batch_op.drop_column("attended_at")
        batch_op.drop_column("source")

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("requires_approval")

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_sent_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_message_registration_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_message_account_id"))

    op.drop_table("outbox_message")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_event_id"))

    op.drop_table("audit_entry")
    op.drop_table("membership")
    op.drop_table("account")

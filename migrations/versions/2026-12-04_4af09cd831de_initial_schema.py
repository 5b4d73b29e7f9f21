"""Initial schema: communities, sectors, events and registrations.

The eight stakeholder sectors are written here, since every other table refers to
them by slug.

Revision ID: 4af09cd831de
Revises:
Create Date: 2026-12-04 15:30:06.075056

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4af09cd831de"
down_revision = None
branch_labels = None
depends_on = None

#: Stable sector slugs in the network's own order; labels live in the code.
SECTORS = (
    "schools",
    "local-business",
    "consumers",
    "media",
    "faith-ngo",
    "first-responders",
    "law-enforcement",
    "legislatures",
)


def upgrade():
    op.create_table(
        "community",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("area", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "length(name) > 0", name=op.f("ck_community_name_not_empty")
        ),
        sa.CheckConstraint(
            "length(slug) > 0", name=op.f("ck_community_slug_not_empty")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community")),
        sa.UniqueConstraint("slug", name=op.f("uq_community_slug")),
    )
    op.create_table(
        "sector",
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_sector")),
        sa.UniqueConstraint("position", name=op.f("uq_sector_position")),
    )
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("venue_name", sa.String(length=200), nullable=True),
        sa.Column("venue_address", sa.String(length=300), nullable=True),
        sa.Column("online_url", sa.String(length=500), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("registration_opens_at", sa.DateTime(), nullable=True),
        sa.Column("registration_closes_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'cancelled')",
            name=op.f("ck_event_status_known"),
        ),
        sa.CheckConstraint(
            "type IN ('awareness', 'stakeholder-training', 'workshop', 'listening-group', 'campaign', 'tfc-meeting', 'stakeholder-meeting')",
            name=op.f("ck_event_type_known"),
        ),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity > 0", name=op.f("ck_event_capacity_positive")
        ),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_event_ends_after_start")
        ),
        sa.CheckConstraint("length(slug) > 0", name=op.f("ck_event_slug_not_empty")),
        sa.CheckConstraint(
            "registration_opens_at IS NULL OR registration_closes_at IS NULL OR registration_closes_at > registration_opens_at",
            name=op.f("ck_event_registration_window_ordered"),
        ),
        sa.CheckConstraint(
            "sequence >= 0", name=op.f("ck_event_sequence_not_negative")
        ),
        sa.CheckConstraint(
            "venue_name IS NOT NULL OR online_url IS NOT NULL",
            name=op.f("ck_event_has_place"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_event_community_id_community"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sa.UniqueConstraint("slug", name=op.f("uq_event_slug")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_event_starts_at"), ["starts_at"], unique=False
        )
        batch_op.create_index(
            "ix_event_status_ends_at", ["status", "ends_at"], unique=False
        )

    op.create_table(
        "event_language",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_language_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "code", name=op.f("pk_event_language")),
    )
    op.create_table(
        "event_sector",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("sector_slug", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_sector_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sector_slug"],
            ["sector.slug"],
            name=op.f("fk_event_sector_sector_slug_sector"),
        ),
        sa.PrimaryKeyConstraint(
            "event_id", "sector_slug", name=op.f("pk_event_sector")
        ),
    )
    op.create_table(
        "registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("sector_slug", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("accessibility", sa.Text(), nullable=True),
        sa.Column("consented_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)",
            name=op.f("ck_registration_cancelled_at_matches_status"),
        ),
        sa.CheckConstraint(
            "status IN ('confirmed', 'waitlisted', 'cancelled')",
            name=op.f("ck_registration_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_registration_event_id_event")
        ),
        sa.ForeignKeyConstraint(
            ["sector_slug"],
            ["sector.slug"],
            name=op.f("fk_registration_sector_slug_sector"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration")),
    )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registration_event_status", ["event_id", "status", "id"], unique=False
        )
        batch_op.create_index(
            "uq_registration_event_email_active",
            ["event_id", "email"],
            unique=True,
            sqlite_where=sa.text("status != 'cancelled'"),
            postgresql_where=sa.text("status != 'cancelled'"),
        )

    op.create_table(
        "manage_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_manage_token_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manage_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_manage_token_token_hash")),
    )
    with op.batch_alter_table("manage_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_manage_token_registration_id"),
            ["registration_id"],
            unique=False,
        )

    sector = sa.table(
        "sector", sa.column("slug", sa.String), sa.column("position", sa.Integer)
    )
    op.bulk_insert(
        sector,
        [
            {"slug": slug, "position": position}
            for position, slug in enumerate(SECTORS, 1)
        ],
    )


def downgrade():
    with op.batch_alter_table("manage_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manage_token_registration_id"))

    op.drop_table("manage_token")
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_registration_event_email_active",
            sqlite_where=sa.text("status != 'cancelled'"),
            postgresql_where=sa.text("status != 'cancelled'"),
        )
        batch_op.drop_index("ix_registration_event_status")

    op.drop_table("registration")
    op.drop_table("event_sector")
    op.drop_table("event_language")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_status_ends_at")
        batch_op.drop_index(batch_op.f("ix_event_starts_at"))
        batch_op.drop_index(batch_op.f("ix_event_community_id"))

    op.drop_table("event")
    op.drop_table("sector")
    op.drop_table("community")

"""Indicators: milestones, meetings held elsewhere and the anonymous event survey.

Milestones are withdrawn rather than deleted, so a report once given can be
explained later. Survey answers are kept apart from the registrations: a receipt
records only that a registration answered.

Revision ID: b5e1d2c3f4a5
Revises: c0f1e2d3a4b5
Create Date: 2026-12-04 18:32:40.365255

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b5e1d2c3f4a5"
down_revision = "c0f1e2d3a4b5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("achieved_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('research-completed', 'key-sectors-chosen',"
            " 'survivor-referral-ready', 'recovery-resources-identified',"
            " 'justice-responders-trained')",
            name=op.f("ck_milestone_kind_known"),
        ),
        sa.CheckConstraint(
            "withdrawn_by_id IS NULL OR withdrawn_at IS NOT NULL",
            name=op.f("ck_milestone_withdrawn_by_only_when_withdrawn"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_milestone_community_id_community"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["account.id"],
            name=op.f("fk_milestone_recorded_by_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["account.id"],
            name=op.f("fk_milestone_withdrawn_by_id_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone")),
    )
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_milestone_community_id"), ["community_id"], unique=False
        )

    op.create_table(
        "outside_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("people_present", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "people_present > 0",
            name=op.f("ck_outside_meeting_people_present_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_outside_meeting_community_id_community"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["account.id"],
            name=op.f("fk_outside_meeting_recorded_by_id_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outside_meeting")),
    )
    with op.batch_alter_table("outside_meeting", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outside_meeting_community_id"),
            ["community_id"],
            unique=False,
        )

    op.create_table(
        "milestone_language",
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestone.id"],
            name=op.f("fk_milestone_language_milestone_id_milestone"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "milestone_id", "code", name=op.f("pk_milestone_language")
        ),
    )
    op.create_table(
        "milestone_sector",
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("sector_slug", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestone.id"],
            name=op.f("fk_milestone_sector_milestone_id_milestone"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sector_slug"],
            ["sector.slug"],
            name=op.f("fk_milestone_sector_sector_slug_sector"),
        ),
        sa.PrimaryKeyConstraint(
            "milestone_id", "sector_slug", name=op.f("pk_milestone_sector")
        ),
    )
    op.create_table(
        "outside_meeting_sector",
        sa.Column("outside_meeting_id", sa.Integer(), nullable=False),
        sa.Column("sector_slug", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["outside_meeting_id"],
            ["outside_meeting.id"],
            name=op.f("fk_outside_meeting_sector_outside_meeting_id_outside_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sector_slug"],
            ["sector.slug"],
            name=op.f("fk_outside_meeting_sector_sector_slug_sector"),
        ),
        sa.PrimaryKeyConstraint(
            "outside_meeting_id", "sector_slug", name=op.f("pk_outside_meeting_sector")
        ),
    )
    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("knows_hotline", sa.String(length=8), nullable=False),
        sa.Column("can_name_sign", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "can_name_sign IN ('yes', 'no', 'unsure')",
            name=op.f("ck_survey_response_can_name_sign_known"),
        ),
        sa.CheckConstraint(
            "channel IN ('email', 'event')",
            name=op.f("ck_survey_response_channel_known"),
        ),
        sa.CheckConstraint(
            "knows_hotline IN ('yes', 'no', 'unsure')",
            name=op.f("ck_survey_response_knows_hotline_known"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_survey_response_event_id_event")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_response")),
    )
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_response_event_id"), ["event_id"], unique=False
        )

    op.create_table(
        "survey_receipt",
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_survey_receipt_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("registration_id", name=op.f("pk_survey_receipt")),
    )


def downgrade():
    op.drop_table("survey_receipt")
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_response_event_id"))

    op.drop_table("survey_response")
    op.drop_table("outside_meeting_sector")
    op.drop_table("milestone_sector")
    op.drop_table("milestone_language")
    with op.batch_alter_table("outside_meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outside_meeting_community_id"))

    op.drop_table("outside_meeting")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestone_community_id"))

    op.drop_table("milestone")

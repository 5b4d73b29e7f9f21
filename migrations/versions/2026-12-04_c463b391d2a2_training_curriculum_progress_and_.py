"""Training: curriculum modules, lessons and quizzes, progress and certificates.

Rows loaded from the curriculum files are archived, never deleted, so completions
that point at them keep their meaning.

Revision ID: c463b391d2a2
Revises: f8ddc7e8e69c
Create Date: 2026-12-04 16:50:25.340701

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c463b391d2a2"
down_revision = "f8ddc7e8e69c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "module",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("folder", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("pass_mark", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.Column("estimated_minutes", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "max_attempts IS NULL OR max_attempts > 0",
            name=op.f("ck_module_max_attempts_positive"),
        ),
        sa.CheckConstraint(
            "pass_mark BETWEEN 1 AND 100", name=op.f("ck_module_pass_mark_percent")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module")),
        sa.UniqueConstraint("key", name=op.f("uq_module_key")),
    )
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("curriculum_title", sa.String(length=200), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=300), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoked_reason IS NULL)",
            name=op.f("ck_certificate_revocation_reasoned"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["account.id"],
            name=op.f("fk_certificate_revoked_by_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["account.id"],
            name=op.f("fk_certificate_user_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("code", name=op.f("uq_certificate_code")),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index(
            "uq_certificate_user_valid",
            ["user_id"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )

    op.create_table(
        "lesson",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("estimated_minutes", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"], ["module.id"], name=op.f("fk_lesson_module_id_module")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson")),
        sa.UniqueConstraint("key", name=op.f("uq_lesson_key")),
    )
    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lesson_module_id"), ["module_id"], unique=False
        )

    op.create_table(
        "module_completion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("module_version", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["module.id"],
            name=op.f("fk_module_completion_module_id_module"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["account.id"],
            name=op.f("fk_module_completion_user_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module_completion")),
        sa.UniqueConstraint("user_id", "module_id", name="uq_module_completion_once"),
    )
    with op.batch_alter_table("module_completion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_module_completion_module_id"), ["module_id"], unique=False
        )

    op.create_table(
        "module_prerequisite",
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("required_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "module_id != required_id", name=op.f("ck_module_prerequisite_not_itself")
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["module.id"],
            name=op.f("fk_module_prerequisite_module_id_module"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["required_id"],
            ["module.id"],
            name=op.f("fk_module_prerequisite_required_id_module"),
        ),
        sa.PrimaryKeyConstraint(
            "module_id", "required_id", name=op.f("pk_module_prerequisite")
        ),
    )
    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('single', 'multiple')", name=op.f("ck_question_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["module_id"], ["module.id"], name=op.f("fk_question_module_id_module")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question")),
        sa.UniqueConstraint("key", name=op.f("uq_question_key")),
    )
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_question_module_id"), ["module_id"], unique=False
        )

    op.create_table(
        "quiz_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("module_version", sa.Integer(), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "correct >= 0 AND correct <= asked",
            name=op.f("ck_quiz_attempt_score_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["module_id"], ["module.id"], name=op.f("fk_quiz_attempt_module_id_module")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["account.id"],
            name=op.f("fk_quiz_attempt_user_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_attempt")),
    )
    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quiz_attempt_user_module", ["user_id", "module_id"], unique=False
        )

    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_answer_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer")),
        sa.UniqueConstraint("question_id", "position", name="uq_answer_position"),
    )
    op.create_table(
        "lesson_completion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("lesson_version", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lesson.id"],
            name=op.f("fk_lesson_completion_lesson_id_lesson"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["account.id"],
            name=op.f("fk_lesson_completion_user_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_completion")),
        sa.UniqueConstraint("user_id", "lesson_id", name="uq_lesson_completion_once"),
    )
    with op.batch_alter_table("lesson_completion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lesson_completion_lesson_id"), ["lesson_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("lesson_completion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_completion_lesson_id"))

    op.drop_table("lesson_completion")
    op.drop_table("answer")
    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_quiz_attempt_user_module")

    op.drop_table("quiz_attempt")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_module_id"))

    op.drop_table("question")
    op.drop_table("module_prerequisite")
    with op.batch_alter_table("module_completion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_module_completion_module_id"))

    op.drop_table("module_completion")
    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_module_id"))

    op.drop_table("lesson")
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_certificate_user_valid",
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )

    op.drop_table("certificate")
    op.drop_table("module")

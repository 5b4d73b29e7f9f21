"""The curriculum as loaded from ``curriculum/``, and each learner's progress in it.

Modules, lessons and questions are identified by the ``key`` written in their files,
never by file name or position, so renaming or reordering files keeps everyone's
progress. Nothing loaded from the files is ever deleted: what leaves the files is
archived, and the completions that point at it stay.
"""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..database import UTCDateTime, utcnow
from ..extensions import db

module_prerequisite = Table(
    "module_prerequisite",
    db.metadata,
    Column("module_id", ForeignKey("module.id", ondelete="CASCADE"), primary_key=True),
    Column("required_id", ForeignKey("module.id"), primary_key=True),
    CheckConstraint("module_id != required_id", name="not_itself"),
)


class Module(db.Model):
    """A unit of the curriculum: lessons to read and a quiz to pass."""

    __table_args__ = (
        CheckConstraint("pass_mark BETWEEN 1 AND 100", name="pass_mark_percent"),
        CheckConstraint(
            "max_attempts IS NULL OR max_attempts > 0", name="max_attempts_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The stable id written in ``module.yaml``.
    key: Mapped[str] = mapped_column(String(80), unique=True)
    #: The folder it was loaded from, for messages; may change without harm.
    folder: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer)
    #: Percentage of quiz questions answered right needed to pass.
    pass_mark: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: Raised whenever the module's lessons or quiz change in a way that matters.
    version: Mapped[int] = mapped_column(Integer, default=1)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    prerequisites: Mapped[list["Module"]] = relationship(
        secondary=module_prerequisite,
        primaryjoin=lambda: Module.id == module_prerequisite.c.module_id,
        secondaryjoin=lambda: Module.id == module_prerequisite.c.required_id,
        order_by=lambda: Module.position,
    )
    lessons: Mapped[list["Lesson"]] = relationship(
        back_populates="module", order_by=lambda: Lesson.position
    )
    questions: Mapped[list["Question"]] = relationship(
        back_populates="module", order_by=lambda: Question.position
    )


class Lesson(db.Model):
    """One lesson of a module, its Markdown kept as written in the file."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), index=True)
    #: The file it was loaded from, for messages.
    path: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    #: Only required lessons count towards completing the module.
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=0)
    #: Raised when the lesson's text changes; completions record the one they saw.
    version: Mapped[int] = mapped_column(Integer, default=1)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    module: Mapped[Module] = relationship(back_populates="lessons")


class Question(db.Model):
    """A quiz question; its answers are checked on the server only."""

    __table_args__ = (
        CheckConstraint("kind IN ('single', 'multiple')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    explanation: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    module: Mapped[Module] = relationship(back_populates="questions")
    answers: Mapped[list["Answer"]] = relationship(
        back_populates="question",
        order_by=lambda: Answer.position,
        cascade="all, delete-orphan",
    )


class Answer(db.Model):
    """One offered answer of a question, in the order the file lists them."""

    __table_args__ = (
        db.UniqueConstraint("question_id", "position", name="uq_answer_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool] = mapped_column(Boolean, default=False)

    question: Mapped[Question] = relationship(back_populates="answers")


class LessonCompletion(db.Model):
    """A learner marked a lesson done. One row per learner and lesson, ever."""

    __tablename__ = "lesson_completion"
    __table_args__ = (
        db.UniqueConstraint("user_id", "lesson_id", name="uq_lesson_completion_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), index=True)
    #: The lesson's version when it was completed.
    lesson_version: Mapped[int] = mapped_column(Integer)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuizAttempt(db.Model):
    """One submitted quiz: the score is right answers over questions asked."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (
        CheckConstraint("correct >= 0 AND correct <= asked", name="score_in_range"),
        Index("ix_quiz_attempt_user_module", "user_id", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"))
    module_version: Mapped[int] = mapped_column(Integer)
    asked: Mapped[int] = mapped_column(Integer)
    correct: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    #: Question key to the positions of the answers chosen.
    choices: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModuleCompletion(db.Model):
    """A learner completed a module: every required lesson done and the quiz passed.

    It stands when lessons are added later; the module then shows new material.
    """

    __tablename__ = "module_completion"
    __table_args__ = (
        db.UniqueConstraint("user_id", "module_id", name="uq_module_completion_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), index=True)
    module_version: Mapped[int] = mapped_column(Integer)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Certificate(db.Model):
    """Proof that a learner finished the whole curriculum, verifiable by its code."""

    __table_args__ = (
        # One valid certificate per learner: issuing happens once.
        Index(
            "uq_certificate_user_valid",
            "user_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        CheckConstraint(
            "(revoked_at IS NULL) = (revoked_reason IS NULL)",
            name="revocation_reasoned",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    #: Random and public: the verification page's address.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    #: The learner's name as printed, kept even if the account's name changes.
    name: Mapped[str] = mapped_column(String(120))
    curriculum_title: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(300))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

"""Writing a checked curriculum into the database, matched by the ids in its files.

A module, lesson or question whose id is new is created; a known one is updated to
what the files say; one that left the files is archived, never deleted, so that the
completions and attempts pointing at it keep their meaning; an archived one that
comes back is restored. Syncing the same files twice changes nothing the second
time.

Versions record what learners completed against:

- ``Lesson.version`` rises when the lesson's title or text changes.
- ``Module.version`` rises when its lessons or quiz change in substance: a lesson
  added, removed, moved to another module or made required or optional; a question
  added, removed or moved; a question's text, kind or answers changed (answers are
  stored by position, so reordering them counts); the pass mark changed. Rewording
  a lesson (which raises that lesson's version), an explanation, a title, a summary
  or the order of things does not.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from ..database import begin_write
from ..events.importer import Problem
from ..extensions import db
from .loader import (
    CurriculumFiles,
    CurriculumInvalid,
    LessonRecord,
    ModuleRecord,
    QuestionRecord,
    load_curriculum_files,
)
from .models import Answer, Lesson, Module, Question

logger = logging.getLogger(__name__)

#: The PostgreSQL advisory lock that lets only one sync run at a time; SQLite's
#: write lock already does the same there.
SYNC_LOCK_KEY = 7_466_630_001

#: The kinds of rows a curriculum becomes, in the order results are reported.
KINDS = ("module", "lesson", "question")


@dataclass(frozen=True)
class Change:
    """One row the sync created, updated, restored or archived."""

    action: str
    kind: str
    key: str
    #: The new version, when the change raised it.
    version: int | None = None


@dataclass
class Tally:
    """What happened to the rows of one kind."""

    created: int = 0
    updated: int = 0
    archived: int = 0
    unchanged: int = 0
    changes: list[Change] = field(default_factory=list)

    def note(self, change: Change) -> None:
        """Count a change; a restored row counts as updated."""
        self.changes.append(change)
        if change.action == "created":
            self.created += 1
        elif change.action == "archived":
            self.archived += 1
        else:
            self.updated += 1


@dataclass
class SyncResult:
    """The outcome of a sync, per kind of row."""

    modules: Tally = field(default_factory=Tally)
    lessons: Tally = field(default_factory=Tally)
    questions: Tally = field(default_factory=Tally)

    def tally(self, kind: str) -> Tally:
        """The tally of ``kind``: module, lesson or question."""
        return {
            "module": self.modules,
            "lesson": self.lessons,
            "question": self.questions,
        }[kind]

    @property
    def changed(self) -> bool:
        """Whether the database differs from what it was before the sync."""
        return any(self.tally(kind).changes for kind in KINDS)


@dataclass(frozen=True)
class _Substance:
    """What a module asks of a learner; a change to it raises the module's version."""

    pass_mark: int
    lessons: frozenset
    questions: frozenset


def sync_folder(folder: str | Path, *, now: datetime) -> SyncResult:
    """Read, check and write the curriculum in ``folder``. Flushes; the caller commits.

    :raise CurriculumInvalid: when anything is wrong; nothing is written.
    """
    return sync_curriculum(load_curriculum_files(folder), now=now)


def sync_curriculum(curriculum: CurriculumFiles, *, now: datetime) -> SyncResult:
    """Write a checked curriculum. Flushes; the caller commits.

    Takes the write lock first, so that two syncs never interleave.

    :raise CurriculumInvalid: when the curriculum has problems, or reuses the id of
        a removed row of another kind; nothing is written.
    """
    if curriculum.problems:
        raise CurriculumInvalid(curriculum.problems)
    begin_write()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": SYNC_LOCK_KEY}
        )

    modules = {
        module.key: module
        for module in db.session.scalars(
            select(Module).options(selectinload(Module.prerequisites))
        )
    }
    lessons = {lesson.key: lesson for lesson in db.session.scalars(select(Lesson))}
    questions = {
        question.key: question
        for question in db.session.scalars(
            select(Question).options(selectinload(Question.answers))
        )
    }
    problems = _reused_ids(
        curriculum, {"module": modules, "lesson": lessons, "question": questions}
    )
    if problems:
        raise CurriculumInvalid(problems)

    before = _substance_in_database(
        modules.values(), lessons.values(), questions.values()
    )
    result = SyncResult()
    _Sync(result, modules, lessons, questions, now).run(curriculum.modules, before)
    logger.info(
        "synced the curriculum in %s: created/updated/archived/unchanged modules"
        " %s/%s/%s/%s, lessons %s/%s/%s/%s, questions %s/%s/%s/%s",
        curriculum.folder,
        *(
            getattr(result.tally(kind), count)
            for kind in KINDS
            for count in ("created", "updated", "archived", "unchanged")
        ),
    )
    return result


class _Sync:
    """One run of writing records to rows, and what it did."""

    def __init__(self, result, modules, lessons, questions, now):
        self.result = result
        self.modules: dict[str, Module] = modules
        self.lessons: dict[str, Lesson] = lessons
        self.questions: dict[str, Question] = questions
        self.now = now

    def run(self, records: list[ModuleRecord], before: dict[int, _Substance]) -> None:
        """Create, update, archive and version every row the curriculum touches."""
        module_changes = {record.key: self._module(record) for record in records}
        # New modules need their ids before lessons and questions can point at them.
        db.session.flush()

        for record in records:
            module = self.modules[record.key]
            if self._prerequisites(module, record):
                module_changes[record.key] = module_changes[record.key] or "updated"
            for lesson in record.lessons:
                self._lesson(lesson, module)
            for position, question in enumerate(record.questions, start=1):
                self._question(question, module, position)

        kept = {record.key for record in records}
        self._archive_missing(kept, records)

        for record in records:
            module = self.modules[record.key]
            action = module_changes[record.key]
            raised = module.id in before and before[module.id] != _substance_of(record)
            if raised:
                module.version += 1
                action = action or "updated"
            if action is None:
                self.result.modules.unchanged += 1
                continue
            if action != "created":
                module.updated_at = self.now
            version = module.version if raised else None
            self.result.modules.note(Change(action, "module", record.key, version))
        db.session.flush()

    def _module(self, record: ModuleRecord) -> str | None:
        """Create or update a module's own fields; say what happened, if anything."""
        module = self.modules.get(record.key)
        created = module is None
        if created:
            module = Module(key=record.key, version=1, created_at=self.now)
            module.prerequisites = []
            db.session.add(module)
            self.modules[record.key] = module
        restored = module.archived_at is not None

        changed = _assign(
            module,
            folder=record.folder,
            title=record.title,
            summary=record.summary,
            position=record.position,
            pass_mark=record.pass_mark,
            max_attempts=record.max_attempts,
            estimated_minutes=record.estimated_minutes,
            language=record.language,
            archived_at=None,
        )
        if created:
            module.updated_at = self.now
            return "created"
        if restored:
            return "restored"
        return "updated" if changed else None

    def _prerequisites(self, module: Module, record: ModuleRecord) -> bool:
        wanted = [self.modules[key] for key in record.prerequisites]
        if {required.key for required in module.prerequisites} == set(
            record.prerequisites
        ):
            return False
        module.prerequisites = wanted
        return True

    def _lesson(self, record: LessonRecord, module: Module) -> None:
        lesson = self.lessons.get(record.key)
        created = lesson is None
        if created:
            lesson = Lesson(key=record.key, version=1, created_at=self.now)
            db.session.add(lesson)
            self.lessons[record.key] = lesson
        restored = lesson.archived_at is not None
        rewritten = not created and (lesson.title, lesson.body) != (
            record.title,
            record.body,
        )

        changed = _assign(
            lesson,
            module_id=module.id,
            path=record.path,
            title=record.title,
            body=record.body,
            position=record.position,
            required=record.required,
            estimated_minutes=record.estimated_minutes,
            archived_at=None,
        )
        if created:
            lesson.updated_at = self.now
            self.result.lessons.note(Change("created", "lesson", record.key))
            return
        if not changed:
            self.result.lessons.unchanged += 1
            return

        if rewritten:
            lesson.version += 1
        lesson.updated_at = self.now
        action = "restored" if restored else "updated"
        version = lesson.version if rewritten else None
        self.result.lessons.note(Change(action, "lesson", record.key, version))

    def _question(self, record: QuestionRecord, module: Module, position: int) -> None:
        question = self.questions.get(record.key)
        created = question is None
        if created:
            question = Question(key=record.key, answers=[])
            db.session.add(question)
            self.questions[record.key] = question
        restored = question.archived_at is not None

        changed = _assign(
            question,
            module_id=module.id,
            text=record.text,
            kind=record.kind,
            explanation=record.explanation,
            position=position,
            archived_at=None,
        )
        changed = _replace_answers(question, record) or changed
        if created:
            self.result.questions.note(Change("created", "question", record.key))
        elif changed:
            action = "restored" if restored else "updated"
            self.result.questions.note(Change(action, "question", record.key))
        else:
            self.result.questions.unchanged += 1

    def _archive_missing(self, kept_modules: set[str], records: list[ModuleRecord]):
        """Archive every row that is no longer in the files and not archived yet."""
        kept_lessons = {lesson.key for record in records for lesson in record.lessons}
        kept_questions = {
            question.key for record in records for question in record.questions
        }
        for kind, rows, kept in (
            ("module", self.modules, kept_modules),
            ("lesson", self.lessons, kept_lessons),
            ("question", self.questions, kept_questions),
        ):
            for key in sorted(rows):
                row = rows[key]
                if key in kept or row.archived_at is not None:
                    continue
                row.archived_at = self.now
                if kind != "question":
                    row.updated_at = self.now
                self.result.tally(kind).note(Change("archived", kind, key))


def _assign(row, **values) -> bool:
    """Set the attributes that differ; say whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _replace_answers(question: Question, record: QuestionRecord) -> bool:
    """Make the question's answers those of the record, position by position.

    Answers are updated in place, added at the end or removed from the end, so that
    no two ever hold the same position of one question, even before a flush.
    """
    changed = False
    for position, answer in enumerate(record.answers, start=1):
        if position <= len(question.answers):
            changed = (
                _assign(
                    question.answers[position - 1],
                    position=position,
                    text=answer.text,
                    correct=answer.correct,
                )
                or changed
            )
        else:
            question.answers.append(
                Answer(position=position, text=answer.text, correct=answer.correct)
            )
            changed = True
    if len(question.answers) > len(record.answers):
        del question.answers[len(record.answers) :]
        changed = True
    return changed


def _answers_of(answers) -> tuple:
    return tuple((answer.text, answer.correct) for answer in answers)


def _substance_of(record: ModuleRecord) -> _Substance:
    return _Substance(
        pass_mark=record.pass_mark,
        lessons=frozenset((lesson.key, lesson.required) for lesson in record.lessons),
        questions=frozenset(
            (question.key, question.text, question.kind, _answers_of(question.answers))
            for question in record.questions
        ),
    )


def _substance_in_database(modules, lessons, questions) -> dict[int, _Substance]:
    """The substance of every module as the database holds it now, by module id."""
    current_lessons: dict[int, set] = {}
    for lesson in lessons:
        if lesson.archived_at is None:
            current_lessons.setdefault(lesson.module_id, set()).add(
                (lesson.key, lesson.required)
            )
    current_questions: dict[int, set] = {}
    for question in questions:
        if question.archived_at is None:
            current_questions.setdefault(question.module_id, set()).add(
                (
                    question.key,
                    question.text,
                    question.kind,
                    _answers_of(question.answers),
                )
            )
    return {
        module.id: _Substance(
            pass_mark=module.pass_mark,
            lessons=frozenset(current_lessons.get(module.id, ())),
            questions=frozenset(current_questions.get(module.id, ())),
        )
        for module in modules
    }


def _reused_ids(curriculum: CurriculumFiles, rows: dict[str, dict]) -> list[Problem]:
    """Ids in the files that the database already gives to another kind of row."""
    kinds = {
        "module": _("module"),
        "lesson": _("lesson"),
        "question": _("question"),
    }
    records = {
        "module": curriculum.modules,
        "lesson": [
            lesson for module in curriculum.modules for lesson in module.lessons
        ],
        "question": [
            question for module in curriculum.modules for question in module.questions
        ],
    }
    problems = []
    for kind, items in records.items():
        for record in items:
            for other, known in rows.items():
                if other != kind and record.key in known:
                    problems.append(
                        Problem(
                            record.source,
                            record.line,
                            "id",
                            _(
                                "“%(id)s” already belongs to a %(kind)s, which may have"
                                " been removed from the files; ids are never reused",
                                id=record.key,
                                kind=kinds[other],
                            ),
                        )
                    )
    problems.sort(key=lambda problem: (problem.source, problem.line or 0))
    return problems

"""Builders for the learning tests: curriculum rows written straight to the tables.

Answers are numbered from 1, as the curriculum sync numbers them. In every question
built here answer 1 is right; odd-numbered questions take one answer, even-numbered
ones take several, with answers 1 and 2 right.
"""

from sqlalchemy import select

from tfc_training import PROJECT_ROOT
from tfc_training.extensions import db
from tfc_training.learning.models import Answer, Lesson, Module, Question
from tfc_training.learning.sync import sync_folder

LESSON_BODY = """\
A paragraph about the topic, with *emphasis*.

## What to do

- Call the National Human Trafficking Hotline at 1-888-373-7888.
- Listen first.

## Sources

- National Human Trafficking Hotline: https://humantraffickinghotline.org/
"""


def add_module(
    key: str,
    *,
    position: int,
    lessons: int = 2,
    optional_lessons: int = 0,
    questions: int = 2,
    pass_mark: int = 50,
    max_attempts: int | None = None,
    prerequisites: tuple[Module, ...] = (),
) -> Module:
    """Write a module with its lessons and questions, and commit."""
    module = Module(
        key=key,
        folder=f"{position:02d}-{key}",
        title=f"Module {key.replace('-', ' ').title()}",
        summary=f"What {key} is about.",
        position=position,
        pass_mark=pass_mark,
        max_attempts=max_attempts,
        estimated_minutes=30,
        language="en",
        version=1,
    )
    module.prerequisites = list(prerequisites)
    db.session.add(module)
    for number in range(1, lessons + optional_lessons + 1):
        add_lesson(module, number, required=number <= lessons, commit=False)
    for number in range(1, questions + 1):
        add_question(module, number, commit=False)
    db.session.commit()
    return module


def add_lesson(
    module: Module, number: int, *, required: bool = True, commit: bool = True, **values
) -> Lesson:
    """Write lesson ``number`` of ``module``."""
    values.setdefault("key", f"{module.key}-lesson-{number}")
    values.setdefault("title", f"Lesson {number} of {module.key}")
    values.setdefault("body", LESSON_BODY)
    lesson = Lesson(
        module=module,
        path=f"{module.folder}/{number:02d}-lesson.md",
        position=number,
        required=required,
        estimated_minutes=10,
        version=1,
        **values,
    )
    db.session.add(lesson)
    if commit:
        db.session.commit()
    return lesson


def add_question(module: Module, number: int, *, commit: bool = True) -> Question:
    """Write question ``number`` of ``module``, with three answers."""
    multiple = number % 2 == 0
    question = Question(
        module=module,
        key=f"{module.key}-question-{number}",
        text=f"Question {number} about {module.key}?",
        kind="multiple" if multiple else "single",
        explanation=f"Because answer 1{' and 2' if multiple else ''} of {number}.",
        position=number,
        answers=[
            Answer(position=1, text=f"Right answer {number}", correct=True),
            Answer(position=2, text=f"Second answer {number}", correct=multiple),
            Answer(position=3, text=f"Wrong answer {number}", correct=False),
        ],
    )
    db.session.add(question)
    if commit:
        db.session.commit()
    return question


def current_questions(module: Module) -> list[Question]:
    return list(
        db.session.scalars(
            select(Question)
            .where(Question.module_id == module.id, Question.archived_at.is_(None))
            .order_by(Question.position)
        )
    )


def right_choices(module: Module) -> dict[str, list[int]]:
    """The right answers to every current question of ``module``."""
    return {
        question.key: [a.position for a in question.answers if a.correct]
        for question in current_questions(module)
    }


def wrong_choices(module: Module) -> dict[str, list[int]]:
    """A wrong answer to every current question of ``module``."""
    return {
        question.key: [a.position for a in question.answers if not a.correct][-1:]
        for question in current_questions(module)
    }


def quiz_form(choices: dict[str, list[int]]) -> dict[str, list[str]]:
    """The quiz form's fields for ``choices``, as the browser sends them."""
    return {
        f"question-{key}": [str(position) for position in positions]
        for key, positions in choices.items()
    }


def lessons_of(module: Module) -> list[Lesson]:
    return list(
        db.session.scalars(
            select(Lesson)
            .where(Lesson.module_id == module.id, Lesson.archived_at.is_(None))
            .order_by(Lesson.position)
        )
    )


def sync_shipped_curriculum(now) -> list[Module]:
    """Load the project's own ``curriculum/`` folder; return its modules in order."""
    sync_folder(PROJECT_ROOT / "curriculum", now=now)
    db.session.commit()
    return db.session.scalars(select(Module).order_by(Module.position)).all()

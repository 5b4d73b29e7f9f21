"""``flask curriculum sync``: the curriculum files, their checks, and the database."""

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from curriculum_support import edit_line, lesson, write_curriculum
from sqlalchemy import func, select

from tfc_training import PROJECT_ROOT
from tfc_training.database import utcnow
from tfc_training.extensions import db
from tfc_training.learning.loader import load_curriculum_files
from tfc_training.learning.models import (
    Answer,
    Lesson,
    LessonCompletion,
    Module,
    ModuleCompletion,
    Question,
    QuizAttempt,
)
from tfc_training.learning.sync import sync_folder

SHIPPED = PROJECT_ROOT / "curriculum"

LEARNING_TABLES = ("module", "module_prerequisite", "lesson", "question", "answer")


@pytest.fixture
def root(tmp_path):
    """The small curriculum, written to a folder of its own."""
    return write_curriculum(tmp_path / "curriculum")


def sync(runner, folder=None):
    args = ["curriculum", "sync"]
    if folder is not None:
        args += ["--path", str(folder)]
    return runner.invoke(args=args)


def row(model, key):
    db.session.expire_all()
    return db.session.scalar(select(model).where(model.key == key))


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def learning_rows():
    """Every row of the curriculum tables, to show that nothing was written."""
    return {
        name: db.session.execute(select(db.metadata.tables[name])).all()
        for name in LEARNING_TABLES
    }


def complete(user, lesson_row):
    completion = LessonCompletion(
        user_id=user.id, lesson_id=lesson_row.id, lesson_version=lesson_row.version
    )
    db.session.add(completion)
    db.session.commit()
    return completion


# --- The shipped curriculum ---------------------------------------------------------


def test_shipped_curriculum_syncs_from_the_default_folder(runner):
    result = sync(runner)

    assert result.exit_code == 0, result.output
    assert "Modules: 8 created, 0 updated, 0 archived, 0 unchanged." in result.output
    assert count(Module) == 8
    assert count(Lesson) >= 24


def test_second_sync_of_the_shipped_curriculum_changes_nothing(runner):
    sync(runner)
    snapshot = learning_rows()

    result = sync(runner)

    assert result.exit_code == 0, result.output
    for label, total in (
        ("Modules", count(Module)),
        ("Lessons", count(Lesson)),
        ("Questions", count(Question)),
    ):
        expected = f"{label}: 0 created, 0 updated, 0 archived, {total} unchanged."
        assert expected in result.output
    assert "nothing changed" in result.output
    assert learning_rows() == snapshot


def test_shipped_curriculum_has_enough_modules_lessons_and_questions(app):
    modules = load_curriculum_files(SHIPPED).modules

    assert len(modules) >= 8
    for module in modules:
        assert sum(lesson.required for lesson in module.lessons) >= 3, module.key
        assert len(module.questions) >= 5, module.key


def test_shipped_questions_offer_three_to_five_answers(app):
    questions = [q for m in load_curriculum_files(SHIPPED).modules for q in m.questions]

    assert all(3 <= len(question.answers) <= 5 for question in questions)


def test_shipped_modules_open_in_order(app):
    """Each module requires only modules that come before it."""
    modules = load_curriculum_files(SHIPPED).modules
    position = {module.key: module.position for module in modules}

    for module in modules:
        assert all(position[key] < module.position for key in module.prerequisites)


# --- A first sync ------------------------------------------------------------------


def test_first_sync_creates_every_row(runner, root):
    result = sync(runner, root)

    assert result.exit_code == 0, result.output
    assert "Modules: 2 created, 0 updated, 0 archived, 0 unchanged." in result.output
    assert "Lessons: 4 created, 0 updated, 0 archived, 0 unchanged." in result.output
    assert "Questions: 3 created, 0 updated, 0 archived, 0 unchanged." in result.output
    assert "Created lesson basics-first-steps." in result.output


def test_first_sync_stores_what_the_files_say(runner, root):
    sync(runner, root)

    basics, later = row(Module, "basics"), row(Module, "next-steps")
    assert (basics.title, basics.summary, basics.folder) == (
        "The basics",
        "What every leader needs first.",
        "01-basics",
    )
    assert (basics.pass_mark, basics.max_attempts, basics.version) == (50, None, 1)
    assert (later.max_attempts, later.language) == (3, "en")
    assert [module.key for module in later.prerequisites] == ["basics"]
    assert [lesson.key for lesson in basics.lessons] == [
        "basics-first-steps",
        "basics-second-steps",
        "basics-further-reading",
    ]
    assert [lesson.required for lesson in basics.lessons] == [True, True, False]


def test_lesson_body_is_stored_without_its_front_matter(runner, root):
    sync(runner, root)

    first = row(Lesson, "basics-first-steps")
    assert first.path == "01-basics/01-first-steps.md"
    assert first.body.startswith("A paragraph of the lesson.")
    assert first.body.endswith("https://humantraffickinghotline.org/")


def test_answers_are_stored_in_the_order_written(runner, root):
    sync(runner, root)

    question = row(Question, "basics-hotline")
    assert [(a.position, a.text, a.correct) for a in question.answers] == [
        (1, "1-888-373-7888", True),
        (2, "Dial 411", False),
        (3, "Dial 311", False),
    ]
    assert question.explanation.startswith("The National Human Trafficking Hotline")


# --- Bad files ---------------------------------------------------------------------

QUIZ = "01-basics/quiz.yaml"
MODULE = "01-basics/module.yaml"
LATER_MODULE = "02-next-steps/module.yaml"
FIRST = "01-basics/01-first-steps.md"
SECOND = "01-basics/02-second-steps.md"


def _case(file, edits, where, message, case_id, reported_in=None):
    """A bad-file case: ``where`` is the line and field reported in ``reported_in``
    (by default the edited file)."""
    where = f"{reported_in or file}{where}"
    return pytest.param(file, edits, where, message, id=case_id)


BAD_LINES = [
    _case(MODULE, [(1, None)], ":1: id: ", "is required", "module-without-id"),
    _case(FIRST, [(2, None)], ":2: id: ", "is required", "lesson-without-id"),
    _case(
        QUIZ,
        [(2, "  - text: Which number reaches the national hotline?"), (3, None)],
        ":2: id: ",
        "is required",
        "question-without-id",
    ),
    _case(
        SECOND,
        [(2, "id: basics-first-steps")],
        ":2: id: ",
        "“basics-first-steps” is already the id of something in",
        "duplicate-lesson-id",
    ),
    _case(
        QUIZ,
        [(2, "  - id: basics")],
        ":2: id: ",
        "ids must be unique across the whole curriculum",
        "question-id-of-a-module",
    ),
    _case(MODULE, [(1, "id: Basics_One")], ":1: id: ", "is not a valid id", "bad-id"),
    _case(
        LATER_MODULE,
        [(6, "  - basic")],
        ":6: prerequisites: ",
        "no module has the id “basic”",
        "unknown-prerequisite",
    ),
    _case(
        MODULE,
        [(6, "prerequisites: [next-steps]")],
        ":6: prerequisites: ",
        "go round in a circle: basics → next-steps → basics",
        "prerequisite-cycle",
        reported_in=LATER_MODULE,
    ),
    _case(
        MODULE,
        [(6, "prerequisites: [basics]")],
        ":6: prerequisites: ",
        "a module cannot require itself",
        "requires-itself",
    ),
    _case(
        QUIZ,
        [(7, None)],
        ":5: answers: ",
        "a “single” question needs exactly one answer marked “correct: true”",
        "single-without-correct-answer",
    ),
    _case(
        QUIZ,
        [(8, "      - {text: Dial 411, correct: true}")],
        ":5: answers: ",
        "this one has 2",
        "single-with-two-correct-answers",
    ),
    _case(
        QUIZ,
        [(19, None), (17, None)],
        ":15: answers: ",
        "a “multiple” question needs at least one answer marked “correct: true”",
        "multiple-without-correct-answer",
    ),
    _case(
        "02-next-steps/quiz.yaml",
        [(8, None)],
        ":5: answers: ",
        "a question needs at least 2 answers; this one has 1",
        "one-answer",
    ),
    _case(
        QUIZ,
        [(9, "      - text: Dial 411")],
        ":9: text: ",
        "the same answer is already offered on line 8",
        "answer-twice",
    ),
    _case(
        QUIZ,
        [(5, "    answers: Dial 411")] + [(number, None) for number in range(6, 10)],
        ":5: answers: ",
        "must be a list",
        "answers-not-a-list",
    ),
    _case(
        QUIZ,
        [(4, "    kind: several")],
        ":4: kind: ",
        "unknown question kind",
        "bad-kind",
    ),
    _case(
        QUIZ, [(4, "    kind: single: x")], ":4: ", "not valid YAML", "broken-quiz-yaml"
    ),
    _case(
        QUIZ,
        [(4, "    kind: single\x07")],
        ":4: ",
        "not valid YAML: character #x0007",
        "control-character-in-quiz",
    ),
    _case(
        FIRST,
        [(1, None)],
        ":1: ",
        "a lesson starts with its front matter",
        "front-matter-not-opened",
    ),
    _case(
        FIRST,
        [(5, "")],
        ":1: ",
        "never closed by a line “---”",
        "front-matter-not-closed",
    ),
    _case(
        FIRST,
        [(3, "title: First: steps")],
        ":3: ",
        "not valid YAML: mapping values are not allowed here",
        "broken-front-matter-yaml",
    ),
    _case(
        FIRST,
        [(2, "- id"), (3, "- title"), (4, "- order")],
        ":2: ",
        "expected “field: value” lines",
        "front-matter-a-list",
    ),
    _case(
        MODULE,
        [(7, "pass_mark: 0")],
        ":7: pass_mark: ",
        "must be a whole number from 1 to 100",
        "pass-mark-zero",
    ),
    _case(
        MODULE,
        [(7, "pass_mark: 101")],
        ":7: pass_mark: ",
        "must be a whole number from 1 to 100",
        "pass-mark-above-100",
    ),
    _case(
        MODULE,
        [(7, "pass_mark: eighty")],
        ":7: pass_mark: ",
        "must be a whole number",
        "pass-mark-in-words",
    ),
    _case(
        MODULE,
        [(8, "max_attempts: 0")],
        ":8: max_attempts: ",
        "must be a whole number, 1 or more",
        "no-attempts",
    ),
    _case(
        MODULE,
        [(10, "language: xx")],
        ":10: language: ",
        "unknown language",
        "language",
    ),
    _case(MODULE, [(10, "langauge: en")], ":10: langauge: ", "unknown field", "typo"),
    _case(
        MODULE,
        [(10, "title: Again")],
        ":10: title: ",
        "appears twice; the first is on line 2",
        "field-twice",
    ),
    _case(
        MODULE, [(2, "title: 2027")], ":2: title: ", "must be text", "title-a-number"
    ),
    _case(
        MODULE,
        [(2, "title: " + "x" * 201)],
        ":2: title: ",
        "is 201 characters long; at most 200",
        "title-too-long",
    ),
    _case(
        LATER_MODULE,
        [(4, "order: 1")],
        ":4: order: ",
        "1 is already the order of module “basics”",
        "module-order-twice",
    ),
    _case(
        SECOND,
        [(4, "order: 1")],
        ":4: order: ",
        "1 is already the order of 01-first-steps.md",
        "lesson-order-twice",
    ),
    _case(
        "01-basics/03-further-reading.md",
        [(5, "required: maybe")],
        ":5: required: ",
        "must be true or false",
        "required-not-a-flag",
    ),
    _case(FIRST, [(7, "# A title")], ":7: ", "use “##” and “###” headings only", "h1"),
    _case(
        FIRST, [(7, "#### Detail")], ":7: ", "use “##” and “###” headings only", "h4"
    ),
    _case(FIRST, [(7, "A <b>bold</b> claim.")], ":7: ", "raw HTML", "inline-html"),
    _case(
        FIRST,
        [(7, "A paragraph\x07 with a bell.")],
        ":7: ",
        "holds control characters",
        "control-character",
    ),
    _case(FIRST, [(7, "<script>alert(1)</script>")], ":7: ", "raw HTML", "html-block"),
    _case(
        FIRST,
        [(7, "A map:\n![map](https://example.org/map.png)")],
        ":8: ",
        "images are not allowed",
        "image-on-second-line",
    ),
    _case(
        FIRST,
        [(9, "## Reading")],
        ":9: ",
        "a lesson ends with a “## Sources” section",
        "no-sources",
    ),
    _case(
        FIRST,
        [(11, "- National Human Trafficking Hotline")],
        ":11: ",
        "each source needs its web address",
        "source-without-address",
    ),
    _case(
        FIRST, [(11, "")], ":9: ", "needs a list, one source per item", "sources-empty"
    ),
]


@pytest.mark.parametrize(("file", "edits", "where", "message"), BAD_LINES)
def test_bad_line_is_reported_with_file_and_line(
    runner, root, file, edits, where, message
):
    for number, replacement in sorted(edits, reverse=True):
        edit_line(root / file, number, replacement)

    result = sync(runner, root)

    assert result.exit_code == 1
    assert f"{root}/{where}" in result.stderr
    assert message in result.stderr
    assert "nothing was synced" in result.stderr
    assert count(Module) == count(Lesson) == count(Question) == 0


def _remove(name):
    return lambda root: (root / name).unlink()


def _write(name, text):
    def change(root):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    return change


BAD_FOLDERS = [
    pytest.param(_remove(MODULE), MODULE, "is missing", id="no-module-file"),
    pytest.param(_remove(QUIZ), QUIZ, "every module ends with a quiz", id="no-quiz"),
    pytest.param(
        _write(QUIZ, "questions: []\n"),
        f"{QUIZ}:1: questions: ",
        "must list at least one question",
        id="empty-quiz",
    ),
    pytest.param(
        _write(QUIZ, ""),
        f"{QUIZ}:1: ",
        "is empty; expected the fields",
        id="empty-file",
    ),
    pytest.param(
        _write("01-basics/notes.txt", "to do"),
        "01-basics/notes.txt: ",
        "does not belong in a module folder",
        id="stray-file",
    ),
    pytest.param(
        _write("01-basics/quiz.yml", "questions: []\n"),
        "01-basics/quiz.yml: ",
        "does not belong in a module folder",
        id="misspelt-quiz-file",
    ),
    pytest.param(
        _write("extra/module.yaml", "id: extra\n"),
        "extra: ",
        "is not named like a module folder",
        id="bad-folder-name",
    ),
    pytest.param(
        _write(
            "02-next-steps/01-going-on.md",
            lesson("next-steps-going-on", "Going on", 1, required="false"),
        ),
        "02-next-steps: ",
        "has no required lesson",
        id="no-required-lesson",
    ),
    pytest.param(
        _write(FIRST, "---\nid: basics-first-steps\ntitle: First\norder: 1\n---\n\n"),
        f"{FIRST}:6: ",
        "no text after its front matter",
        id="empty-lesson",
    ),
    pytest.param(
        _write(FIRST, "---\nid: caf\xe9\n---\n".encode("latin-1")),
        f"{FIRST}: ",
        "not UTF-8",
        id="not-utf-8",
    ),
    pytest.param(
        lambda root: shutil.rmtree(root / "01-basics"),
        f"{LATER_MODULE}:6: prerequisites: ",
        "no module has the id “basics”",
        id="required-module-removed",
    ),
]


@pytest.mark.parametrize(("change", "where", "message"), BAD_FOLDERS)
def test_bad_folder_is_reported(runner, root, change, where, message):
    change(root)

    result = sync(runner, root)

    assert result.exit_code == 1
    assert f"{root}/{where}" in result.stderr
    assert message in result.stderr
    assert count(Module) == 0


def test_missing_folder_is_reported(runner, tmp_path):
    result = sync(runner, tmp_path / "nowhere")

    assert result.exit_code == 1
    assert "there is no curriculum folder here" in result.stderr


def test_folder_without_modules_is_reported_rather_than_archiving_everything(
    runner, root, tmp_path
):
    sync(runner, root)
    (tmp_path / "empty").mkdir()

    result = sync(runner, tmp_path / "empty")

    assert result.exit_code == 1
    assert "holds no module folders" in result.stderr
    assert row(Module, "basics").archived_at is None


def test_every_problem_is_reported_at_once(runner, root):
    edit_line(root / MODULE, 7, "pass_mark: 0")
    edit_line(root / QUIZ, 4, "    kind: several")
    edit_line(root / FIRST, 9, "## Reading")

    result = sync(runner, root)

    assert "3 problems found; nothing was synced." in result.stderr


def test_a_bad_file_leaves_earlier_changes_in_other_files_unwritten(runner, root):
    sync(runner, root)
    before = learning_rows()
    edit_line(root / SECOND, 3, "title: Second steps, renamed")
    edit_line(root / QUIZ, 7, None)

    result = sync(runner, root)

    assert result.exit_code == 1
    assert learning_rows() == before


def test_id_of_a_removed_row_is_not_reused_for_another_kind(runner, root):
    sync(runner, root)
    (root / "01-basics/03-further-reading.md").unlink()
    sync(runner, root)
    edit_line(root / QUIZ, 2, "  - id: basics-further-reading")
    before = learning_rows()

    result = sync(runner, root)

    assert result.exit_code == 1
    assert (
        f"{root / QUIZ}:2: id: “basics-further-reading” already belongs to a lesson"
        in (result.stderr)
    )
    assert learning_rows() == before


# --- Later syncs -------------------------------------------------------------------


def test_renamed_lesson_file_keeps_the_lesson_and_its_completions(
    runner, root, make_user
):
    sync(runner, root)
    first = row(Lesson, "basics-first-steps")
    completion = complete(make_user(), first)
    (root / FIRST).rename(root / "01-basics/05-starting-out.md")

    result = sync(runner, root)

    assert result.exit_code == 0, result.output
    assert "Lessons: 0 created, 1 updated, 0 archived, 3 unchanged." in result.output
    renamed = row(Lesson, "basics-first-steps")
    assert (renamed.id, renamed.path) == (first.id, "01-basics/05-starting-out.md")
    assert renamed.version == 1
    assert db.session.get(LessonCompletion, completion.id).lesson_id == first.id
    assert row(Module, "basics").version == 1


def test_renamed_module_folder_keeps_the_module(runner, root):
    sync(runner, root)
    module_id = row(Module, "basics").id
    (root / "01-basics").rename(root / "01-the-basics")

    result = sync(runner, root)

    assert result.exit_code == 0, result.output
    module = row(Module, "basics")
    assert (module.id, module.folder, module.version) == (module_id, "01-the-basics", 1)
    assert row(Lesson, "basics-first-steps").path == "01-the-basics/01-first-steps.md"


def test_reordered_lessons_keep_their_versions(runner, root):
    sync(runner, root)
    edit_line(root / FIRST, 4, "order: 4")

    sync(runner, root)

    basics = row(Module, "basics")
    assert [lesson.key for lesson in basics.lessons][-1] == "basics-first-steps"
    assert basics.version == 1
    assert row(Lesson, "basics-first-steps").version == 1


def test_removed_lesson_is_archived_and_its_completions_kept(runner, root, make_user):
    sync(runner, root)
    completion = complete(make_user(), row(Lesson, "basics-second-steps"))
    (root / SECOND).unlink()

    result = sync(runner, root)

    assert result.exit_code == 0, result.output
    assert "Archived lesson basics-second-steps" in result.output
    assert "Lessons: 0 created, 0 updated, 1 archived, 3 unchanged." in result.output
    archived = row(Lesson, "basics-second-steps")
    assert archived.archived_at is not None
    assert db.session.get(LessonCompletion, completion.id).lesson_id == archived.id
    assert row(Module, "basics").version == 2


def test_archived_lesson_that_comes_back_is_restored(runner, root):
    sync(runner, root)
    text = (root / SECOND).read_text(encoding="utf-8")
    (root / SECOND).unlink()
    sync(runner, root)
    lesson_id = row(Lesson, "basics-second-steps").id
    (root / SECOND).write_text(text, encoding="utf-8")

    result = sync(runner, root)

    assert "Restored lesson basics-second-steps" in result.output
    restored = row(Lesson, "basics-second-steps")
    assert (restored.id, restored.archived_at, restored.version) == (lesson_id, None, 1)
    assert row(Module, "basics").version == 3


def test_removed_module_is_archived_with_its_lessons_and_questions(runner, root):
    sync(runner, root)
    shutil.rmtree(root / "02-next-steps")

    result = sync(runner, root)

    assert result.exit_code == 0, result.output
    assert "Modules: 0 created, 0 updated, 1 archived, 1 unchanged." in result.output
    assert row(Module, "next-steps").archived_at is not None
    assert row(Lesson, "next-steps-going-on").archived_at is not None
    assert row(Question, "next-steps-who-calls").archived_at is not None


def test_rewritten_lesson_raises_its_version_only(runner, root):
    sync(runner, root)
    edit_line(root / FIRST, 7, "A clearer paragraph of the lesson.")

    result = sync(runner, root)

    assert "Updated lesson basics-first-steps. It is now at version 2." in result.output
    assert row(Lesson, "basics-first-steps").version == 2
    assert row(Module, "basics").version == 1


def test_added_lesson_raises_the_module_version_and_keeps_completions(
    runner, root, make_user
):
    sync(runner, root)
    learner = make_user()
    basics = row(Module, "basics")
    done = ModuleCompletion(user_id=learner.id, module_id=basics.id, module_version=1)
    db.session.add(done)
    db.session.commit()
    write_curriculum(root, {"01-basics/04-more.md": lesson("basics-more", "More", 4)})

    result = sync(runner, root)

    assert "Updated module basics. It is now at version 2." in result.output
    assert row(Module, "basics").version == 2
    assert db.session.get(ModuleCompletion, done.id).module_version == 1


@pytest.mark.parametrize(
    ("file", "number", "replacement", "raised"),
    [
        pytest.param(QUIZ, 8, "      - text: Dial 911", True, id="answer-text"),
        pytest.param(
            QUIZ, 3, "    text: Which number is it?", True, id="question-text"
        ),
        pytest.param(
            QUIZ, 21, "    explanation: Act and means.", False, id="explanation"
        ),
        pytest.param(MODULE, 7, "pass_mark: 60", True, id="pass-mark"),
        pytest.param(MODULE, 8, "max_attempts: 2", False, id="max-attempts"),
        pytest.param(MODULE, 2, "title: Basics", False, id="module-title"),
        pytest.param(
            SECOND, 5, "required: false\n---", True, id="lesson-made-optional"
        ),
        pytest.param(SECOND, 3, "title: Step two", False, id="lesson-title"),
    ],
)
def test_module_version_rises_only_for_changes_of_substance(
    runner, root, file, number, replacement, raised
):
    sync(runner, root)
    edit_line(root / file, number, replacement)

    result = sync(runner, root)

    assert result.exit_code == 0, result.output
    assert row(Module, "basics").version == (2 if raised else 1)


def test_answers_removed_from_a_question_are_deleted(runner, root):
    sync(runner, root)
    edit_line(root / QUIZ, 9, None)

    sync(runner, root)

    question = row(Question, "basics-hotline")
    assert [answer.text for answer in question.answers] == [
        "1-888-373-7888",
        "Dial 411",
    ]
    assert count(Answer) == 7


def test_answers_added_to_a_question_are_appended(runner, root):
    sync(runner, root)
    edit_line(root / QUIZ, 9, "      - text: Dial 311\n      - text: Dial 211")

    result = sync(runner, root)

    assert result.exit_code == 0, result.output
    question = row(Question, "basics-hotline")
    assert [answer.position for answer in question.answers] == [1, 2, 3, 4]


def test_quiz_attempts_survive_a_removed_question(runner, root, make_user):
    sync(runner, root)
    basics = row(Module, "basics")
    attempt = QuizAttempt(
        user_id=make_user().id,
        module_id=basics.id,
        module_version=1,
        asked=2,
        correct=2,
        passed=True,
        choices={"basics-hotline": [1], "basics-elements": [1, 2]},
    )
    db.session.add(attempt)
    db.session.commit()
    for _number in range(10):
        edit_line(root / QUIZ, 2, None)

    result = sync(runner, root)

    assert result.exit_code == 0, result.output
    assert row(Question, "basics-hotline").archived_at is not None
    assert db.session.get(QuizAttempt, attempt.id).module_version == 1
    assert row(Module, "basics").version == 2


def test_lesson_moved_to_another_module_changes_both(runner, root):
    sync(runner, root)
    text = (root / "01-basics/03-further-reading.md").read_text(encoding="utf-8")
    (root / "01-basics/03-further-reading.md").unlink()
    (root / "02-next-steps/02-further-reading.md").write_text(text, encoding="utf-8")

    sync(runner, root)

    moved = row(Lesson, "basics-further-reading")
    assert moved.module.key == "next-steps"
    assert moved.archived_at is None
    assert row(Module, "basics").version == 2
    assert row(Module, "next-steps").version == 2


def test_changed_prerequisites_are_written(runner, root):
    sync(runner, root)
    edit_line(root / LATER_MODULE, 6, None)
    edit_line(root / LATER_MODULE, 5, "prerequisites: []")

    result = sync(runner, root)

    assert "Updated module next-steps." in result.output
    assert row(Module, "next-steps").prerequisites == []


def test_two_syncs_at_once_both_succeed(app, root):
    """The second waits for the first and then finds nothing to do."""
    start = threading.Barrier(2)

    def run():
        with app.app_context():
            start.wait()
            result = sync_folder(root, now=utcnow())
            db.session.commit()
            return result

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(run) for _ in range(2)]
        results = [future.result() for future in futures]

    assert sorted(result.modules.created for result in results) == [0, 2]
    assert count(Module) == 2

"""Reading the curriculum folder and checking it in full, without the database.

The folder holds one folder per module, named like ``01-understanding-trafficking``::

    curriculum/
      01-understanding-trafficking/
        module.yaml                  # the module: id, title, order, pass mark, ...
        01-what-trafficking-is.md    # a lesson: front matter, then Markdown
        02-us-and-california-law.md
        quiz.yaml                    # the module's questions

``module.yaml`` takes ``id``, ``title``, ``order`` and ``pass_mark`` (required) and
``summary``, ``prerequisites`` (module ids), ``max_attempts``, ``estimated_minutes``
and ``language``. A lesson file starts with a line ``---``, its fields (``id``,
``title``, ``order``; optionally ``required``, true by default, and
``estimated_minutes``), another line ``---``, then its Markdown body: ``##`` and
``###`` headings only, no raw HTML, no images, ending with a ``## Sources`` list in
which every item gives a web address. ``quiz.yaml`` holds ``questions``, each with
``id``, ``text``, ``kind`` (``single`` or ``multiple``), ``answers`` (each a ``text``
and optionally ``correct: true``) and an ``explanation``.

Ids are lower-case words joined by hyphens, unique across the whole curriculum,
whatever kind of thing they name. Every module needs at least one required lesson
and one question: without them it could never be completed, and nobody could ever
finish the curriculum.

Every problem found is reported as ``FILE:LINE: field: message``, all of them at
once; a curriculum with any problem must not be written anywhere.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..events.importer import Problem
from ..plain_text import LINE_BREAKS_AND_TABS, has_control_characters, text_problem
from ..slugs import SLUG_PATTERN
from ..vocabulary import LANGUAGES
from ..yaml_errors import describe_yaml_error
from .models import Lesson, Module, Question

MODULE_FILE = "module.yaml"
QUIZ_FILE = "quiz.yaml"

#: Module folders and lesson files: a number that sorts them, a hyphen and a slug.
MODULE_FOLDER_PATTERN = re.compile(r"[0-9]{2,}-[a-z0-9]+(?:-[a-z0-9]+)*")
LESSON_FILE_PATTERN = re.compile(r"[0-9]{2,}-[a-z0-9]+(?:-[a-z0-9]+)*\.md")

MODULE_FIELDS = (
    "id",
    "title",
    "summary",
    "order",
    "prerequisites",
    "pass_mark",
    "max_attempts",
    "estimated_minutes",
    "language",
)
LESSON_FIELDS = ("id", "title", "order", "required", "estimated_minutes")
QUIZ_FIELDS = ("questions",)
QUESTION_FIELDS = ("id", "text", "kind", "answers", "explanation")
ANSWER_FIELDS = ("text", "correct")
QUESTION_KINDS = ("single", "multiple")

#: Fewer answers than this would not be a question worth asking.
MIN_ANSWERS = 2

#: The heading that must close every lesson.
SOURCES_HEADING = "Sources"

#: The heading levels a lesson may use; the page itself provides the ``#`` title.
LESSON_HEADINGS = ("h2", "h3")

_WEB_ADDRESS = re.compile(r"https?://\S+")

# Raw HTML is switched on here only so that it can be found and reported; pages
# render lessons with raw HTML off. Tables are on as they are when rendering.
_markdown_checker = MarkdownIt("commonmark", {"html": True}).enable("table")


def _column_length(model, name: str) -> int:
    return model.__table__.c[name].type.length


KEY_MAX_LENGTH = min(
    _column_length(model, "key") for model in (Module, Lesson, Question)
)


class CurriculumInvalid(Exception):
    """The curriculum has problems; nothing was written. ``problems`` lists each one."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class AnswerRecord:
    """One offered answer, in the position the file lists it."""

    text: str
    correct: bool


@dataclass(frozen=True)
class QuestionRecord:
    """A quiz question as written in ``quiz.yaml``."""

    key: str
    text: str
    kind: str
    explanation: str
    answers: tuple[AnswerRecord, ...]
    source: str
    line: int


@dataclass(frozen=True)
class LessonRecord:
    """A lesson as written in its file; ``path`` is relative to the curriculum folder."""

    key: str
    path: str
    title: str
    body: str
    position: int
    required: bool
    estimated_minutes: int
    source: str
    line: int


@dataclass(frozen=True)
class ModuleRecord:
    """A module with its lessons and questions, as its folder describes it."""

    key: str
    folder: str
    title: str
    summary: str
    position: int
    prerequisites: tuple[str, ...]
    pass_mark: int
    max_attempts: int | None
    estimated_minutes: int
    language: str
    lessons: tuple[LessonRecord, ...]
    questions: tuple[QuestionRecord, ...]
    source: str
    line: int


@dataclass
class CurriculumFiles:
    """What a curriculum folder holds: the modules, and every problem found in it.

    ``modules`` is complete and trustworthy only when ``problems`` is empty.
    """

    folder: str
    modules: list[ModuleRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def load_curriculum_files(folder: str | Path) -> CurriculumFiles:
    """Read and check a curriculum folder.

    :raise CurriculumInvalid: when anything in it is wrong.
    """
    curriculum = read_curriculum_files(folder)
    if curriculum.problems:
        raise CurriculumInvalid(curriculum.problems)
    return curriculum


def read_curriculum_files(folder: str | Path) -> CurriculumFiles:
    """Read a curriculum folder, collecting every problem instead of stopping."""
    root = Path(folder)
    curriculum = CurriculumFiles(str(root))
    if not root.is_dir():
        message = _("there is no curriculum folder here")
        curriculum.problems.append(Problem(str(root), None, None, message))
        return curriculum

    reading = _Reading(root, curriculum.problems)
    for module_folder in _module_folders(root, curriculum.problems):
        record = reading.module(module_folder)
        if record is not None:
            curriculum.modules.append(record)
    if not reading.module_keys and not curriculum.problems:
        message = _(
            "holds no module folders; expected folders named like"
            " 01-understanding-trafficking"
        )
        curriculum.problems.append(Problem(str(root), None, None, message))

    reading.check_prerequisites()
    curriculum.modules.sort(key=lambda module: module.position)
    curriculum.problems.sort(key=lambda problem: (problem.source, problem.line or 0))
    return curriculum


def _module_folders(root: Path, problems: list[Problem]) -> list[Path]:
    """The module folders under ``root`` in name order; files there are ignored."""
    folders = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        if MODULE_FOLDER_PATTERN.fullmatch(entry.name):
            folders.append(entry)
        else:
            message = _(
                "is not named like a module folder: a number, a hyphen and lower-case"
                " words joined by hyphens, such as 01-understanding-trafficking"
            )
            problems.append(Problem(str(entry), None, None, message))
    return folders


@dataclass
class _Prerequisites:
    """The prerequisites one module names, with the line of each."""

    module: str
    source: str
    keys: list[tuple[str, int]]


class _Reading:
    """The state of reading one curriculum: ids seen so far and cross-file checks."""

    def __init__(self, root: Path, problems: list[Problem]):
        self.root = root
        self.problems = problems
        #: Every id seen, whatever it names, with where it was first written.
        self.ids: dict[str, tuple[str, int]] = {}
        #: The id of every module whose module file names one.
        self.module_keys: set[str] = set()
        self.orders: dict[int, tuple[str, str]] = {}
        self.prerequisites: list[_Prerequisites] = []

    def module(self, folder: Path) -> ModuleRecord | None:
        """Read one module folder: its module file, its lessons and its quiz."""
        fields = self._module_file(folder)
        lessons = self._lessons(folder)
        questions = self._quiz(folder)
        if fields is None or lessons is None or questions is None:
            return None
        return ModuleRecord(
            lessons=tuple(lessons), questions=tuple(questions), **fields
        )

    def _claim_id(self, file: "_File", key: str | None, line: int) -> None:
        """Record an id, reporting it if something else already has it."""
        if key is None:
            return
        if key in self.ids:
            source, first_line = self.ids[key]
            file.problem(
                line,
                "id",
                _(
                    "“%(id)s” is already the id of something in %(source)s on line"
                    " %(line)d; ids must be unique across the whole curriculum",
                    id=key,
                    source=source,
                    line=first_line,
                ),
            )
            return
        self.ids[key] = (file.source, line)

    def _module_file(self, folder: Path) -> dict | None:
        path = folder / MODULE_FILE
        file = _File(str(path), self.problems)
        if not path.is_file():
            file.problem(
                None,
                None,
                _("is missing: every module folder needs a %(file)s", file=MODULE_FILE),
            )
            return None

        fields = file.read_mapping(file.read_text(path), MODULE_FIELDS)
        if fields is None:
            return None
        key = fields.key()
        if key is not None:
            self._claim_id(file, key, fields.line_of("id"))
            self.module_keys.add(key)
        summary = fields.text("summary", None, required=False, one_line=False)
        minutes = fields.whole_number("estimated_minutes", minimum=0, required=False)
        values = {
            "key": key,
            "folder": folder.name,
            "title": fields.text("title", _column_length(Module, "title")),
            "summary": summary or "",
            "position": fields.whole_number("order", minimum=1),
            "prerequisites": fields.key_list("prerequisites"),
            "pass_mark": fields.whole_number("pass_mark", minimum=1, maximum=100),
            "max_attempts": fields.whole_number(
                "max_attempts", minimum=1, required=False
            ),
            "estimated_minutes": minutes or 0,
            "language": fields.choice("language", LANGUAGES, _("language"), "en"),
            "source": file.source,
            "line": fields.line_of("id"),
        }
        if len(folder.name) > _column_length(Module, "folder"):
            file.problem(
                None,
                None,
                _(
                    "the folder name is longer than %(limit)d characters",
                    limit=_column_length(Module, "folder"),
                ),
            )
            return None
        if key is not None and values["position"] is not None:
            self._check_order(file, fields, key, values["position"])
        if values["prerequisites"] is not None and key is not None:
            self.prerequisites.append(
                _Prerequisites(key, file.source, values["prerequisites"])
            )
            values["prerequisites"] = tuple(k for k, _line in values["prerequisites"])
        if fields.has_problems:
            return None
        return values

    def _check_order(self, file: "_File", fields: "_Fields", key: str, order: int):
        if order in self.orders:
            other, source = self.orders[order]
            fields.problem(
                "order",
                _(
                    "%(order)d is already the order of module “%(other)s” in"
                    " %(source)s; each module needs its own",
                    order=order,
                    other=other,
                    source=source,
                ),
            )
        else:
            self.orders[order] = (key, file.source)

    def _lessons(self, folder: Path) -> list[LessonRecord] | None:
        """Read every lesson of a module, and report files that do not belong."""
        records: list[LessonRecord] = []
        orders: dict[int, str] = {}
        failed = False
        for path in sorted(folder.iterdir()):
            name = path.name
            if name.startswith(".") or name in (MODULE_FILE, QUIZ_FILE):
                continue
            if not path.is_file() or not LESSON_FILE_PATTERN.fullmatch(name):
                _File(str(path), self.problems).problem(
                    None,
                    None,
                    _(
                        "does not belong in a module folder, which holds %(module)s,"
                        " %(quiz)s and lessons named like 01-what-trafficking-is.md",
                        module=MODULE_FILE,
                        quiz=QUIZ_FILE,
                    ),
                )
                failed = True
                continue
            record = self._lesson(path, orders)
            if record is None:
                failed = True
            else:
                records.append(record)

        source = str(folder)
        if not failed and not any(record.required for record in records):
            message = _(
                "has no required lesson; a module needs at least one, or nobody"
                " could ever complete it"
            )
            self.problems.append(Problem(source, None, None, message))
            failed = True
        if failed:
            return None
        return sorted(records, key=lambda record: record.position)

    def _lesson(self, path: Path, orders: dict[int, str]) -> LessonRecord | None:
        file = _File(str(path), self.problems)
        text = file.read_text(path)
        if text is None:
            return None
        parts = file.split_front_matter(text)
        if parts is None:
            return None
        front_matter, body, body_line = parts

        fields = file.read_mapping(front_matter, LESSON_FIELDS)
        if fields is None:
            return None
        key = fields.key()
        self._claim_id(file, key, fields.line_of("id"))
        position = fields.whole_number("order", minimum=1)
        if position is not None:
            if position in orders:
                fields.problem(
                    "order",
                    _(
                        "%(order)d is already the order of %(other)s; each lesson of a"
                        " module needs its own",
                        order=position,
                        other=orders[position],
                    ),
                )
            else:
                orders[position] = path.name
        minutes = fields.whole_number("estimated_minutes", minimum=0, required=False)
        values = {
            "key": key,
            "path": path.relative_to(self.root).as_posix(),
            "title": fields.text("title", _column_length(Lesson, "title")),
            "position": position,
            "required": fields.flag("required", default=True),
            "estimated_minutes": minutes or 0,
            "source": file.source,
            "line": fields.line_of("id"),
        }
        if len(values["path"]) > _column_length(Lesson, "path"):
            file.problem(
                None,
                None,
                _(
                    "the path is longer than %(limit)d characters",
                    limit=_column_length(Lesson, "path"),
                ),
            )
        values["body"] = file.check_body(body, body_line)
        if fields.has_problems or values["body"] is None or file.has_problems:
            return None
        return LessonRecord(**values)

    def _quiz(self, folder: Path) -> list[QuestionRecord] | None:
        path = folder / QUIZ_FILE
        file = _File(str(path), self.problems)
        if not path.is_file():
            file.problem(
                None,
                None,
                _(
                    "is missing: every module ends with a quiz in %(file)s",
                    file=QUIZ_FILE,
                ),
            )
            return None

        fields = file.read_mapping(file.read_text(path), QUIZ_FIELDS)
        if fields is None:
            return None
        items = fields.mappings("questions", QUESTION_FIELDS)
        if items is None:
            return None
        if not items and not fields.has_problems:
            fields.problem("questions", _("must list at least one question"))
            return None

        records = []
        for item in items:
            record = self._question(file, item)
            if record is not None:
                records.append(record)
        if file.has_problems:
            return None
        return records

    def _question(self, file: "_File", question: "_Fields") -> QuestionRecord | None:
        key = question.key()
        self._claim_id(file, key, question.line_of("id"))
        kind = question.choice("kind", QUESTION_KINDS, _("question kind"))
        values = {
            "key": key,
            "text": question.text("text", None, one_line=False),
            "kind": kind,
            "explanation": question.text("explanation", None, one_line=False),
            "answers": self._answers(file, question, kind),
            "source": file.source,
            "line": question.line_of("id"),
        }
        if question.has_problems:
            return None
        return QuestionRecord(**values)

    def _answers(
        self, file: "_File", question: "_Fields", kind: str | None
    ) -> tuple[AnswerRecord, ...] | None:
        before = question.problem_count
        items = question.mappings("answers", ANSWER_FIELDS)
        if items is None:
            return None

        answers = []
        seen: dict[str, int] = {}
        for item in items:
            text = item.text("text", None, one_line=False)
            correct = item.flag("correct", default=False)
            if text is None or correct is None:
                continue
            if text in seen:
                item.problem(
                    "text",
                    _(
                        "the same answer is already offered on line %(line)d",
                        line=seen[text],
                    ),
                )
                continue
            seen[text] = item.line_of("text")
            answers.append(AnswerRecord(text, correct))
        if question.problem_count > before:
            return None

        if len(answers) < MIN_ANSWERS:
            question.problem(
                "answers",
                _(
                    "a question needs at least %(least)d answers; this one has"
                    " %(count)d",
                    least=MIN_ANSWERS,
                    count=len(answers),
                ),
            )
            return None
        correct = sum(answer.correct for answer in answers)
        if kind == "single" and correct != 1:
            question.problem(
                "answers",
                _(
                    "a “single” question needs exactly one answer marked"
                    " “correct: true”; this one has %(count)d",
                    count=correct,
                ),
            )
            return None
        if kind == "multiple" and correct < 1:
            question.problem(
                "answers",
                _(
                    "a “multiple” question needs at least one answer marked"
                    " “correct: true”; none is"
                ),
            )
            return None
        return tuple(answers)

    def check_prerequisites(self) -> None:
        """Report prerequisites that name no module, or that go round in a circle."""
        known: dict[str, list[str]] = {}
        lines: dict[tuple[str, str], tuple[str, int]] = {}
        for entry in self.prerequisites:
            required = []
            for key, line in entry.keys:
                problem = None
                if key == entry.module:
                    problem = _("a module cannot require itself")
                elif key not in self.module_keys:
                    problem = _("no module has the id “%(id)s”", id=key)
                if problem is not None:
                    self.problems.append(
                        Problem(entry.source, line, "prerequisites", problem)
                    )
                    continue
                required.append(key)
                lines[(entry.module, key)] = (entry.source, line)
            known[entry.module] = required

        for cycle in _cycles(known):
            source, line = lines[(cycle[-2], cycle[-1])]
            message = _(
                "the prerequisites go round in a circle: %(cycle)s",
                cycle=" → ".join(cycle),
            )
            self.problems.append(Problem(source, line, "prerequisites", message))


def _cycles(graph: dict[str, list[str]]) -> Iterator[list[str]]:
    """Each circle of prerequisites once, as the path that closes it."""
    state: dict[str, str] = {}
    reported: set[frozenset[str]] = set()

    def visit(node: str, path: list[str]) -> Iterator[list[str]]:
        state[node] = "open"
        path.append(node)
        for after in graph.get(node, ()):
            if state.get(after) == "open":
                cycle = path[path.index(after) :] + [after]
                members = frozenset(cycle)
                if members not in reported:
                    reported.add(members)
                    yield cycle
            elif after not in state:
                yield from visit(after, path)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            yield from visit(node, [])


class _File:
    """One file being read: where its problems go, and how its YAML is parsed."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        self.problem_count = 0

    @property
    def has_problems(self) -> bool:
        return self.problem_count > 0

    def problem(self, line: int | None, field: str | None, message: str) -> None:
        self.problems.append(Problem(self.source, line, field, message))
        self.problem_count += 1

    def read_text(self, path: Path) -> str | None:
        """The file's text with its line endings made ``\\n``; ``None`` if unreadable."""
        try:
            return path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            self.problem(None, None, _("the file is not UTF-8 text"))
        except OSError as error:
            self.problem(None, None, error.strerror or str(error))
        return None

    def read_mapping(
        self, text: str | None, known: tuple[str, ...]
    ) -> "_Fields | None":
        """Parse YAML that must be one mapping of the ``known`` fields."""
        if text is None:
            return None
        try:
            # The loader checks every character as it is made, so a character YAML
            # does not allow is refused here, as a problem with its line.
            loader = yaml.SafeLoader(text)
            node = loader.get_single_node()
        except yaml.YAMLError as error:
            line, message = describe_yaml_error(error, text)
            self.problem(line, None, _("not valid YAML: %(error)s", error=message))
            return None

        if node is None:
            self.problem(
                1,
                None,
                _("is empty; expected the fields %(known)s", known=", ".join(known)),
            )
            return None
        if not isinstance(node, MappingNode):
            self.problem(
                _line(node),
                None,
                _(
                    "expected “field: value” lines, one for each of %(known)s",
                    known=", ".join(known),
                ),
            )
            return None
        return _Fields(node, known, self, loader)

    def split_front_matter(self, text: str) -> tuple[str, str, int] | None:
        """Split a lesson into its front matter and its body.

        The front matter keeps its opening ``---``, which YAML reads as the start of
        a document, so that the lines YAML reports are the file's own. Returns the
        front matter, the body and the line the body starts on.
        """
        lines = text.split("\n")
        if lines[0].rstrip() != "---":
            self.problem(
                1,
                None,
                _(
                    "a lesson starts with its front matter: a line “---”, the fields"
                    " id, title and order, then another line “---”"
                ),
            )
            return None
        for index in range(1, len(lines)):
            if lines[index].rstrip() == "---":
                front_matter = "\n".join(lines[:index]) + "\n"
                body = "\n".join(lines[index + 1 :])
                return front_matter, body, index + 2
        self.problem(
            1,
            None,
            _("the front matter that starts here is never closed by a line “---”"),
        )
        return None

    def check_body(self, body: str, first_line: int) -> str | None:
        """Check a lesson's Markdown; return it trimmed, or ``None`` if it is wrong."""
        count = self.problem_count
        for number, text in enumerate(body.split("\n")):
            if has_control_characters(text, allowed=LINE_BREAKS_AND_TABS):
                message = _("the text holds control characters; remove them")
                self.problem(first_line + number, None, message)
                return None
        tokens = _markdown_checker.parse(body)
        if not any(
            token.type == "inline" and token.content.strip() for token in tokens
        ):
            self.problem(
                first_line, None, _("the lesson has no text after its front matter")
            )
            return None

        for token in tokens:
            line = first_line + token.map[0] if token.map else None
            if token.type == "heading_open" and token.tag not in LESSON_HEADINGS:
                self.problem(
                    line,
                    None,
                    _(
                        "use “##” and “###” headings only; the page shows the lesson’s"
                        " title as its main heading"
                    ),
                )
            elif token.type == "html_block":
                self.problem(line, None, _("raw HTML is not allowed; write Markdown"))
            elif token.type == "inline":
                self._check_inline(token, line)
        self._check_sources(tokens, first_line, body)
        if self.problem_count > count:
            return None
        return _trimmed(body)

    def _check_inline(self, token, line: int | None) -> None:
        for child in token.children or ():
            if child.type in ("softbreak", "hardbreak") and line is not None:
                line += 1
            elif child.type == "html_inline":
                self.problem(line, None, _("raw HTML is not allowed; write Markdown"))
            elif child.type == "image":
                self.problem(
                    line,
                    None,
                    _("images are not allowed in lessons; describe it in words"),
                )

    def _check_sources(self, tokens, first_line: int, body: str) -> None:
        """The last ``##`` heading must be Sources, with a list of web addresses."""
        headings = [
            index
            for index, token in enumerate(tokens)
            if token.type == "heading_open" and token.tag == "h2"
        ]
        last = headings[-1] if headings else None
        if last is None or tokens[last + 1].content.strip() != SOURCES_HEADING:
            line = first_line + tokens[last].map[0] if last is not None else None
            self.problem(
                line or first_line + body.rstrip().count("\n"),
                None,
                _(
                    "a lesson ends with a “## %(heading)s” section listing the public"
                    " sources of its facts",
                    heading=SOURCES_HEADING,
                ),
            )
            return

        items = _list_items(tokens[last + 3 :])
        if not items:
            self.problem(
                first_line + tokens[last].map[0],
                None,
                _(
                    "the “## %(heading)s” section needs a list, one source per item",
                    heading=SOURCES_HEADING,
                ),
            )
        for line, text in items:
            if not _WEB_ADDRESS.search(text):
                self.problem(
                    first_line + line,
                    None,
                    _("each source needs its web address, starting with https://"),
                )


def _list_items(tokens) -> list[tuple[int, str]]:
    """The top-level items of the lists among ``tokens``: first line and all text."""
    items: list[tuple[int, str]] = []
    depth = 0
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "list_item_open" and depth == 1:
            items.append((token.map[0], ""))
        elif token.type == "inline" and items and depth >= 1:
            line, text = items[-1]
            links = " ".join(
                child.attrGet("href") or ""
                for child in token.children or ()
                if child.type == "link_open"
            )
            items[-1] = (line, f"{text} {token.content} {links}")
    return items


def _trimmed(body: str) -> str:
    """The body without blank lines before it or trailing space after it."""
    lines = body.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines).rstrip()


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Fields:
    """The fields of one YAML mapping, read one by one with a located problem each.

    A reader that finds a mistake records it and returns ``None`` rather than
    stopping, so that one file reports all of its mistakes at once.
    """

    def __init__(
        self,
        node: MappingNode,
        known: tuple[str, ...],
        file: _File,
        loader: yaml.SafeLoader,
        parent: "_Fields | None" = None,
    ):
        self.file = file
        self.loader = loader
        #: The mapping this one is an item of; its problems count there too.
        self.parent = parent
        self.line = _line(node)
        self.problem_count = 0
        self.values: dict[str, Node] = {}
        self.key_lines: dict[str, int] = {}

        for key_node, value_node in node.value:
            line = _line(key_node)
            if not isinstance(key_node, ScalarNode):
                self.problem(None, _("a field name must be a single word"), line)
                continue
            key = key_node.value
            if key in self.values:
                self.problem(
                    key,
                    _(
                        "appears twice; the first is on line %(line)d",
                        line=self.key_lines[key],
                    ),
                    line,
                )
            elif key not in known:
                self.problem(
                    key,
                    _(
                        "unknown field; expected one of: %(known)s",
                        known=", ".join(known),
                    ),
                    line,
                )
            else:
                self.values[key] = value_node
                self.key_lines[key] = line

    @property
    def has_problems(self) -> bool:
        return self.problem_count > 0

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def problem(self, key: str | None, message: str, line: int | None = None) -> None:
        self.file.problem(
            line or (self.line_of(key) if key else self.line), key, message
        )
        fields = self
        while fields is not None:
            fields.problem_count += 1
            fields = fields.parent

    def _scalar(self, key: str, required: bool):
        """The plain value of a field; ``None`` when it is absent, empty or wrong."""
        node = self.values.get(key)
        if node is None:
            if required:
                self.problem(key, _("is required"))
            return None
        if not isinstance(node, ScalarNode):
            self.problem(key, _("must be a single value, not a list or a mapping"))
            return None
        try:
            value = self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as error:
            self.problem(key, _("cannot be read: %(error)s", error=error))
            return None
        if value is None and required:
            self.problem(key, _("is required"))
        return value

    def text(
        self,
        key: str,
        limit: int | None,
        *,
        required: bool = True,
        one_line: bool = True,
    ) -> str | None:
        """Read text, trimmed; titles must fit on one line."""
        value = self._scalar(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(key, _("must be text; put it in quotes"))
            return None

        value = value.strip()
        if not value:
            if required:
                self.problem(key, _("must not be empty"))
            return None
        problem = text_problem(value, limit, one_line=one_line)
        if problem:
            self.problem(key, problem)
            return None
        return value

    def key(self) -> str | None:
        """Read the ``id``: lower-case words joined by hyphens."""
        value = self.text("id", None)
        if value is None:
            return None
        if not SLUG_PATTERN.fullmatch(value):
            self.problem(
                "id",
                _(
                    "“%(value)s” is not a valid id: use lower-case letters and digits,"
                    " words joined by single hyphens",
                    value=value,
                ),
            )
            return None
        if len(value) > KEY_MAX_LENGTH:
            self.problem(
                "id",
                _(
                    "is %(length)d characters long; at most %(limit)d are allowed",
                    length=len(value),
                    limit=KEY_MAX_LENGTH,
                ),
            )
            return None
        return value

    def whole_number(
        self,
        key: str,
        *,
        minimum: int,
        maximum: int | None = None,
        required: bool = True,
    ) -> int | None:
        value = self._scalar(key, required)
        if value is None:
            return None
        wrong = isinstance(value, bool) or not isinstance(value, int)
        if wrong or value < minimum or (maximum is not None and value > maximum):
            if maximum is None:
                message = _(
                    "must be a whole number, %(minimum)d or more", minimum=minimum
                )
            else:
                message = _(
                    "must be a whole number from %(minimum)d to %(maximum)d",
                    minimum=minimum,
                    maximum=maximum,
                )
            self.problem(key, message)
            return None
        return value

    def flag(self, key: str, *, default: bool) -> bool | None:
        value = self._scalar(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(key, _("must be true or false"))
            return None
        return value

    def choice(self, key: str, known, kind: str, default: str | None = None):
        value = self._scalar(key, default is None)
        if value is None:
            return default
        if not isinstance(value, str) or value not in known:
            self.problem(
                key,
                _(
                    "unknown %(kind)s “%(value)s”; expected one of: %(known)s",
                    kind=kind,
                    value=value,
                    known=", ".join(known),
                ),
            )
            return None
        return value

    def _sequence(self, key: str, *, required: bool) -> SequenceNode | None:
        node = self.values.get(key)
        if node is None or (isinstance(node, ScalarNode) and node.value == ""):
            if required:
                self.problem(key, _("is required"))
            return None
        if not isinstance(node, SequenceNode):
            self.problem(key, _("must be a list, each item starting with “-”"))
            return None
        return node

    def key_list(self, key: str) -> list[tuple[str, int]] | None:
        """Read a list of ids, each with its line; a missing list is an empty one."""
        before = self.problem_count
        node = self._sequence(key, required=False)
        if node is None:
            return None if self.problem_count > before else []

        keys: list[tuple[str, int]] = []
        for item in node.value:
            line = _line(item)
            value = item.value if isinstance(item, ScalarNode) else None
            if not isinstance(value, str) or not SLUG_PATTERN.fullmatch(value):
                self.problem(key, _("each item must be the id of a module"), line)
            elif value in (known for known, _line_number in keys):
                self.problem(key, _("“%(id)s” is listed twice", id=value), line)
            else:
                keys.append((value, line))
        return keys

    def mappings(self, key: str, known: tuple[str, ...]) -> list["_Fields"] | None:
        """Read a required list of mappings, such as the questions or the answers."""
        node = self._sequence(key, required=True)
        if node is None:
            return None

        items = []
        for item in node.value:
            if isinstance(item, MappingNode):
                items.append(_Fields(item, known, self.file, self.loader, parent=self))
            else:
                message = _("each item must be a set of “field: value” lines")
                self.problem(key, message, _line(item))
        return items

"""A small valid curriculum written to a folder, for tests that sync one.

Two modules: ``basics`` (two required lessons and an optional one, two questions)
and ``next-steps``, which requires ``basics`` (one lesson, one question). Tests
change it file by file with :func:`edit_line` or by rewriting a file.
"""

from pathlib import Path

SOURCES = """\
## Sources

- National Human Trafficking Hotline: https://humantraffickinghotline.org/
"""


def lesson(key, title, order, body="A paragraph of the lesson.", **fields):
    """The text of a lesson file; ``fields`` adds or overrides front matter lines."""
    front = {"id": key, "title": title, "order": order, **fields}
    lines = [f"{name}: {value}" for name, value in front.items() if value is not None]
    return "---\n" + "\n".join(lines) + f"\n---\n\n{body}\n\n{SOURCES}"


SMALL_CURRICULUM = {
    "01-basics/module.yaml": """\
id: basics
title: The basics
summary: >
  What every leader needs first.
order: 1
prerequisites: []
pass_mark: 50
max_attempts: null
estimated_minutes: 30
language: en
""",
    "01-basics/01-first-steps.md": lesson("basics-first-steps", "First steps", 1),
    "01-basics/02-second-steps.md": lesson("basics-second-steps", "Second steps", 2),
    "01-basics/03-further-reading.md": lesson(
        "basics-further-reading", "Further reading", 3, required="false"
    ),
    "01-basics/quiz.yaml": """\
questions:
  - id: basics-hotline
    text: Which number reaches the national hotline?
    kind: single
    answers:
      - text: 1-888-373-7888
        correct: true
      - text: Dial 411
      - text: Dial 311
    explanation: >
      The National Human Trafficking Hotline answers at 1-888-373-7888.
  - id: basics-elements
    text: Which of these are elements of the definition?
    kind: multiple
    answers:
      - text: The act
        correct: true
      - text: The means
        correct: true
      - text: A border crossing
    explanation: Act, means and purpose; no border is needed.
""",
    "02-next-steps/module.yaml": """\
id: next-steps
title: Next steps
summary: What comes after the basics.
order: 2
prerequisites:
  - basics
pass_mark: 100
max_attempts: 3
estimated_minutes: 20
""",
    "02-next-steps/01-going-on.md": lesson("next-steps-going-on", "Going on", 1),
    "02-next-steps/quiz.yaml": """\
questions:
  - id: next-steps-who-calls
    text: Who should contact the person at risk?
    kind: single
    answers:
      - text: Trained responders
        correct: true
      - text: The TFC leader, alone
    explanation: Trained responders know how to keep the person safe.
""",
}


def write_curriculum(root: Path, files: dict[str, str] | None = None) -> Path:
    """Write ``files`` (the small curriculum by default) under ``root``; return it."""
    for name, text in (SMALL_CURRICULUM if files is None else files).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def edit_line(path: Path, number: int, replacement: str | None) -> None:
    """Replace line ``number`` (1-based) of a file; ``None`` removes the line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if replacement is None:
        del lines[number - 1]
    else:
        lines[number - 1] = replacement
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

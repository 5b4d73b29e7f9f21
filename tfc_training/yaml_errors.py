"""Where a YAML file went wrong, in words and a line number people can act on."""

import yaml


def describe_yaml_error(error: yaml.YAMLError, text: str) -> tuple[int | None, str]:
    """The line of ``error`` in ``text`` (or ``None``) and what the reader said.

    Both the event files and the curriculum files report syntax mistakes this way,
    so an organiser and a curriculum author read the same kind of message.
    """
    if isinstance(error, yaml.reader.ReaderError):
        # A character YAML does not allow: the reader knows only its position.
        line = text.count("\n", 0, error.position) + 1
        return line, f"character #x{error.character:04x}: {error.reason}"

    problem_mark = getattr(error, "problem_mark", None)
    context_mark = getattr(error, "context_mark", None)
    mark = problem_mark or context_mark
    message = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    if context and context_mark is not None and context_mark is not mark:
        message = f"{message} ({context} on line {context_mark.line + 1})"
    elif context:
        message = f"{message} ({context})"
    return (mark.line + 1 if mark is not None else None), message

"""Event descriptions: Markdown written by organisers, shown safely."""

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in the source is shown as text, never passed through; the sanitiser
# below is a second line of defence for what Markdown itself produces.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")

# Lessons cite their sources as bare web addresses. Only addresses written with their
# scheme become links, so that a file name such as "notes.md" stays plain text.
_linkifying_markdown = MarkdownIt(
    "commonmark", {"html": False, "linkify": True}
).enable(["table", "linkify"])
_linkifying_markdown.linkify.set({"fuzzy_link": False, "fuzzy_email": False})

_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h2",
    "h3",
    "h4",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


# Event pages and lessons show the same few texts again and again; the HTML depends
# on the source alone, so it is made once rather than on every request.
@lru_cache(maxsize=1024)
def render_markdown(source: str, *, linkify: bool = False) -> Markup:
    """Render Markdown to sanitised HTML, with links marked as leading off the site.

    With ``linkify``, bare ``http(s)://`` addresses in the text become links too.
    """
    parser = _linkifying_markdown if linkify else _markdown
    cleaned = nh3.clean(
        parser.render(source or ""),
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"class": "external"}},
    )
    return Markup(cleaned)


# A feed writes the same descriptions on every request; parsing them again each time
# was most of the cost of building one. The text depends on the source alone.
@lru_cache(maxsize=4096)
def markdown_to_text(source: str) -> str:
    """Turn Markdown into plain text for calendars, keeping each link's address."""
    parts: list[str] = []
    for token in _markdown.parse(source or ""):
        if token.type == "inline":
            parts.append(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
        elif token.type == "list_item_open":
            parts.append("- ")
        elif token.type in ("paragraph_close", "heading_close"):
            parts.append("\n" if token.hidden else "\n\n")
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            parts.append("\n")
    text = "".join(parts)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _inline_text(children) -> str:
    words: list[str] = []
    link_start, href = 0, None
    for child in children:
        if child.type in ("text", "code_inline"):
            words.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            words.append("\n")
        elif child.type == "image":
            words.append(child.content)
        elif child.type == "link_open":
            link_start, href = len(words), child.attrGet("href")
        elif child.type == "link_close" and href:
            label = "".join(words[link_start:])
            if label != href:
                words.append(f" ({href})")
            href = None
    return "".join(words)

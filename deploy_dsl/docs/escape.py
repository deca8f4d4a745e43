"""One escaping function per output language, for every user string the generators write.

- Markdown (and the HTML a Markdown page may hold): `md_text` for prose, headings and link
  texts; `md_cell` for table cells; `md_code` for inline code spans.
- Mermaid flowchart labels (quoted): `mermaid_text`.
- Mermaid gantt task and section labels: `gantt_text`.
- The README's generated block: `readme_text` for its Markdown, `readme_fence_name` for the
  workflow name its HTML-comment fences carry.

Each also shows characters that would not show (control characters, bidirectional controls,
zero-width characters) as `\\uXXXX`, so what is shown is what the definition holds.
"""

from __future__ import annotations

import re

__all__ = [
    "gantt_text",
    "md_cell",
    "md_cell_code",
    "md_code",
    "md_text",
    "mermaid_text",
    "readme_fence_name",
    "readme_text",
    "visible",
]


def visible(text: str) -> str:
    """`text` with every character that does not print (category C*, Z* but the space) shown
    as its escape: a reader sees `\\u202e`, not text that reads backwards."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() or char in "\n\t" else ascii(char)[1:-1] for char in text
    )


def _one_line(text: str) -> str:
    return visible(" ".join(text.split()))


# -- Markdown ------------------------------------------------------------------------------

# HTML: as entities, so no tag, comment or entity of the user's can open. Markdown: a
# backslash before every character that starts emphasis, code, a link, a table cell or
# strikethrough.
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_INLINE = re.compile(r"[\\`*\[\]|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|[&<>]")
# What starts a block at the beginning of a line: a heading, a quote, a list item, a setext
# underline, a fence, an indented code block (leading blanks are dropped).
_MD_LINE_START = re.compile(r"^(#|=|-|\+|\d+(?=[.)]))")


def _md_inline(match: re.Match[str]) -> str:
    char = match.group(0)
    return _MD_ENTITIES.get(char) or f"\\{char}"


def md_text(text: str) -> str:
    """Text that renders as itself in Markdown: never HTML, a heading, a list, a fence, a
    link or emphasis. Line breaks stay line breaks (paragraphs in a description)."""
    lines = []
    for line in visible(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _MD_INLINE.sub(_md_inline, line.strip())
        lines.append(_MD_LINE_START.sub(r"\\\1", line))
    return "\n".join(lines)


def md_cell(text: str) -> str:
    """Text for a Markdown table cell: `md_text` on one line (a pipe would end the cell)."""
    return md_text(" ".join(text.split()))


def md_cell_code(text: str) -> str:
    """An inline code span inside a table cell: a pipe ends the cell even inside a code span."""
    return md_code(text).replace("|", "\\|")


def md_code(text: str) -> str:
    """An inline code span that holds `text` verbatim, backticks included (HTML inside a code
    span is shown, not interpreted)."""
    text = _one_line(text)
    fence = "`"
    while fence in text:
        fence += "`"
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


# -- Mermaid flowchart ---------------------------------------------------------------------

# Mermaid reads `#name;` / `#NN;` as an entity inside labels, so `#` itself must be one too.
# The others would end a quoted label (`"`) or an edge label (`|`), be read as HTML (`<`, `&`)
# or start a Markdown string (backtick). `:` and `%` too, because Mermaid's preprocessor cuts a
# `;` off lines matching `style...:...#...;` and reads `%%{` anywhere as a directive. Brackets
# and braces need nothing: a quoted label ends only at a quote.
_MERMAID_ENTITIES = str.maketrans(
    {
        "#": "#35;",
        '"': "#quot;",
        "&": "#amp;",
        "<": "#lt;",
        ">": "#gt;",
        "|": "#124;",
        "`": "#96;",
        ":": "#58;",
        "%": "#37;",
    }
)


def mermaid_text(text: str) -> str:
    """Text that can sit inside a quoted Mermaid flowchart label and renders as itself."""
    return _one_line(text).translate(_MERMAID_ENTITIES)


# -- Mermaid gantt -------------------------------------------------------------------------

# A gantt line is read by a lexer that tries its keywords before task text (mermaid's
# gantt.jison, case-insensitive): a label starting with one of them (`click stream`,
# `topAxis`, `weekday monday`, `dateFormat x`, a date) is read as that statement. Its first
# character is then written as an entity, which Mermaid decodes only after parsing.
_GANTT_KEYWORD = re.compile(
    r"(?i)(accdescr|acctitle|axisformat|call|click|dateformat|excludes|gantt|href|includes"
    r"|inclusiveenddates|section|tickinterval|title|todaymarker|topaxis|weekday|weekend"
    r"|\d{4}-\d\d-\d\d)"
)
# `:` ends a task's text, `#` and `;` end a statement's value, `%%` starts a comment or (`%%{`)
# a directive anywhere, `&`, `<` and `>` are HTML in the drawn text.
_GANTT_ENTITIES = str.maketrans(
    {"#": "#35;", ":": "#58;", ";": "#59;", "%": "#37;", "&": "#amp;", "<": "#lt;", ">": "#gt;"}
)


def gantt_text(text: str) -> str:
    """A gantt task or section label that Mermaid reads as text and draws as `text`."""
    shown = _one_line(text) or "?"
    escaped = shown.translate(_GANTT_ENTITIES)
    if _GANTT_KEYWORD.match(shown):
        escaped = f"#{ord(shown[0])};{escaped[1:]}"
    return escaped


# -- The README's generated block ----------------------------------------------------------


def readme_text(text: str) -> str:
    """Markdown of the README block: `md_text`, on one line (it sits in a list of links)."""
    return md_cell(text)


def readme_fence_name(name: str) -> str:
    """The workflow name in the block's `<!-- BEGIN/END ... NAME -->` fences: a name that
    could end the comment or the line is written so that it no longer matches itself, and the
    next `build --readme` refuses the block instead of growing the README (validation refuses
    such names first: DSL068)."""
    return _one_line(name).replace("--", "-\\-").replace(">", "&gt;")

"""Escaping text for the two languages the docs are written in: Mermaid labels and Markdown."""

from __future__ import annotations

__all__ = ["md_cell", "md_code", "mermaid_text"]

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
    """Text that can sit inside a quoted Mermaid label and renders as itself."""
    return " ".join(text.split()).translate(_MERMAID_ENTITIES)


def md_code(text: str) -> str:
    """An inline code span that holds `text` verbatim, backticks included."""
    text = " ".join(text.split())
    fence = "`"
    while fence in text:
        fence += "`"
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def md_cell(text: str) -> str:
    """Text for a Markdown table cell: a pipe would end the cell, even inside a code span."""
    return " ".join(text.split()).replace("|", "\\|")

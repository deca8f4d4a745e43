"""A small Python expression tree: each node knows its source text and the value it builds.

The importer builds the objects it is about to write (to check them against the JSON) and the
code that builds them in one step, so the two cannot drift apart. Layout is a simple
"one line if it fits, else one item per line" in ruff's style; `ruff format` may polish it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

__all__ = [
    "WIDTH",
    "Atom",
    "Call",
    "DictNode",
    "FString",
    "ListNode",
    "Node",
    "Statement",
    "Str",
    "literal",
    "quote",
]

WIDTH = 100
_INDENT = 4
_CHUNK_MIN = 30


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escaped(char: str, quote_char: str) -> str:
    """`char` as it is written inside a literal quoted with `quote_char`."""
    if char == quote_char:
        return "\\" + char
    if " " <= char <= "~" and char != "\\":
        return char
    # ascii() escapes the rest, non-ASCII included: ruff flags characters that look like
    # ASCII ones (RUF001), e.g. U+2019.
    return _ESCAPES.get(char) or ascii(char)[1:-1]


class _Escapes(dict[int, str]):
    """A `str.translate` table for one quote character, filled as characters turn up: after
    the first of each, a character costs one lookup in C, so a 1 MB value takes
    milliseconds (the importer quotes each string once per node that encloses it)."""

    def __init__(self, quote_char: str) -> None:
        super().__init__()
        self.quote_char = quote_char

    def __missing__(self, code: int) -> str:
        escaped = self[code] = _escaped(chr(code), self.quote_char)
        return escaped


class _Widths(dict[int, str]):
    """A `str.translate` table from a character to chr(its width in a double-quoted
    literal): the widths of a whole line in one C pass, as the bytes of the result."""

    def __missing__(self, code: int) -> str:
        width = self[code] = chr(len(_escaped(chr(code), '"')))
        return width


_TABLES: dict[str, _Escapes] = {}
_WIDTHS = _Widths()


def quote(text: str, quote_char: str | None = None) -> str:
    """A Python string literal for `text`: double quotes unless the text has some and no
    single ones (ruff format's preference), or as told."""
    if quote_char is None:
        quote_char = "'" if '"' in text and "'" not in text else '"'
    table = _TABLES.get(quote_char) or _TABLES.setdefault(quote_char, _Escapes(quote_char))
    return quote_char + text.translate(table) + quote_char


class Node(ABC):
    """A Python expression: `flat()` is its one-line source, `value` what it evaluates to."""

    value: Any

    @abstractmethod
    def flat(self) -> str: ...

    def needs(self) -> frozenset[str]:
        """The module-level names the source uses (what the module must define or import)."""
        return frozenset()

    def exploded(self, indent: int) -> str:
        """The source spread over lines, the first one starting at column `indent`."""
        return self.flat()

    def multiline(self) -> bool:
        """True when the node reads better over several lines whatever its length."""
        return False

    def layout(self, indent: int, used: int) -> str:
        """The flat form if it fits after `used` columns, else the exploded one."""
        flat = self.flat()
        fits = used + len(flat) <= WIDTH and not self.multiline()
        return flat if fits else self.exploded(indent)


@dataclass
class Atom(Node):
    """Source that never breaks: a number, a name, a reference chain."""

    code: str
    value: Any = None
    uses: frozenset[str] = frozenset()

    def flat(self) -> str:
        return self.code

    def needs(self) -> frozenset[str]:
        return self.uses


def _chunks(text: str, size: int) -> list[str]:
    """`text` cut after newlines and, where its literal is still wider than `size`, after
    the last space that fits (anywhere when there is none).

    Linear in the length of `text`: the widths of the line's characters are summed once and
    each piece is found by a binary search in the sums (re-quoting the rest of the line for
    every piece made a 400,000-character value take minutes)."""
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        width = _prefix_widths(line)  # width[i]: columns of line[:i] inside double quotes
        start, length = 0, len(line)
        while width[length] - width[start] > size:
            # The most characters from `start` that fit: line[start:end].
            end = bisect_right(width, width[start] + size, start, length) - 1
            space = line.rfind(" ", start, end)
            cut = space + 1 if space >= 0 else max(end, start + 1)
            pieces.append(line[start:cut])
            start = cut
        if start < length:
            pieces.append(line[start:])
    return pieces


def _prefix_widths(line: str) -> list[int]:
    """Running totals of how many columns each character of `line` takes in a double-quoted
    literal (1 for most, 2 for `\\n` or `\\"`, up to 10 for `\\U0001f600`)."""
    return [0, *accumulate(line.translate(_WIDTHS).encode("latin-1"))]


def _chunk_size(indent: int) -> int:
    """Characters of text per piece so that a quoted piece fits on its line (most escapes)."""
    return max(_CHUNK_MIN, WIDTH - indent - _INDENT - 8)


def _concatenation(parts: Sequence[str], indent: int) -> str:
    """Implicitly concatenated literals in parentheses, one per line."""
    inner = " " * (indent + _INDENT)
    body = "".join(f"\n{inner}{part}" for part in parts)
    return f"({body}\n{' ' * indent})"


@dataclass
class Str(Node):
    """A string literal; long ones become triple-quoted text or a concatenation of pieces."""

    value: str

    def flat(self) -> str:
        return quote(self.value)

    def multiline(self) -> bool:
        # A script or a text of several lines reads as itself in triple quotes.
        return "\n" in self.value.rstrip("\n") and self._triple_quotable(0)

    def layout(self, indent: int, used: int) -> str:
        if self.multiline() and self._triple_quotable(used):
            return '"""' + self.value + '"""'
        flat = self.flat()
        return flat if used + len(flat) <= WIDTH else self.exploded(indent)

    def exploded(self, indent: int) -> str:
        # On lines of their own inside parentheses: ruff format keeps those as they are.
        if indent + _INDENT + len(self.flat()) <= WIDTH:
            return _concatenation([self.flat()], indent)
        pieces = _chunks(self.value, _chunk_size(indent))
        return _concatenation([quote(piece) for piece in pieces], indent)

    def _triple_quotable(self, used: int) -> bool:
        text = self.value
        lines = text.split("\n")
        return (
            text.isascii()
            and "\\" not in text
            and '"""' not in text
            and not text.endswith('"')
            and all(line.isprintable() and line == line.rstrip() for line in lines)
            and used + 3 + len(lines[0]) <= WIDTH
            and all(len(line) <= WIDTH - 4 for line in lines[1:])
        )


@dataclass
class FString(Node):
    """A string with embedded references: literal text and reference atoms, in order."""

    parts: list[str | Atom]
    value: str = ""

    def __post_init__(self) -> None:
        self.value = "".join(p if isinstance(p, str) else str(p.value) for p in self.parts)

    def flat(self) -> str:
        return self._literal(self.parts)

    def needs(self) -> frozenset[str]:
        return frozenset().union(*(p.needs() for p in self.parts if isinstance(p, Atom)))

    def exploded(self, indent: int) -> str:
        if indent + _INDENT + len(self.flat()) <= WIDTH:
            return _concatenation([self.flat()], indent)
        size = _chunk_size(indent)
        pieces: list[list[str | Atom]] = [[]]
        length = 0
        for part in self.parts:
            for piece in _chunks(part, size) if isinstance(part, str) else [part]:
                width = len(self._literal([piece])) - (2 if isinstance(piece, str) else 3)
                if length and length + width > size:
                    pieces.append([])
                    length = 0
                pieces[-1].append(piece)
                length += width
        return _concatenation([self._literal(piece) for piece in pieces], indent)

    @staticmethod
    def _literal(parts: Sequence[str | Atom]) -> str:
        if all(isinstance(p, str) for p in parts):
            return quote("".join(p for p in parts if isinstance(p, str)))
        body = [
            quote(p, '"')[1:-1].replace("{", "{{").replace("}", "}}")
            if isinstance(p, str)
            else "{" + p.code + "}"
            for p in parts
        ]
        return 'f"' + "".join(body) + '"'


def _items(opening: str, items: Sequence[tuple[str, Node]], closing: str, indent: int) -> str:
    inner = indent + _INDENT
    lines = [
        f"{' ' * inner}{prefix}{node.layout(inner, inner + len(prefix) + 1)},"
        for prefix, node in items
    ]
    return opening + "\n" + "\n".join(lines) + "\n" + " " * indent + closing


@dataclass
class Call(Node):
    """`func(arg, ..., key=value, ...)`; `value` is the object the call built."""

    func: str
    args: list[Node]
    kwargs: list[tuple[str, Node]]
    value: Any = field(default=None)

    def _entries(self) -> list[tuple[str, Node]]:
        return [("", arg) for arg in self.args] + [(f"{k}=", v) for k, v in self.kwargs]

    def flat(self) -> str:
        inside = ", ".join(prefix + node.flat() for prefix, node in self._entries())
        return f"{self.func}({inside})"

    def needs(self) -> frozenset[str]:
        own = frozenset({self.func.split(".")[0]})
        return own.union(*(node.needs() for _, node in self._entries()))

    def multiline(self) -> bool:
        return any(node.multiline() for _, node in self._entries())

    def exploded(self, indent: int) -> str:
        if not self.args and not self.kwargs:
            return self.flat()
        return _items(f"{self.func}(", self._entries(), ")", indent)


@dataclass
class DictNode(Node):
    items: list[tuple[Node, Node]]
    value: dict[Any, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.value = {key.value: item.value for key, item in self.items}

    def flat(self) -> str:
        return "{" + ", ".join(f"{k.flat()}: {v.flat()}" for k, v in self.items) + "}"

    def needs(self) -> frozenset[str]:
        return frozenset().union(*(k.needs() | v.needs() for k, v in self.items))

    def multiline(self) -> bool:
        return any(value.multiline() for _, value in self.items)

    def exploded(self, indent: int) -> str:
        if not self.items:
            return "{}"
        return _items("{", [(f"{k.flat()}: ", v) for k, v in self.items], "}", indent)


@dataclass
class ListNode(Node):
    items: list[Node]
    value: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.value = [item.value for item in self.items]

    def flat(self) -> str:
        return "[" + ", ".join(item.flat() for item in self.items) + "]"

    def needs(self) -> frozenset[str]:
        return frozenset().union(*(item.needs() for item in self.items))

    def multiline(self) -> bool:
        return any(item.multiline() for item in self.items)

    def exploded(self, indent: int) -> str:
        if not self.items:
            return "[]"
        return _items("[", [("", item) for item in self.items], "]", indent)


def literal(value: Any) -> Node:
    """The Python literal of a JSON value (`true` -> `True`, `null` -> `None`)."""
    if isinstance(value, str):
        return Str(value)
    if isinstance(value, dict):
        return DictNode([(Str(str(k)), literal(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ListNode([literal(item) for item in value])
    if value is None or isinstance(value, bool | int | float):
        return Atom(repr(value), value)
    raise TypeError(f"not a JSON value: {value!r}")


@dataclass
class Statement:
    """`name = node` at module level, with an optional comment line above it."""

    name: str
    node: Node
    comment: str | None = None
    annotation: str | None = None

    def source(self) -> str:
        head = f"# {self.comment}\n" if self.comment else ""
        target = f"{self.name}: {self.annotation}" if self.annotation else self.name
        return f"{head}{target} = {self.node.layout(0, len(target) + 3)}"

    def needs(self) -> frozenset[str]:
        """The names the statement uses: its value's, and its annotation."""
        return self.node.needs() | ({self.annotation} if self.annotation else set())

"""Long string values: the importer's work grows linearly with their length, and the pieces
it cuts a long literal into are the ones the original (quadratic) algorithm chose.

Issue 17, finding 5: a 400,000-character value took 90 s to import, because every piece cut
off a long line re-quoted the whole rest of the line.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy_dsl.importer import import_files, pycode
from tests.importer.helpers import canonical, import_package, package_dir


def _workflow_with_text(text: str) -> dict[str, Any]:
    task = {
        "name": "t",
        "taskReferenceName": "t",
        "type": "SIMPLE",
        "inputParameters": {"text": text},
    }
    return {
        "name": "long_text",
        "version": 1,
        "ownerEmail": "team@example.com",
        "schemaVersion": 2,
        "tasks": [task],
    }


def _prose(length: int) -> str:
    """Words, quotes, escapes and non-ASCII on one line: every width the literal can have."""
    words = ["deploy", '"blue"', "it's", "a\\b", "caf\u00e9", "\u2019x\u2019", "\U0001f680", "\t"]
    text = " ".join(words[i % len(words)] for i in range(length // 4 + 1))
    return text[:length]


def _counting(function: Callable[..., Any] | None, counter: list[int]) -> Callable[..., Any]:
    def counted(text: str, *args: Any) -> Any:
        counter[0] += len(text)
        assert function is not None
        return function(text, *args)

    return counted


def test_the_work_per_character_does_not_grow_with_the_length(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts the characters the layout code looks at, not seconds: linear work means the
    same count per character of the value at 20,000 and at 100,000 characters (the original
    code looked at n**2/140 characters: 70 million for 100,000)."""
    per_character = []
    for length in (20_000, 100_000):
        seen = [0]
        monkeypatch.setattr(pycode, "quote", _counting(pycode.quote, seen))
        widths = getattr(pycode, "_prefix_widths", None)  # the original code had none
        monkeypatch.setattr(pycode, "_prefix_widths", _counting(widths, seen), raising=False)
        source = tmp_path / f"long{length}.json"
        source.write_text(json.dumps(_workflow_with_text(_prose(length))))
        result = import_files([source])
        assert result.errors == []
        per_character.append(seen[0] / length)
        monkeypatch.undo()
    small, large = per_character
    assert large < 20, f"{large:.0f} characters looked at per character of the value"
    assert large < small * 1.2, per_character


def test_a_one_megabyte_value_builds_back_to_its_json(tmp_path: Path) -> None:
    definition = _workflow_with_text(_prose(1_000_000))
    source = tmp_path / "megabyte.json"
    source.write_text(json.dumps(definition))
    imported = import_package([source], package_dir(tmp_path))
    assert canonical(imported.built("megabyte.json")) == canonical(definition)


# The layout must not change with the rewrite: the original algorithm, kept as the oracle.
def _original_quote(text: str, quote_char: str | None = None) -> str:
    if quote_char is None:
        quote_char = "'" if '"' in text and "'" not in text else '"'
    out = [quote_char]
    for char in text:
        if char in ("\\", quote_char):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif not char.isprintable() or not char.isascii():
            out.append(ascii(char)[1:-1])
        else:
            out.append(char)
    out.append(quote_char)
    return "".join(out)


def _original_chunks(text: str, size: int) -> list[str]:
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        while len(_original_quote(line, '"')) - 2 > size:
            width, end = 0, 0
            while end < len(line) and width + len(_original_quote(line[end], '"')) - 2 <= size:
                width += len(_original_quote(line[end], '"')) - 2
                end += 1
            cut = (line.rfind(" ", 0, end) + 1) or max(end, 1)
            pieces.append(line[:cut])
            line = line[cut:]
        if line:
            pieces.append(line)
    return pieces


_TEXT = st.text(
    alphabet=st.sampled_from(list(" \t\n\r\x00\x0b\x7f\"'\\{}$ab\u00e9\u2019\u2028\U0001f680")),
    max_size=400,
)


@settings(max_examples=300)
@given(text=_TEXT, quote_char=st.sampled_from([None, '"', "'"]))
def test_quote_writes_the_literal_of_the_text(text: str, quote_char: str | None) -> None:
    literal = pycode.quote(text, quote_char)
    assert literal == _original_quote(text, quote_char)
    assert ast.literal_eval(literal) == text
    assert literal.isascii()


@settings(max_examples=300)
@given(text=_TEXT, size=st.integers(min_value=30, max_value=90))
def test_long_text_is_cut_where_it_always_was(text: str, size: int) -> None:
    pieces = pycode._chunks(text, size)
    assert pieces == _original_chunks(text, size)
    assert "".join(pieces) == text

"""`deploy-dsl validate FILE.json` of files it cannot read: one line, exit 1, no traceback
(issue 17, finding 6). `import` reads files the same way (tests/importer/test_hostile_input.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from deploy_dsl.limits import MAX_JSON_DEPTH, json_pointer, too_deep
from deploy_dsl.workspace.json_files import read_json_file
from deploy_dsl.workspace.loader import LoadError
from tests.conftest import REPO_ROOT


def _validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploy_dsl", "validate", *map(str, paths)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _nested_lists(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"name": "x", "tasks": [], "description": "\xff\xfe"}', "not UTF-8 text (byte 0xff"),
        (
            f'{{"name": "x", "tasks": [], "inputParameters": {_nested_lists(5000)}}}'.encode(),
            f"JSON nested deeper than {MAX_JSON_DEPTH} levels",
        ),
        (
            f'{{"name": "x", "tasks": [{_nested_lists(200)}]}}'.encode(),
            f"JSON nested deeper than {MAX_JSON_DEPTH} levels at #/tasks/0/0/0/0/0/...",
        ),
        (b'{"name": "x", "tasks": [], "version": Infinity}', "not JSON: Infinity is not JSON"),
        # Found by tests/fuzz: printing the name raised UnicodeEncodeError.
        (b'{"name": "\\ud800", "tasks": []}', "a string holds \\ud800, half of a surrogate pair"),
    ],
    ids=["not-utf8", "5000-deep", "200-deep", "infinity", "lone-surrogate"],
)
def test_a_file_that_cannot_be_read_is_one_line(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    source = tmp_path / "hostile.json"
    source.write_bytes(content)
    done = _validate(source)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"Error: {source}: {expected}")


def test_the_depth_limit_is_the_document_s_own_level_count(tmp_path: Path) -> None:
    at_limit = tmp_path / "at_limit.json"
    at_limit.write_text(_nested_lists(MAX_JSON_DEPTH))
    assert read_json_file(at_limit) is not None
    over = tmp_path / "over.json"
    over.write_text(_nested_lists(MAX_JSON_DEPTH + 1))
    with pytest.raises(LoadError, match=f"deeper than {MAX_JSON_DEPTH} levels at #/0/0/0/0/0/0/"):
        read_json_file(over)


def test_too_deep_walks_any_depth_without_recursing() -> None:
    value: object = "leaf"
    for level in range(100_000):
        value = {"k": value} if level % 2 else [value]
    path = too_deep(value)
    assert path is not None and len(path) == MAX_JSON_DEPTH
    assert json_pointer(path).startswith("#/k/0/k/0/k/0/...")
    assert too_deep(json.loads(_nested_lists(MAX_JSON_DEPTH))) is None
    assert json_pointer(("a/b", "c~d")) == "#/a~1b/c~0d"


def test_each_finding_stays_on_its_line(tmp_path: Path) -> None:
    """Found by tests/fuzz: an expression or a name holding a newline split its finding."""
    task = {"name": "t", "taskReferenceName": "t", "type": "SIMPLE"}
    task["inputParameters"] = {"x": "${nowhere\r\n.output}"}
    workflow = {"name": "two\nlines", "version": 1, "tasks": [task]}
    source = tmp_path / "lines.json"
    source.write_text(json.dumps(workflow))
    done = _validate(source)
    lines = done.stdout.splitlines()
    assert lines[-1].startswith("checked 1 workflow(s)")
    findings = lines[:-1]
    assert findings and all(" DSL0" in line for line in findings), lines
    assert any("[two\\nlines/t]" in line and "${nowhere\\r\\n.output}" in line for line in findings)

"""`deploy-dsl import` of hostile input: one line of error, exit 1, nothing half written, and
never a file outside the output directory (issue 17, finding 6 and item 1's defence in depth).

Run through the real command (a subprocess), since a traceback is what these once printed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deploy_dsl.importer import ImportFailed
from deploy_dsl.importer.output import IMPORT_MARKER, write_package
from deploy_dsl.limits import MAX_JSON_DEPTH, MAX_NAME_BYTES, MAX_NESTING
from tests.importer.helpers import REPO_ROOT, canonical, import_package, package_dir


def _simple(ref: str) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": "SIMPLE"}


def _workflow(name: str, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "version": 1, "ownerEmail": "team@example.com", "tasks": tasks}


def _nested(kind: str, levels: int) -> dict[str, Any]:
    """`levels` levels of tasks: `levels - 1` control-flow tasks around one SIMPLE."""
    task = _simple("leaf")
    for level in range(levels - 1):
        ref = f"{kind.lower()}_{level}"
        holds = {
            "SWITCH": {
                "evaluatorType": "value-param",
                "expression": "x",
                "inputParameters": {"x": "a"},
                "decisionCases": {"a": [task]},
            },
            "DO_WHILE": {"loopCondition": "false", "loopOver": [task]},
            "FORK_JOIN": {"forkTasks": [[task]]},
        }[kind]
        task = {"name": ref, "taskReferenceName": ref, "type": kind, **holds}
    return task


def _run_import(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploy_dsl", "import", str(source), "--out", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _assert_one_line_error(done: subprocess.CompletedProcess[str], expected: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: ") and expected in lines[0], lines[0]


def _deep_json(levels: int) -> str:
    inner = "[" * levels + "]" * levels
    return '{"name": "deep", "version": 1, "tasks": [], "inputParameters": ' + inner + "}"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"name": "caf\xe9", "tasks": []}', "not UTF-8 text (byte 0xe9 at offset 13)"),
        (_deep_json(5000).encode(), f"JSON nested deeper than {MAX_JSON_DEPTH} levels"),
        (_deep_json(300).encode(), "levels at #/inputParameters/0/0/0/0/0/..."),
        (b'{"name": "x", "tasks": [], "version": NaN}', "not JSON: NaN is not JSON"),
    ],
    ids=["not-utf8", "5000-deep", "300-deep", "nan"],
)
def test_a_file_that_cannot_be_read_is_one_line(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    source = tmp_path / "hostile.json"
    source.write_bytes(content)
    done = _run_import(source, tmp_path / "out")
    _assert_one_line_error(done, "hostile.json: ")
    assert expected in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["FORK_JOIN", "SWITCH", "DO_WHILE"])
def test_tasks_nested_200_deep_are_one_line(tmp_path: Path, kind: str) -> None:
    source = tmp_path / "nested.json"
    source.write_text(json.dumps(_workflow("nested", [_nested(kind, 200)])))
    done = _run_import(source, tmp_path / "out")
    # 200 task levels are 400-600 JSON levels: the file is refused as it is read.
    _assert_one_line_error(done, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["SWITCH", "DO_WHILE"])
def test_one_level_over_the_nesting_limit_is_refused(tmp_path: Path, kind: str) -> None:
    source = tmp_path / "nested.json"
    source.write_text(json.dumps(_workflow("nested", [_nested(kind, MAX_NESTING + 1)])))
    done = _run_import(source, tmp_path / "out")
    expected = f"tasks nested {MAX_NESTING + 1} levels deep, over the limit of {MAX_NESTING}"
    _assert_one_line_error(done, expected)
    assert "nothing was written" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["SWITCH", "DO_WHILE"])
def test_tasks_at_the_nesting_limit_import_and_build_back(tmp_path: Path, kind: str) -> None:
    """The limit is a promise too: MAX_NESTING levels import, format and build back."""
    definition = _workflow(f"nested_{kind.lower()}", [_nested(kind, MAX_NESTING)])
    source = tmp_path / "limit.json"
    source.write_text(json.dumps(definition))
    imported = import_package([source], package_dir(tmp_path))
    assert imported.result.errors == []
    built = imported.built("limit.json")
    assert canonical(built["tasks"]) == canonical(definition["tasks"])


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("a" * 10_000, f"it is 10000 bytes long, over the limit of {MAX_NAME_BYTES}"),
        ("../../README", "it contains a path separator"),
        ("up..there", "it contains '..'"),
        ("nul\x00byte", "it contains a NUL character"),
    ],
    ids=["10000-chars", "traversal", "dot-dot", "nul"],
)
def test_a_workflow_name_unfit_for_a_file_is_refused(
    tmp_path: Path, name: str, reason: str
) -> None:
    source = tmp_path / "named.json"
    source.write_text(json.dumps(_workflow(name, [_simple("t")])))
    out = tmp_path / "out"
    done = _run_import(source, out)
    _assert_one_line_error(done, "named.json: workflow name ")
    assert f"refused: {reason}; nothing was written" in done.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["named.json"]


def test_a_refused_workflow_leaves_the_others_imported(tmp_path: Path) -> None:
    bad = _workflow("x" * (MAX_NAME_BYTES + 1), [_simple("t")])
    good = _workflow("good", [_simple("t")])
    source = tmp_path / "two.json"
    source.write_text(json.dumps([bad, good]))
    out = tmp_path / "out"
    done = _run_import(source, out)
    assert done.returncode == 1
    assert "error: two.json#/0: workflow name 'xxxx" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == [IMPORT_MARKER, "__init__.py", "good.py"]


def test_the_writer_refuses_a_path_outside_its_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for name in ("../escaped.py", "/tmp/absolute.py", "sub/dir.py", "..", "nul\x00.py"):
        with pytest.raises(ImportFailed, match="is not a file directly in"):
            write_package(out, {"ok.py": "x = 1\n", name: "x = 2\n"})
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_writer_does_not_follow_a_link_out_of_its_directory(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("kept = True\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / IMPORT_MARKER).write_text("a previous import\n")
    (out / "module.py").symlink_to(outside)
    with pytest.raises(ImportFailed, match=r"'module\.py': it is not a file directly in"):
        write_package(out, {"module.py": "x = 1\n"}, force=True)
    assert outside.read_text() == "kept = True\n"


def test_a_failed_write_leaves_the_directory_as_it_was(tmp_path: Path) -> None:
    """A name the file system refuses (too long), after files that could be written: none of
    them lands, and the files --force would have replaced keep their content."""
    out = tmp_path / "out"
    out.mkdir()
    (out / IMPORT_MARKER).write_text("a previous import\n")
    (out / "mine.py").write_text("# the user's own\n")
    (out / "a.py").write_text("old = True\n")
    files = {"a.py": "new = True\n", "b.py": "b = 1\n", "x" * 300 + ".py": "x = 1\n"}
    with pytest.raises(ImportFailed, match=r"File name too long \(ENAMETOOLONG\).*; nothing was"):
        write_package(out, files, force=True)
    assert sorted(p.name for p in out.iterdir()) == [IMPORT_MARKER, "a.py", "mine.py"]
    assert (out / "a.py").read_text() == "old = True\n"


def test_a_failed_write_of_a_new_directory_creates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "new"
    with pytest.raises(ImportFailed, match=r"File name too long \(ENAMETOOLONG\).*; nothing was"):
        write_package(out, {"a.py": "a = 1\n", "y" * 300 + ".py": "y = 1\n"})
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# Found by tests/fuzz: each once a traceback or a message over several lines.


def test_variables_whose_keys_are_no_identifiers_import_and_build_back(tmp_path: Path) -> None:
    definition = _workflow("odd_keys", [_simple("t")])
    definition["variables"] = {":": 1, "-x": 2, "_y": 3, "1": 4}
    source = tmp_path / "keys.json"
    source.write_text(json.dumps(definition))
    imported = import_package([source], package_dir(tmp_path))
    assert imported.result.errors == []
    assert imported.built("keys.json")["variables"] == definition["variables"]


def test_every_message_of_the_import_is_one_line(tmp_path: Path) -> None:
    unbuildable = _workflow("bad_template", [_simple("t")]) | {"inputTemplate": []}
    newline = _workflow("two\nlines", [_simple("t")]) | {"unknownField": 1}
    source = tmp_path / "messages.json"
    source.write_text(json.dumps([unbuildable, newline]))
    done = _run_import(source, tmp_path / "out")
    assert done.returncode == 1
    warning, error = done.stderr.splitlines()
    assert warning == (
        "warning: messages.json#/1: two\\nlines: unknown field(s) unknownField carried "
        "through in extra="
    )
    assert error.startswith("error: messages.json#/0: workflow 'bad_template' cannot be built: ")
    assert "inputTemplate" in error and "valid dictionary" in error


# Issue 26, item 8: keys kept exactly, and import errors that name their file and workflow.


def test_keys_python_would_fold_are_kept_exactly(tmp_path: Path) -> None:
    """Python reads identifiers in NFKC form: `\\ufb01le` came back as `file`, `\\u210cost` as
    `Host` (and `\\ufb01le` and `file` merged), and `\\uff4dodel_config` made the module fail
    to load."""
    definition = _workflow("folded_keys", [_simple("t")])
    definition["inputParameters"] = ["\ufb01le", "file", "fi", "\u210cost"]
    definition["variables"] = {"\uff4dodel_config": 1, "\u210cost": 2, "Host": 3, "\ufb01": 4}
    definition["outputParameters"] = {"\ufb01le": "${workflow.input.\ufb01le}", "Host": "x"}
    definition["tasks"][0]["inputParameters"] = {"\u210cost": "${workflow.input.\u210cost}"}
    source = tmp_path / "folded.json"
    source.write_text(json.dumps(definition))
    imported = import_package([source], package_dir(tmp_path))
    assert imported.result.errors == []
    built = imported.built("folded.json")
    for field in ("inputParameters", "variables", "outputParameters", "tasks"):
        assert canonical(built[field]) == canonical(definition[field]), field


def test_an_import_error_names_the_file_and_the_workflow(tmp_path: Path) -> None:
    source = tmp_path / "named.json"
    source.write_text(
        json.dumps([_workflow("ok", [_simple("t")]), _workflow("bad", [_simple("a:b")])])
    )
    done = _run_import(source, tmp_path / "out")
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "error: named.json#/1: workflow 'bad': task 'a:b' cannot be written with any builder"
    )

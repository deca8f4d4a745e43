"""Fuzz: random JSON shapes through `validate` and `import` (issue 17, item 8).

What must hold for every file: no traceback (a clear error, or findings, and exit 0 or 1), and
no file written outside the output directory. Whatever `import` accepts must then build: the
generated package goes through `build --lenient` too. In-process through the click commands
for speed (FUZZ_DEFINITION_EXAMPLES, default 200), and a few through the real command line.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, event, example, given, settings

from deploy_dsl.cli.build import build, validate
from deploy_dsl.cli.importing import import_
from tests.conftest import REPO_ROOT
from tests.fuzz.strategies import documents
from tests.importer.helpers import restore_interpreter

EXAMPLES = int(os.environ.get("FUZZ_DEFINITION_EXAMPLES", "200"))
CLI_EXAMPLES = int(os.environ.get("FUZZ_CLI_EXAMPLES", "12"))
_packages = itertools.count()


@contextmanager
def _scratch() -> Iterator[Path]:
    """A fresh directory per example (hypothesis runs many in one test call)."""
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        yield Path(tmp)


def _files(root: Path) -> set[Path]:
    return {path for path in root.rglob("*")}


def _write(root: Path, document: Any) -> Path:
    source = root / "definition.json"
    # ensure_ascii: a lone surrogate drawn by the strategy is still valid JSON text.
    source.write_text(json.dumps(document), encoding="utf-8")
    return source


def _assert_no_traceback(command: click.Command, result: Result) -> None:
    name = command.name
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{name} raised {result.exception!r}:\n{result.output}"
    )
    assert result.exit_code in (0, 1), f"{name} exited {result.exit_code}:\n{result.output}"
    assert "Traceback" not in result.output


# What the commands print besides findings: each of their own messages starts a line.
_IMPORT_LINES = ("warning: ", "error: ", "Error: ", "imported ", "`deploy-dsl build")
_VALIDATE_LINES = ("checked ", "Error: ")


_FINDING = re.compile(r"^\S.*: (error|warning) DSL\d{3} \[")


def _assert_one_line_messages(result: Result, own_lines: tuple[str, ...]) -> None:
    for line in result.output.splitlines():
        finding = _FINDING.match(line.lstrip())
        assert finding or line.startswith(own_lines), f"a message spans lines: {line!r}"


def _run(command: click.Command, args: list[str]) -> Result:
    return CliRunner().invoke(command, args, catch_exceptions=True)


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents)
# Found by this test: a key holding a carriage return broke a load error over two lines.
@example(
    document={
        "name": "",
        "tasks": [
            {"name": "", "taskReferenceName": "", "type": "SIMPLE", "decisionCases": {"\r": None}}
        ],
    }
)
def test_validate_and_import_survive_any_json(document: Any) -> None:
    with _scratch() as root:
        source = _write(root, document)
        checked = _run(validate, [str(source)])
        _assert_no_traceback(validate, checked)
        _assert_one_line_messages(checked, _VALIDATE_LINES)
        before = _files(root)
        out = root / f"fuzz_package_{next(_packages)}"
        with _restored():
            imported = _run(import_, [str(source), "--out", str(out), "--no-format"])
            _assert_no_traceback(import_, imported)
            _assert_one_line_messages(imported, _IMPORT_LINES)
            created = _files(root) - before
            outside = {path for path in created if path != out and out not in path.parents}
            assert not outside, f"import wrote outside {out}: {sorted(outside)}"
            event(f"import exit {imported.exit_code}, validate exit {checked.exit_code}")
            if imported.exit_code == 0:
                built = _run(
                    build, ["--lenient", "--definitions", str(out), "--out", str(root / "b")]
                )
                _assert_no_traceback(build, built)
                event(f"build of the import exit {built.exit_code}")


@contextmanager
def _restored() -> Iterator[None]:
    """Loading a generated package adds modules and a sys.path entry; take them away."""
    restore = restore_interpreter()
    next(restore)
    try:
        yield
    finally:
        next(restore, None)


@settings(max_examples=CLI_EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents)
def test_the_command_line_survives_any_json(document: Any) -> None:
    """The real processes, ruff formatting included: what a user sees is never a traceback."""
    with _scratch() as root:
        source = _write(root, document)
        before = _files(root)
        out = root / "fuzz_cli_package"
        for args in (["validate", str(source)], ["import", str(source), "--out", str(out)]):
            done = subprocess.run(
                [sys.executable, "-m", "deploy_dsl", *args],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode in (0, 1), done.stderr
            assert "Traceback" not in done.stderr, done.stderr
        created = _files(root) - before
        assert all(path == out or out in path.parents for path in created), sorted(created)

"""`deploy-dsl build` and `validate` as a user runs them (in a subprocess)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

DSL = [sys.executable, "-m", "deploy_dsl"]


def _run(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [*DSL, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _definitions(tmp_path: Path, module: str, source: str) -> Path:
    """A definitions directory holding one module, for a build that is not the project's."""
    directory = tmp_path / "defs"
    directory.mkdir()
    (directory / f"{module}.py").write_text(source)
    return directory


def _snapshot(directory: Path) -> dict[str, bytes]:
    files = (p for p in directory.rglob("*") if p.is_file())
    return {str(p.relative_to(directory)): p.read_bytes() for p in files}


def test_build_is_byte_identical_across_runs_and_matches_build(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    assert _run("build", "--out", str(first)).returncode == 0
    assert _run("build", "--out", str(second)).returncode == 0
    assert _snapshot(first) == _snapshot(second) == _snapshot(REPO_ROOT / "build")


def test_build_ignores_dotenv(tmp_path: Path) -> None:
    # .env is read only by commands that talk to servers; build/ must not depend on it.
    workdir = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "definitions", workdir / "definitions")
    (workdir / ".env").write_text("WORKER_BASE_URL=http://elsewhere:9999\n")
    result = _run("build", "--out", str(workdir / "out"), cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert _snapshot(workdir / "out") == _snapshot(REPO_ROOT / "build")


def test_failed_build_leaves_the_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".deploy-dsl-build").write_text("a previous build\n")
    (out / "keep.json").write_text("{}\n")
    broken = _definitions(
        tmp_path,
        "broken",
        "from deploy_dsl.dsl import Simple, Workflow\n"
        "a = Simple('a')\n"
        "b = Simple('a')\n"
        "w = Workflow('w', version=1, owner_email='o@example.com', tasks=[a, b])\n",
    )
    result = _run("build", "--definitions", str(broken), "--out", str(out))
    assert result.returncode == 1
    assert "DSL001" in result.stdout and "broken.py:3" in result.stdout
    assert "left as it was" in result.stderr
    assert _snapshot(out) == {".deploy-dsl-build": b"a previous build\n", "keep.json": b"{}\n"}


def test_a_typo_in_a_definition_names_the_file_and_line(tmp_path: Path) -> None:
    defs = _definitions(
        tmp_path,
        "typo",
        "from pydantic import BaseModel\n"
        "from deploy_dsl.dsl import Simple, Workflow, workflow_input\n"
        "class In(BaseModel):\n"
        "    scope: str\n"
        "t = Simple('t', inputs={'s': workflow_input(In).scpoe})\n",
    )
    result = _run("build", "--definitions", str(defs), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "typo.py:5" in result.stderr and "'scpoe'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_build_does_not_import_the_sdk() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from deploy_dsl.cli import main\n"
        "import tempfile\n"
        "r = CliRunner().invoke(main, ['build', '--out', tempfile.mkdtemp()])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.startswith('conductor')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _write(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value))
    return path


def test_validate_json_reports_duplicate_and_dangling_references(tmp_path: Path) -> None:
    workflow = {
        "name": "broken",
        "version": 1,
        "tasks": [
            {"name": "a", "taskReferenceName": "a", "type": "SIMPLE"},
            {"name": "b", "taskReferenceName": "a", "type": "SIMPLE"},
            {"name": "c", "taskReferenceName": "c", "inputParameters": {"x": "${nope.output}"}},
        ],
    }
    result = _run("validate", str(_write(tmp_path / "broken.json", workflow)))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any("DSL001" in line and "[broken/a]" in line for line in lines), result.stdout
    assert any(
        "DSL010" in line and "[broken/c]" in line and "broken.json#/tasks/2" in line
        for line in lines
    ), result.stdout


def test_validate_passes_the_project_and_its_build() -> None:
    assert _run("validate").returncode == 0
    files = [str(p) for p in sorted((REPO_ROOT / "build" / "workflows").glob("*.json"))]
    result = _run("validate", *files, str(REPO_ROOT / "build" / "taskdefs.json"))
    assert result.returncode == 0, result.stdout
    assert "0 error(s), 0 warning(s)" in result.stdout


def test_validate_rejects_a_file_that_is_not_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = _run("validate", str(bad))
    assert result.returncode == 1
    assert "bad.json:1: not JSON" in result.stderr


def test_lenient_build_turns_json_style_findings_into_warnings(tmp_path: Path) -> None:
    defs = _definitions(
        tmp_path,
        "loose",
        "from deploy_dsl.dsl import Simple, Workflow\n"
        "t = Simple('t', inputs={'x': '${workflow.input.undeclared}'})\n"
        "w = Workflow('w', version=1, owner_email='o@example.com', tasks=[t])\n",
    )
    strict = _run("build", "--definitions", str(defs), "--out", str(tmp_path / "a"))
    assert strict.returncode == 1 and "error DSL015" in strict.stdout
    lenient = _run("build", "--lenient", "--definitions", str(defs), "--out", str(tmp_path / "b"))
    assert lenient.returncode == 0, lenient.stderr
    assert "warning DSL015" in lenient.stdout
    assert (tmp_path / "b" / "workflows" / "w.json").exists()


LOADING_DIR = REPO_ROOT / "tests" / "invalid" / "loading"
# `# expect-load: DSL005 <a fragment of the message>` on the line the error must name.
_EXPECT_LOAD = re.compile(r"# expect-load: (DSL\d{3}) (.+)$")


def _load_case(name: str) -> tuple[int, str, str]:
    lines = (LOADING_DIR / f"{name}.py").read_text().splitlines()
    for number, line in enumerate(lines, start=1):
        if match := _EXPECT_LOAD.search(line):
            return number, match.group(1), match.group(2)
    raise AssertionError(f"tests/invalid/loading/{name}.py has no '# expect-load: DSLnnn' marker")


@pytest.mark.parametrize("name", sorted(p.stem for p in LOADING_DIR.glob("*.py")))
def test_a_definition_that_cannot_load_is_one_line_at_its_place(name: str, tmp_path: Path) -> None:
    line, code, fragment = _load_case(name)
    defs = tmp_path / "defs"
    defs.mkdir()
    shutil.copy(LOADING_DIR / f"{name}.py", defs / f"{name}.py")
    out = tmp_path / "out"
    result = _run("build", "--definitions", str(defs), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (error,) = result.stderr.splitlines()
    assert error.startswith(f"Error: defs/{name}.py:{line}: error {code} "), error
    assert fragment in error, error
    assert not out.exists()


def test_traceback_shows_the_whole_story(tmp_path: Path) -> None:
    defs = tmp_path / "defs"
    defs.mkdir()
    shutil.copy(LOADING_DIR / "raises_at_import.py", defs / "raises_at_import.py")
    result = _run("--traceback", "build", "--definitions", str(defs), "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "KeyError: 'regoin'" in result.stderr


@pytest.mark.parametrize(
    "relative", ["../escaped.json", "workflows/../../x.json", "/abs.json", "."]
)
def test_the_writer_refuses_a_path_outside_its_directory(tmp_path: Path, relative: str) -> None:
    from deploy_dsl.workspace.output import OutsideOutput, write_tree

    out = tmp_path / "build"
    out.mkdir()
    (out / "keep.json").write_text("{}\n")
    with pytest.raises(OutsideOutput, match="not a file inside"):
        write_tree(out, {"workflows/a.json": "{}\n", relative: "{}\n"})
    assert _snapshot(out) == {"keep.json": b"{}\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_a_workflow_named_to_climb_out_of_build_is_refused(tmp_path: Path) -> None:
    # Seen: Workflow("../../README") overwrote the repository's README.md.
    defs = _definitions(
        tmp_path,
        "climb",
        "from deploy_dsl.dsl import Simple, Workflow\n"
        "w = Workflow('../../README', version=1, owner_email='o@e.x', tasks=[Simple('a')])\n"
        "t = Workflow('../taskdefs', version=1, owner_email='o@e.x', tasks=[Simple('b')])\n",
    )
    (tmp_path / "README.md").write_text("mine\n")
    result = _run("build", "--definitions", str(defs), "--out", str(tmp_path / "out" / "build"))
    assert result.returncode == 1
    assert result.stdout.count("DSL065") == 2, result.stdout
    assert (tmp_path / "README.md").read_text() == "mine\n"
    assert not (tmp_path / "out").exists()

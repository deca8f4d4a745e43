"""Where `deploy-dsl build` may write, and what it says when the disk refuses (issue 26, items
1 and 7): `--out .` once deleted the project; EBUSY, ENOSPC and a README that is not UTF-8
were tracebacks."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from deploy_dsl.cli import main
from deploy_dsl.workspace.output import BUILD_MARKER
from tests.conftest import REPO_ROOT

DSL = [sys.executable, "-m", "deploy_dsl"]
MODULE = (
    "from deploy_dsl.dsl import Simple, Workflow\n"
    "{name} = Workflow('{name}', version=1, owner_email='o@example.com', tasks=[Simple('a')])\n"
)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [*DSL, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's project: definitions, notes, a source file; the build goes to build/."""
    root = tmp_path / "project"
    (root / "defs").mkdir(parents=True)
    (root / "defs" / "one_workflow.py").write_text(MODULE.format(name="one_workflow"))
    (root / "NOTES.md").write_text("my notes\n")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("print('mine')\n")
    return root


@pytest.mark.parametrize(
    ("out", "says"),
    [
        (".", "it is the working directory"),
        ("..", "it is a directory that holds"),
        ("defs", "it is the definitions folder defs"),
        ("src", "it holds files build did not write (app.py) and no .deploy-dsl-build marker"),
    ],
)
def test_build_refuses_an_output_that_is_not_a_build_and_deletes_nothing(
    project: Path, out: str, says: str
) -> None:
    before = _tree(project.parent)
    result = _run("build", "--definitions", "defs", "--out", out, cwd=project)
    assert result.returncode == 1, result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: refusing to write build output into {out}: "), line
    assert says in line, line
    assert _tree(project.parent) == before


def test_build_replaces_its_own_output_and_an_output_made_before_the_marker(
    project: Path,
) -> None:
    first = _run("build", "--definitions", "defs", "--out", "build", cwd=project)
    assert first.returncode == 0, first.stderr
    assert (project / "build" / BUILD_MARKER).is_file()
    (project / "build" / "workflows" / "stale.json").write_text("{}\n")
    again = _run("build", "--definitions", "defs", "--out", "build", cwd=project)
    assert again.returncode == 0, again.stderr
    assert not (project / "build" / "workflows" / "stale.json").exists()
    # The layout builds wrote before the marker existed is still replaced.
    (project / "build" / BUILD_MARKER).unlink()
    old = _run("build", "--definitions", "defs", "--out", "build", cwd=project)
    assert old.returncode == 0, old.stderr
    # ...but not once something else sits in it.
    (project / "build" / BUILD_MARKER).unlink()
    (project / "build" / "docs" / "mine.txt").write_text("mine\n")
    mixed = _run("build", "--definitions", "defs", "--out", "build", cwd=project)
    assert mixed.returncode == 1
    assert (project / "build" / "docs" / "mine.txt").read_text() == "mine\n"


def _build(project: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        main, ["build", "--definitions", "defs", "--out", "build", *extra], catch_exceptions=True
    )


def _failing(
    monkeypatch: pytest.MonkeyPatch, method: str, code: int, when: Callable[[Path], bool]
) -> None:
    """Path.<method> raises OSError(code) for the paths `when` picks, as the OS would."""
    original = getattr(Path, method)

    def refusing(self: Path, *args: object, **kwargs: object) -> object:
        if when(self):
            raise OSError(code, os.strerror(code), str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, method, refusing)


def test_a_build_output_that_cannot_be_renamed_is_updated_in_place(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mount point (a container volume) answers EBUSY to a rename: the build used to fail
    with a traceback there every time."""
    monkeypatch.chdir(project)
    assert _build(project).exit_code == 0
    (project / "build" / "workflows" / "stale.json").write_text("{}\n")
    out = (project / "build").resolve()
    _failing(monkeypatch, "rename", errno.EBUSY, lambda path: path.resolve() == out)
    result = _build(project)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"note: {out} could not be swapped whole (Device or resource busy: a mount point?), "
        "so its entries were replaced one by one inside it"
    ]
    assert sorted(_tree(out)) == [
        BUILD_MARKER,
        "docs/README.md",
        "docs/one_workflow.md",
        "docs/reference.md",
        "taskdefs.json",
        "workflows/one_workflow.json",
    ]
    assert sorted(p.name for p in project.iterdir()) == ["NOTES.md", "build", "defs", "src"]


def test_a_full_disk_is_one_line_and_leaves_the_output_as_it_was(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    assert _build(project).exit_code == 0
    before = _tree(project)
    _failing(monkeypatch, "write_bytes", errno.ENOSPC, lambda path: True)
    result = _build(project)
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: cannot write {(project / 'build').resolve()}: "), line
    assert line.endswith(
        "No space left on device (ENOSPC); free some space on that file system, or choose "
        "another place; build/ was left as it was"
    ), line
    assert _tree(project) == before
    assert sorted(p.name for p in project.iterdir()) == ["NOTES.md", "build", "defs", "src"]


def test_a_readme_that_is_not_utf8_is_one_line(project: Path) -> None:
    (project / "README.md").write_bytes(b"caf\xe9\n")
    result = _run("build", "--definitions", "defs", "--readme", "README.md", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: README.md: not UTF-8 text (byte 0xe9 at offset 3); save the README as UTF-8; "
        "build/ was left as it was"
    ]
    assert not (project / "build").exists()

"""`deploy-dsl init`: the new project's files, filled in, compiled, lint- and type-clean; what
it refuses. (tests/e2e/test_library.py runs such a project's daily loop from the wheel.)"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from deploy_dsl.cli import main
from deploy_dsl.cli.init import requirement
from deploy_dsl.scaffold import project_name
from deploy_dsl.workspace.config import load_config
from tests.conftest import REPO_ROOT

FILES = {
    ".env.example",
    ".github/workflows/deploy-dsl.yml",
    ".gitignore",
    "Makefile",
    "README.md",
    "definitions/__init__.py",
    "definitions/deploy.py",
    "pyproject.toml",
    "samples/deploy.json",
    "tests/flows/test_deploy.py",
    "workers/__init__.py",
    "workers/__main__.py",
}
BUILT = {
    "build/.deploy-dsl-build",
    "build/docs/README.md",
    "build/docs/deploy_service.md",
    "build/docs/reference.md",
    "build/taskdefs.json",
    "build/workflows/deploy_service.json",
}


def _init(*args: str) -> Result:
    return CliRunner().invoke(main, ["init", *args])


def _files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scaffold") / "team-deploys"
    result = _init(str(root), "--owner-email", "ops@example.org")
    assert result.exit_code == 0, result.output
    assert "wrote 12 files into" in result.output and "next:" in result.output
    return root


def test_init_writes_the_project_and_compiles_it(project: Path) -> None:
    assert set(_files(project)) == FILES | BUILT
    for path, text in _files(project).items():
        left = re.findall(rb"__[A-Z][A-Z_]*__", text)
        assert not left, f"{path} keeps the template's {left}"
    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    version = importlib.metadata.version("deploy-dsl")
    assert metadata["project"]["name"] == "team-deploys"
    assert metadata["project"]["dependencies"] == [requirement(version)]
    assert "deploy-dsl" in metadata["tool"]
    assert 'OWNER_EMAIL = "ops@example.org"' in (project / "definitions/__init__.py").read_text()
    config = load_config(project)
    assert (config.definitions, config.worker) == (str(project / "definitions"), None)


def test_the_compiled_build_is_what_build_writes(project: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "deploy_dsl", "build", "--out", str(tmp_path / "again")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert _files(tmp_path / "again") == {
        path.removeprefix("build/"): text
        for path, text in _files(project).items()
        if path.startswith("build/")
    }


def test_the_project_validates_without_a_warning(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "deploy_dsl", "validate"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == (
        "checked 1 workflow(s), 3 task def(s): 0 error(s), 0 warning(s)"
    )


def test_the_project_is_lint_and_type_clean(project: Path, tmp_path: Path) -> None:
    """With ruff's defaults (the project has no ruff settings) plus this repository's rules, and
    mypy --strict seeing deploy_dsl as an installed package (its own modules not reported)."""
    bin_dir = Path(sys.executable).parent
    rules = "E,F,W,I,B,UP,SIM,RUF"
    for command in (["check", "--select", rules, "."], ["format", "--check", "."]):
        done = subprocess.run(
            [str(bin_dir / "ruff"), *command], cwd=project, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
    (tmp_path / "path").mkdir()
    (tmp_path / "path" / "deploy_dsl").symlink_to(REPO_ROOT / "deploy_dsl")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\n\n[mypy-deploy_dsl.*]\nfollow_imports = silent\n")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir",
         str(REPO_ROOT / ".cache" / "mypy-scaffold"), "definitions", "workers", "tests"],
        cwd=project,
        env={**os.environ, "MYPYPATH": str(tmp_path / "path")},
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_directory_that_is_not_empty_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    result = _init(str(tmp_path))
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path} is not empty (notes.txt); pass --force to write the new project "
        "into it (files of the same name are replaced, others kept)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_force_writes_beside_what_is_there(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    (tmp_path / "README.md").write_text("old\n")
    result = _init(str(tmp_path), "--force", "--name", "ops")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
    assert (tmp_path / "README.md").read_text().startswith("# ops\n")
    assert (tmp_path / "build" / "workflows" / "deploy_service.json").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "my project"], "Error: project name 'my project': use letters, digits"),
        (["--owner-email", 'a"b@example.com'], "is not an email address"),
        (["--owner-email", "nobody"], "Error: owner email 'nobody' is not an email address"),
    ],
)
def test_values_the_project_cannot_hold_are_refused(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = _init(str(tmp_path / "new"), *args)
    assert result.exit_code == 1
    assert message in result.output and result.output.count("\n") == 1
    assert not (tmp_path / "new").exists()


def test_a_file_is_no_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = _init(str(tmp_path / "file"))
    assert result.exit_code != 0
    assert "file" in result.output


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1.0", "deploy-dsl[server]>=0.1.0,<0.2"),
        ("0.9.3.dev1", "deploy-dsl[server]>=0.9.3.dev1,<0.10"),
        ("1.4.2", "deploy-dsl[server]>=1.4.2,<2"),
        (None, "deploy-dsl[server]"),
    ],
)
def test_the_requirement_stops_before_the_next_breaking_release(
    version: str | None, expected: str
) -> None:
    assert requirement(version) == expected


def test_a_project_name_from_a_directory_name(tmp_path: Path) -> None:
    assert project_name(tmp_path / "My Team's Deploys") == "my-team-s-deploys"
    assert project_name(tmp_path / "_ops.") == "ops"

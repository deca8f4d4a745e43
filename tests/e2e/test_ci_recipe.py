"""The README's CI recipe, run against the local server, and `--env-file` choosing the server.

The recipe's `make check` and `make test` are this suite itself (running them from inside it
would recurse); its `deploy-dsl` lines run here as written, with the settings file pointing at
the local stack.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from deploy_dsl.client.settings import load_settings
from tests.conftest import REPO_ROOT
from tests.e2e.support import CliResult, Stack, run_cli

pytestmark = pytest.mark.e2e

_RECIPE = re.compile(r"<!-- ci-recipe -->\n```sh\n(.*?)```", re.DOTALL)
# The settings come from the file alone: nothing in the environment may override it.
_CLEARED: dict[str, str | None] = dict.fromkeys(
    ("CONDUCTOR_BASE_URL", "CONDUCTOR_SERVER_URL", "CONDUCTOR_PORT", "WORKER_BASE_URL",
     "WORKER_PORT", "ORKES_BASE_URL", "ORKES_KEY", "ORKES_SECRET", "CONDUCTOR_AUTH_KEY",
     "CONDUCTOR_AUTH_SECRET")
)  # fmt: skip


def _recipe() -> list[str]:
    found = _RECIPE.search((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert found, "README.md has no <!-- ci-recipe --> block"
    return [line.split("#", 1)[0].strip() for line in found.group(1).splitlines()]


def _deploy_dsl_args(line: str, env_file: Path, out: Path) -> list[str]:
    """The arguments of a recipe line's `deploy-dsl` call, the settings file replaced; `build`
    writes to `out` (the checkout's build/ stays as committed, which `git diff` checks)."""
    words = shlex.split(line.split("||", 1)[0])
    assert words[0] == ".venv/bin/deploy-dsl", line
    args = [str(env_file) if word.endswith(".env") else word for word in words[1:]]
    return [*args, "--out", str(out)] if args[0] == "build" else args


def _files(directory: Path) -> dict[str, bytes]:
    found = (p for p in directory.rglob("*") if p.is_file())
    return {str(p.relative_to(directory)): p.read_bytes() for p in found}


def _env_file(tmp_path: Path, conductor_url: str) -> Path:
    """Settings for the local stack, spelt differently from .env (127.0.0.1, not localhost) so
    that the plan's first line shows which file was read. The worker URL is the one the
    session registered with: another would change every registered workflow."""
    path = tmp_path / "staging.env"
    path.write_text(
        f"CONDUCTOR_BASE_URL={conductor_url}\nWORKER_BASE_URL={load_settings().worker_url}\n",
        encoding="utf-8",
    )
    return path


def test_the_readme_ci_recipe_against_the_local_server(
    registered: CliResult, stack: Stack, tmp_path: Path
) -> None:
    lines = [line for line in _recipe() if line]
    assert lines[:2] == ["make check", "make test"]
    assert "git diff --exit-code build/" in lines
    calls = [line for line in lines if "deploy-dsl" in line]
    assert [shlex.split(c)[1] for c in calls] == ["build", "plan", "register", "plan"], calls
    assert "--strict" in shlex.split(calls[0])
    url = f"http://127.0.0.1:{stack.conductor_port}"
    env_file = _env_file(tmp_path, url)
    out = tmp_path / "build"
    results = [run_cli(*_deploy_dsl_args(c, env_file, out), env=_CLEARED) for c in calls]
    built, first, applied, last = results
    assert built.returncode == 0, str(built)
    assert _files(out) == _files(REPO_ROOT / "build")  # the recipe's `git diff --exit-code`
    assert first.returncode in (0, 2), str(first)  # the recipe's `test "$status" -ne 1`
    assert first.stdout.splitlines()[0] == f"plan against {url}/api"
    assert applied.returncode == 0, str(applied)
    assert last.returncode == 0, str(last)
    assert "0 to create, 0 to update" in last.stdout


def test_env_file_chooses_the_server(tmp_path: Path) -> None:
    closed = tmp_path / "nowhere.env"
    closed.write_text("CONDUCTOR_BASE_URL=http://127.0.0.1:9\n", encoding="utf-8")
    for args in (("plan",), ("register",), ("status", "some-id"), ("retry", "some-id")):
        result = run_cli(*args, "--env-file", str(closed), env=_CLEARED, timeout=60)
        assert result.returncode == 1, str(result)
        assert "cannot reach Conductor at http://127.0.0.1:9/api" in result.stderr, str(result)
    missing = run_cli("plan", "--env-file", str(tmp_path / "absent.env"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr, str(missing)

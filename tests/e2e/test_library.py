"""deploy-dsl as another team uses it: the wheel built from this repository, installed into a
fresh virtual environment, `deploy-dsl init` in an empty directory, then the new project's
daily loop through its own Makefile: build, `server up` (its own Conductor, on free ports, the
jar from the user's cache), the flow tests, register, a deploy run to the end, and a plan with
nothing left to change. Every command runs in the new project with this repository neither on
the path nor in the environment.

The stack it starts is the new project's (its own `.state/`); only that is stopped at the end.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

import pytest

from deploy_dsl.workspace.config import CACHE_ENV, load_config
from tests.e2e.support import REPO_ROOT, progress

pytestmark = pytest.mark.e2e

VERSION = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
# What pip and setuptools print when something is deprecated (not a package named `deprecated`,
# which conductor-python depends on).
_DEPRECATION = re.compile(r"DEPRECATION:|DeprecationWarning|BuildBackendWarning|is deprecated")
# Settings the new project must not inherit from this repository's test session.
_OURS = ("CONDUCTOR_", "WORKER_", "ORKES_", "DASHBOARD_", "CLUSTER_", "PYTEST_", "VIRTUAL_ENV")


@dataclass(frozen=True)
class Done:
    args: Sequence[str]
    returncode: int
    output: str

    def __str__(self) -> str:
        return f"$ {' '.join(self.args)} -> {self.returncode}\n{self.output[-6000:]}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _user_env(venv: Path) -> dict[str, str]:
    """The environment of a user of the new project: theirs (home, proxies, pip and Java
    settings, the jar cache), their virtual environment first on PATH, nothing of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS) and k != "PYTHONPATH"}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(REPO_ROOT))]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    # The user's jar cache is this repository's (its cache-dir): a test reads nothing outside
    # the repository, and the jar is not fetched a second time.
    env[CACHE_ENV] = str(load_config(REPO_ROOT).cache_dir)
    return env


def _run(args: Sequence[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> Done:
    started = time.monotonic()
    done = subprocess.run(
        list(args),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    progress(f"library: {time.monotonic() - started:5.1f}s $ {' '.join(args)}")
    return Done(args, done.returncode, done.stdout)


def _ok(args: Sequence[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> Done:
    done = _run(args, cwd, env, timeout)
    assert done.returncode == 0, str(done)
    assert not _DEPRECATION.search(done.output), str(done)
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from this repository as a release would be."""
    dist = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(REPO_ROOT)]
    _ok(command, dist, dict(os.environ))
    (found,) = dist.glob("deploy_dsl-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("user") / "venv"
    _ok([sys.executable, "-m", "venv", str(root)], root.parent, _user_env(root))
    return root


def test_the_wheel_holds_the_library_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    info = f"deploy_dsl-{VERSION}.dist-info/"
    assert {name.split("/")[0] + "/" for name in names} == {"deploy_dsl/", info}
    for shipped in (
        "deploy_dsl/py.typed",
        "deploy_dsl/docs/templates/workflow.md.j2",
        "deploy_dsl/dashboard/templates/base.html",
        "deploy_dsl/dashboard/static/dashboard.js",
        "deploy_dsl/scaffold/template/definitions/deploy.py.tmpl",
        "deploy_dsl/scaffold/template/dot-github/workflows/deploy-dsl.yml.tmpl",
        f"{info}licenses/LICENSE",
    ):
        assert shipped in names
    metadata = HeaderParser().parsestr(zipfile.ZipFile(wheel).read(f"{info}METADATA").decode())
    assert metadata["License-Expression"] == "Apache-2.0"
    requires = metadata.get_all("Requires-Dist") or []
    core = sorted(r.split("<")[0].split(">")[0] for r in requires if "extra ==" not in r)
    assert core == [
        "click", "conductor-python", "esprima-fork==5.0.0", "jinja2", "jq==1.13.0", "pydantic",
        "pydantic-settings", "typing-extensions", "tzdata",
    ]  # fmt: skip
    assert 'deploy-dsl[dashboard]; extra == "server"' in requires
    assert "Typing :: Typed" in (metadata.get_all("Classifier") or [])


@pytest.fixture
def project(tmp_path: Path, venv: Path) -> Iterator[Path]:
    root = tmp_path / "team-deploys"
    root.mkdir()
    yield root
    if (root / ".state").is_dir():  # whatever the test got to, its own stack is stopped
        down = [str(venv / "bin" / "deploy-dsl"), "server", "down"]
        env = _user_env(venv)
        subprocess.run(down, cwd=root, env=env, capture_output=True, check=False, timeout=120)


def test_a_team_installs_it_and_runs_the_daily_loop(wheel: Path, venv: Path, project: Path) -> None:
    env = _user_env(venv)
    python, dsl = str(venv / "bin" / "python"), str(venv / "bin" / "deploy-dsl")
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check"]

    # Installed alone, the library builds and plans; what needs an extra says which.
    _ok([*pip, str(wheel)], project, env)
    version = _ok([dsl, "--version"], project, env)
    assert version.output.strip() == f"deploy-dsl, version {VERSION}"
    for command, extra in ((["dashboard"], "dashboard"), (["server", "up"], "server")):
        refused = _run([dsl, *command], project, env)
        assert refused.returncode == 1, str(refused)
        assert refused.output.count("\n") == 1, str(refused)
        assert refused.output.endswith(f"pip install 'deploy-dsl[{extra}]'\n"), str(refused)

    # As the new project's `make install` would: deploy-dsl[server] and pytest. (Its Makefile
    # installs into .venv from the package index, where this build of deploy-dsl is not.)
    _ok([*pip, f"{wheel}[server]", "pytest"], project, env)
    _ok([dsl, "init"], project, env)
    stamp = venv / ".installed"
    stamp.touch()
    make = ["make", f"VENV={venv}"]

    # Nothing of this repository is importable; deploy_dsl is the installed wheel.
    where = _ok([python, "-c", "import deploy_dsl; print(deploy_dsl.__file__)"], project, env)
    assert where.output.startswith(str(venv)), str(where)
    assert _run([python, "-c", "import worker"], project, env).returncode == 1

    # The compiled build/ that init wrote is what `make build` writes.
    before = _tree(project / "build")
    _ok([*make, "build"], project, env)
    assert _tree(project / "build") == before

    ports = {"CONDUCTOR_PORT": _free_port(), "WORKER_PORT": _free_port()}
    ports["DASHBOARD_PORT"] = _free_port()
    (project / ".env").write_text("".join(f"{k}={v}\n" for k, v in ports.items()))
    # `make up`, with time for a loaded machine; the jar comes from the user's cache.
    up = _ok([dsl, "server", "up", "--timeout", "600"], project, env, timeout=900)
    assert "fetching" not in up.output, "the jar of the user's cache is used"
    assert f"Conductor API: http://127.0.0.1:{ports['CONDUCTOR_PORT']}/api" in up.output
    assert "Worker:" not in up.output, "the project configures no worker"
    assert (project / ".state" / "conductor" / "server.pid").is_file()

    tests = _ok([*make, "test"], project, env)
    assert "2 passed" in tests.output, str(tests)
    registered = _ok([*make, "register"], project, env)
    assert "workflow deploy_service v1" in registered.output and "created" in registered.output
    deployed = _ok([*make, "deploy"], project, env, timeout=300)
    assert re.search(r"deploy_service \S+: COMPLETED", deployed.output), str(deployed)
    output, _end = json.JSONDecoder().raw_decode(
        deployed.output, deployed.output.index("output: {") + 8
    )
    assert output == {"outcome": "deployed", "release": "checkout-2.4.0-staging"}
    planned = _ok([dsl, "plan", "--detailed-exitcode"], project, env)
    assert "0 to create, 0 to update, 4 unchanged" in planned.output, str(planned)

    _ok([*make, "down"], project, env)
    assert not (project / ".state" / "conductor" / "server.pid").exists()


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

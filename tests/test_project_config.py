"""`[tool.deploy-dsl]` in pyproject.toml: where the project's parts are, what it owns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from deploy_dsl.workspace.config import (
    CACHE_ENV,
    ConfigError,
    WorkerApp,
    find_pyproject,
    load_config,
    user_cache_dir,
)


def _pyproject(directory: Path, table: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pyproject.toml"
    path.write_text(f'[project]\nname = "x"\n\n[tool.deploy-dsl]\n{table}\n', encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)


def test_strings_and_lists(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, 'owner-email = "a@example.com"\nname-prefix = ["app_", "ops_"]')
    config = load_config(tmp_path)
    assert (config.owner_emails, config.name_prefixes) == (("a@example.com",), ("app_", "ops_"))
    assert config.source == path
    assert config.states_ownership


def test_the_defaults_sit_beside_the_pyproject(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, "")
    (tmp_path / "definitions").mkdir()
    deep = tmp_path / "definitions" / "sub"
    deep.mkdir()
    config = load_config(deep)  # found walking up, as pytest and ruff find theirs
    assert (config.root, config.source) == (tmp_path, path)
    assert config.definitions == str(tmp_path / "definitions")  # loads from any directory
    assert config.build_dir == tmp_path / "build"
    assert config.state_dir == tmp_path / ".state"
    assert config.cache_dir == Path.home() / ".cache" / "deploy-dsl"  # the user's, not the repo's
    assert config.worker is None
    assert not config.states_ownership


def test_every_place_can_be_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _pyproject(
        tmp_path,
        'definitions = "src/flows"\nbuild-dir = "out/conductor"\nstate-dir = "var/stack"\n'
        'cache-dir = "/opt/cache"\nworker = "svc.web:create_app()"\n'
        'worker-config = "svc/gunicorn.conf.py"',
    )
    (tmp_path / "src" / "flows").mkdir(parents=True)
    config = load_config(tmp_path)
    assert config.definitions == str(tmp_path / "src" / "flows")
    assert config.build_dir == tmp_path / "out" / "conductor"
    assert config.state_dir == tmp_path / "var" / "stack"
    assert config.cache_dir == Path("/opt/cache")
    assert config.worker == WorkerApp("svc.web:create_app()", tmp_path / "svc/gunicorn.conf.py")
    # The environment wins over the file: CI points every project at one cache.
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "ci-cache"))
    assert load_config(tmp_path).cache_dir == tmp_path / "ci-cache"


def test_a_definitions_name_that_is_no_directory_is_a_package(tmp_path: Path) -> None:
    _pyproject(tmp_path, 'definitions = "team.workflows"')
    assert load_config(tmp_path).definitions == "team.workflows"


def test_without_a_pyproject_the_working_directory_is_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    if find_pyproject(tmp_path) is not None:
        pytest.skip("a pyproject.toml above the temporary directory")
    config = load_config()
    assert (config.root, config.source) == (tmp_path.resolve(), None)
    assert config.definitions == "definitions"  # no such directory: a package name
    assert config.build_dir == tmp_path.resolve() / "build"


def test_the_nearest_pyproject_wins(tmp_path: Path) -> None:
    _pyproject(tmp_path, 'name-prefix = "app_"')
    (tmp_path / "defs").mkdir()
    assert load_config(tmp_path / "defs").name_prefixes == ("app_",)  # the directory's parent
    _pyproject(tmp_path / "defs", 'name-prefix = "inner_"')
    assert load_config(tmp_path / "defs").name_prefixes == ("inner_",)


def test_user_cache_dir_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert user_cache_dir() == tmp_path / "xdg" / "deploy-dsl"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert user_cache_dir() == Path.home() / ".cache" / "deploy-dsl"
    monkeypatch.setattr("sys.platform", "darwin")
    assert user_cache_dir() == Path.home() / "Library" / "Caches" / "deploy-dsl"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("owner-email = 3", "owner-email must be a non-empty string or a list of them, not 3"),
        ('name-prefix = [""]', "name-prefix must be a non-empty string"),
        (
            'owner_email = "a@example.com"',
            "unknown key(s) owner_email; known: build-dir, cache-dir, definitions, name-prefix, "
            "owner-email, state-dir, worker, worker-config",
        ),
        ('build-dir = ""', "build-dir must be a non-empty string, not ''"),
        ("definitions = ['a']", "definitions must be a non-empty string, not ['a']"),
        ('worker = "worker/app.py"', "worker must name a WSGI app as gunicorn does"),
        ('worker-config = "g.conf.py"', "worker-config needs worker (the app)"),
    ],
)
def test_bad_values_are_one_line_errors_naming_the_file(
    tmp_path: Path, table: str, message: str
) -> None:
    path = _pyproject(tmp_path, table)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert str(error.value).startswith(f"{path}: [tool.deploy-dsl] ")
    assert message in str(error.value) and "\n" not in str(error.value)


def test_invalid_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.deploy-dsl\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path)


def test_commands_find_the_project_from_a_subdirectory(tmp_path: Path) -> None:
    """`build` (and every command that loads definitions) reads the table: the definitions of
    `definitions`, the output in `build-dir`, from anywhere below the pyproject.toml."""
    _pyproject(tmp_path, 'definitions = "src/flows"\nbuild-dir = "out/conductor"')
    flows = tmp_path / "src" / "flows"
    flows.mkdir(parents=True)
    (flows / "deploy.py").write_text(
        "from deploy_dsl.dsl import Simple, Workflow\n"
        "deploy = Workflow('deploy', version=1, owner_email='a@example.com', tasks=[Simple('a')])\n"
    )
    (tmp_path / "docs").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "deploy_dsl", "build"],
        cwd=tmp_path / "docs",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "out" / "conductor" / "workflows" / "deploy.json").is_file()
    assert done.stdout.strip().endswith(f"into {tmp_path / 'out' / 'conductor'}/ (6 files)")
    assert not (tmp_path / "docs" / "build").exists()

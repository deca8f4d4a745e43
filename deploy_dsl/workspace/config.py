"""The project's `[tool.deploy-dsl]` table in pyproject.toml (an edge: reads a file).

    [tool.deploy-dsl]
    definitions = "definitions"          # a directory beside this file, or a package name
    build-dir = "build"                  # where `build` writes (and the dashboard reads)
    state-dir = ".state"                 # the local stack's databases, logs and pid files
    cache-dir = "..."                    # default: the user's cache, ~/.cache/deploy-dsl/
    worker = "worker.app:create_app()"   # a WSGI app `server up` serves; none by default
    worker-config = "worker/gunicorn.conf.py"  # its gunicorn settings file, if any
    owner-email = "platform-team@example.com"  # or a list
    name-prefix = ["deploy_", "rollout_"]      # or one string

Every key is optional; paths are relative to the pyproject.toml. The project is the first
pyproject.toml found walking up from where a command starts (the working directory, or a
definitions directory given on the command line), as pytest and ruff find theirs; without one,
the working directory is the project and every default applies there.

`owner-email` and `name-prefix` say which definitions on a shared server the project owns (what
`plan` lists as not in the definitions and `register --prune` may delete). When neither is set,
the project owns what carries an owner email its own definitions state.

The cache (the Conductor server jar, ~460 MB, and its extracted form) is the user's, shared by
every project: `DEPLOY_DSL_CACHE_DIR`, else `cache-dir`, else the platform's cache directory.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy_dsl.errors import DeployDslError

__all__ = [
    "CACHE_ENV",
    "ConfigError",
    "ProjectConfig",
    "WorkerApp",
    "find_pyproject",
    "load_config",
    "user_cache_dir",
]

_TABLE = "deploy-dsl"
_PATH_KEYS = ("build-dir", "state-dir", "cache-dir", "worker-config")
_KEYS = frozenset({"definitions", "worker", "owner-email", "name-prefix", *_PATH_KEYS})
CACHE_ENV = "DEPLOY_DSL_CACHE_DIR"
# gunicorn's form of a WSGI app: `module:name`, or `module:factory()` with arguments.
_APP = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*(\(.*\))?")


class ConfigError(DeployDslError):
    """`[tool.deploy-dsl]` is not valid TOML or holds a value of the wrong type."""


@dataclass(frozen=True)
class WorkerApp:
    """The project's worker: a WSGI app that `server up` serves with gunicorn on WORKER_PORT,
    run from the project's root; `config` is a gunicorn settings file (`-c`)."""

    app: str
    config: Path | None = None


@dataclass(frozen=True)
class ProjectConfig:
    """Where a project's parts are (absolute paths) and what it owns on a server."""

    root: Path
    definitions: str  # an absolute directory, or a package name
    build_dir: Path
    state_dir: Path
    cache_dir: Path
    worker: WorkerApp | None = None
    owner_emails: tuple[str, ...] = ()
    name_prefixes: tuple[str, ...] = ()
    source: Path | None = None  # the pyproject.toml read, if any

    @property
    def states_ownership(self) -> bool:
        return bool(self.owner_emails or self.name_prefixes)


def find_pyproject(start: Path) -> Path | None:
    """The first pyproject.toml in `start` or a directory above it."""
    here = start.resolve()
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def user_cache_dir(configured: Path | None = None) -> Path:
    """The user's cache for deploy-dsl: DEPLOY_DSL_CACHE_DIR, else `configured` (the table's
    cache-dir), else ~/Library/Caches/deploy-dsl on macOS, $XDG_CACHE_HOME/deploy-dsl or
    ~/.cache/deploy-dsl elsewhere."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser().resolve()
    if configured is not None:
        return configured
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "deploy-dsl"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "deploy-dsl"


def load_config(start: Path | None = None) -> ProjectConfig:
    """The configuration of the project `start` (default: the working directory) is in."""
    path = find_pyproject(start or Path.cwd())
    table = _table(path) if path is not None else {}
    root = path.parent if path is not None else Path.cwd().resolve()
    where = str(path)
    worker = None
    if "worker" in table:
        app = _string(table, "worker", where)
        if not _APP.fullmatch(app):
            raise ConfigError(
                f"{where}: [tool.{_TABLE}] worker must name a WSGI app as gunicorn does "
                f"(`module:app` or `module:factory()`), not {app!r}"
            )
        config = _path(table, "worker-config", root, where)
        worker = WorkerApp(app, config)
    elif "worker-config" in table:
        raise ConfigError(f"{where}: [tool.{_TABLE}] worker-config needs worker (the app)")
    return ProjectConfig(
        root=root,
        definitions=_definitions(table, root, where),
        build_dir=_path(table, "build-dir", root, where) or root / "build",
        state_dir=_path(table, "state-dir", root, where) or root / ".state",
        cache_dir=user_cache_dir(_path(table, "cache-dir", root, where)),
        worker=worker,
        owner_emails=_strings(table, "owner-email", where),
        name_prefixes=_strings(table, "name-prefix", where),
        source=path,
    )


def _table(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: cannot read [tool.{_TABLE}]: {error}") from None
    tool = data.get("tool", {})
    table = tool.get(_TABLE, {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{_TABLE}] must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:  # a misspelt key must not silently widen what `register --prune` deletes
        raise ConfigError(
            f"{path}: [tool.{_TABLE}] has unknown key(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_KEYS))}"
        )
    return table


def _definitions(table: dict[str, Any], root: Path, where: str) -> str:
    """A directory beside the pyproject.toml (absolute, so any working directory loads it), or
    else the text as given: a package name on the path."""
    value = _string(table, "definitions", where) if "definitions" in table else "definitions"
    directory = root / value
    return str(directory) if directory.is_dir() else value


def _path(table: dict[str, Any], key: str, root: Path, where: str) -> Path | None:
    if key not in table:
        return None
    return root / Path(_string(table, key, where)).expanduser()


def _string(table: dict[str, Any], key: str, where: str) -> str:
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            f"{where}: [tool.{_TABLE}] {key} must be a non-empty string, not {value!r}"
        )
    return value


def _strings(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, ())
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(
            f"{where}: [tool.{_TABLE}] {key} must be a non-empty string or a list of them, "
            f"not {value!r}"
        )
    return tuple(value)

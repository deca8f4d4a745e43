"""The project's `[tool.deploy-dsl]` table in pyproject.toml (an edge: reads a file).

    [tool.deploy-dsl]
    owner-email = "platform-team@example.com"   # or a list
    name-prefix = ["deploy_", "rollout_"]       # or one string

Both say which definitions on a shared server the project owns (what `plan` lists as not in the
definitions and `register --prune` may delete). When neither is set, the project owns what
carries an owner email its own definitions state.

The pyproject.toml read is the one beside the definitions: in a definitions directory or its
parent, or, for a package name, in the working directory. Nothing above that is read.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy_dsl.errors import DeployDslError

__all__ = ["ConfigError", "ProjectConfig", "load_config", "pyproject_for"]

_TABLE = "deploy-dsl"
_KEYS = frozenset({"owner-email", "name-prefix"})


class ConfigError(DeployDslError):
    """`[tool.deploy-dsl]` is not valid TOML or holds a value of the wrong type."""


@dataclass(frozen=True)
class ProjectConfig:
    owner_emails: tuple[str, ...] = ()
    name_prefixes: tuple[str, ...] = ()
    source: Path | None = None

    @property
    def states_ownership(self) -> bool:
        return bool(self.owner_emails or self.name_prefixes)


def pyproject_for(definitions: str, cwd: Path | None = None) -> Path | None:
    """The pyproject.toml that configures the definitions at `definitions` (dir or package)."""
    base = Path(cwd or Path.cwd())
    path = Path(definitions)
    candidates = [path, path.parent] if (base / path).is_dir() else [Path(".")]
    for candidate in candidates:
        found = (base / candidate / "pyproject.toml").resolve()
        if found.is_file():
            return found
    return None


def load_config(definitions: str, cwd: Path | None = None) -> ProjectConfig:
    path = pyproject_for(definitions, cwd)
    if path is None:
        return ProjectConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: cannot read [tool.{_TABLE}]: {error}") from None
    table = data.get("tool", {}).get(_TABLE, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{_TABLE}] must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:  # a misspelt key must not silently widen what `register --prune` deletes
        raise ConfigError(
            f"{path}: [tool.{_TABLE}] has unknown key(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_KEYS))}"
        )
    return ProjectConfig(
        owner_emails=_strings(table, "owner-email", path),
        name_prefixes=_strings(table, "name-prefix", path),
        source=path,
    )


def _strings(table: dict[str, Any], key: str, path: Path) -> tuple[str, ...]:
    value = table.get(key, ())
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(
            f"{path}: [tool.{_TABLE}] {key} must be a non-empty string or a list of them, "
            f"not {value!r}"
        )
    return tuple(value)

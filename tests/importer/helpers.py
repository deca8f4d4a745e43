"""Import JSON, write the package, load it the way `deploy-dsl build` does, compile it back."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from deploy_dsl.importer import ImportResult, import_files
from deploy_dsl.importer.output import format_with_ruff, write_package
from deploy_dsl.project import Project
from deploy_dsl.wire import AUDIT_FIELDS, dump
from deploy_dsl.workflow import Workflow
from deploy_dsl.workspace.loader import load_project

__all__ = [
    "REPO_ROOT",
    "Imported",
    "canonical",
    "import_package",
    "package_dir",
    "restore_interpreter",
]

REPO_ROOT = Path(__file__).resolve().parents[2]


def canonical(value: Any) -> str:
    """JSON text that ignores key order but not types (1, 1.0 and true differ), and the fields
    the server writes on every definition it stores (createdBy, ...), which no definition
    states and the importer leaves out."""
    return json.dumps(_without_audit(value), sort_keys=True)


def _without_audit(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_audit(v) for k, v in value.items() if k not in AUDIT_FIELDS}
    if isinstance(value, list):
        return [_without_audit(item) for item in value]
    return value


@dataclass
class Imported:
    result: ImportResult
    directory: Path
    project: Project

    def module(self, origin: str) -> ModuleType:
        return sys.modules[f"{self.directory.name}.{self.result.modules[origin]}"]

    def text(self, origin: str) -> str:
        return (self.directory / f"{self.result.modules[origin]}.py").read_text()

    def workflow(self, origin: str) -> Workflow:
        value = getattr(self.module(origin), self.result.modules[origin])
        assert isinstance(value, Workflow)
        return value

    def built(self, origin: str) -> dict[str, Any]:
        return dump(self.workflow(origin).compile().definition)


def import_package(paths: list[Path], out: Path, *, ruff: bool = True) -> Imported:
    """`deploy-dsl import PATHS --out OUT`, then `load_project(OUT)`.

    OUT's name is the package name, so it must be unique within the test session.
    """
    result = import_files(paths)
    written = write_package(out, result.files)
    if ruff:
        assert format_with_ruff(written, cwd=REPO_ROOT), "ruff is a dev dependency"
    return Imported(result, out, load_project(str(out)))


def package_dir(tmp_path: Path) -> Path:
    """A directory named like the test (tmp_path's name is unique in the session)."""
    return tmp_path / ("imported_" + re.sub(r"\W", "_", tmp_path.name))


def restore_interpreter() -> Iterator[None]:
    """Undoes what loading packages does to sys.modules and sys.path."""
    modules, path = set(sys.modules), list(sys.path)
    yield
    for name in set(sys.modules) - modules:
        del sys.modules[name]
    sys.path[:] = path

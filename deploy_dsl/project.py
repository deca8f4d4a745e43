"""Loading a directory or package of definition modules (an I/O edge: it imports code)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from deploy_dsl.errors import DefinitionError
from deploy_dsl.taskdef import TaskDef
from deploy_dsl.workflow import ExternalWorkflow, Workflow

__all__ = ["DEFAULT_DEFINITIONS", "Project", "collect", "load_project"]

DEFAULT_DEFINITIONS = "definitions"


@dataclass
class Project:
    """Every definition found, in a stable order (by name, then version)."""

    workflows: list[Workflow] = field(default_factory=list)
    taskdefs: list[TaskDef] = field(default_factory=list)
    externals: list[ExternalWorkflow] = field(default_factory=list)

    def workflow(self, name: str) -> Workflow:
        matches = [w for w in self.workflows if w.name == name]
        if not matches:
            known = ", ".join(w.name for w in self.workflows) or "none"
            raise DefinitionError(f"no workflow named {name!r} in the project (known: {known})")
        return max(matches, key=lambda w: w.version)


def load_project(source: str = DEFAULT_DEFINITIONS) -> Project:
    """Imports every module of a package name or a directory and collects its definitions.

    A directory with `__init__.py` is imported as a package (so its modules can import each
    other by package name); a plain directory's modules are imported by file stem.
    """
    path = Path(source)
    if path.is_dir():
        return collect(_import_directory(path.resolve()))
    if source.endswith(".py") or "/" in source:
        raise DefinitionError(f"definitions {source!r}: no such directory or package")
    return collect(_import_package(source))


def _import_package(name: str) -> list[ModuleType]:
    try:
        package = importlib.import_module(name)
    except ModuleNotFoundError as error:
        raise DefinitionError(
            f"definitions package {name!r} cannot be imported: {error}"
        ) from error
    modules = [package]
    for info in pkgutil.iter_modules(getattr(package, "__path__", []), prefix=f"{name}."):
        modules.append(importlib.import_module(info.name))
    return modules


def _import_directory(path: Path) -> list[ModuleType]:
    if (path / "__init__.py").exists():
        parent = str(path.parent)
        if parent not in sys.path:
            sys.path.insert(0, parent)
        return _import_package(path.name)
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
    return [importlib.import_module(p.stem) for p in sorted(path.glob("*.py"))]


def collect(modules: Iterable[ModuleType]) -> Project:
    """The definitions held by module globals (a TaskDef list counts too), each once."""
    seen: set[int] = set()
    project = Project()
    for module in modules:
        for value in vars(module).values():
            for item in value if isinstance(value, list | tuple) else (value,):
                _add(project, item, seen)
    project.workflows.sort(key=lambda w: (w.name, w.version))
    project.taskdefs.sort(key=lambda t: t.name)
    project.externals.sort(key=lambda e: (e.name, e.version))
    return project


def _add(project: Project, item: Any, seen: set[int]) -> None:
    if id(item) in seen:
        return
    if isinstance(item, Workflow):
        project.workflows.append(item)
    elif isinstance(item, TaskDef):
        project.taskdefs.append(item)
    elif isinstance(item, ExternalWorkflow):
        project.externals.append(item)
    else:
        return
    seen.add(id(item))

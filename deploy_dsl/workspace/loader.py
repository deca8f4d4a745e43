"""Importing a directory or package of definition modules, with errors that say where."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import re
import sys
import traceback
from pathlib import Path
from types import ModuleType

from pydantic import ValidationError

from deploy_dsl.errors import DeployDslError
from deploy_dsl.findings import Code, coded
from deploy_dsl.location import is_user_code
from deploy_dsl.project import Project, collect
from deploy_dsl.task import unknown_argument

__all__ = ["DEFAULT_DEFINITIONS", "LoadError", "load_project"]

DEFAULT_DEFINITIONS = "definitions"


class LoadError(DeployDslError):
    """Definitions could not be loaded; the message names the file (and line) at fault."""


def load_project(source: str = DEFAULT_DEFINITIONS) -> Project:
    """Imports every module of a package name or a directory and collects its definitions.

    A directory with `__init__.py` is imported as a package (so its modules can import each
    other by package name); a plain directory's modules are imported by file stem. An exception
    raised while importing a module becomes a LoadError naming the definition line that raised
    it (a typo in a reference, a bad argument).
    """
    path = Path(source)
    try:
        if path.is_dir():
            return collect(_import_directory(path.resolve()))
        if source.endswith(".py") or "/" in source:
            raise LoadError(f"definitions {source!r}: no such directory or package")
        return collect(_import_package(source))
    except LoadError:
        raise
    except Exception as error:  # whatever a definition module raises, said in one line
        where = _user_frame(error) or source
        raise LoadError(f"{where}: {coded(_code(error), _describe(error))}") from error


def _code(error: Exception) -> Code:
    """DSL004 for what Python cannot parse; DSL005 for what a builder or a reference refused
    (our own errors, a model's validation, a misspelt keyword or attribute, a field a typed
    reference lacks); DSL006 for any other exception the module raised."""
    if isinstance(error, SyntaxError):
        return Code.NOT_PYTHON
    if isinstance(error, DeployDslError | ValidationError):
        return Code.BUILDER_REFUSED
    if isinstance(error, TypeError) and _UNEXPECTED_KEYWORD.fullmatch(str(error)):
        return Code.BUILDER_REFUSED
    owner = getattr(error, "obj", None) if isinstance(error, AttributeError) else None
    if owner is not None and type(owner).__module__.startswith("deploy_dsl."):
        return Code.BUILDER_REFUSED  # `task.outptu`: a misspelt attribute of a task or model
    return Code.MODULE_RAISED


def _describe(error: Exception) -> str:
    """One line: the message of our own errors, `Type: message` for anything else."""
    if isinstance(error, SyntaxError):
        return f"syntax error: {error.msg}"
    if isinstance(error, ValidationError):
        first = error.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    text = " ".join(str(error).split()) or "(no message)"
    if isinstance(error, DeployDslError):
        return text
    if isinstance(error, AttributeError):
        return _attribute_error(error, text)
    if isinstance(error, TypeError):
        misspelt = _unexpected_keyword(error, text)
        if misspelt is not None:
            return misspelt
    return f"{type(error).__name__}: {text}"


# What Python says of a keyword a callable does not take (`Workflow.__init__() got an
# unexpected keyword argument 'verison'`): a misspelt argument of a builder without
# TaskOptions (Workflow, ApprovalGate, TaskDef, ...), said the way Task says it of its own.
_UNEXPECTED_KEYWORD = re.compile(r"([\w.]+)\(\) got an unexpected keyword argument '(\w+)'")


def _unexpected_keyword(error: TypeError, text: str) -> str | None:
    match = _UNEXPECTED_KEYWORD.fullmatch(text)
    frames = list(traceback.walk_tb(error.__traceback__))
    if match is None or not frames:
        return None
    # The call failed before the callee ran: the innermost frame is the one that called it.
    frame = frames[-1][0]
    names = match.group(1).removesuffix(".__init__").split(".")
    target = frame.f_locals.get(names[0], frame.f_globals.get(names[0]))
    for name in names[1:]:
        target = getattr(target, name, None)
    if not callable(target):
        return None
    return unknown_argument(".".join(names), match.group(2), target)


def _attribute_error(error: AttributeError, text: str) -> str:
    """Python names the close match only when it prints a traceback; say it here."""
    name, owner = error.name, getattr(error, "obj", None)
    if name and owner is not None:
        public = [attr for attr in dir(owner) if not attr.startswith("_")]
        close = difflib.get_close_matches(name, public, n=1)
        if close:
            return f"{text} (did you mean {close[0]!r}?)"
    return text


def _import_package(name: str) -> list[ModuleType]:
    try:
        package = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
        raise LoadError(f"definitions package {name!r} cannot be imported: {error}") from error
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


def _user_frame(error: BaseException) -> str | None:
    if isinstance(error, SyntaxError) and error.filename:
        return f"{_relative(error.filename)}:{error.lineno}"
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        if is_user_code(frame.filename):
            return f"{_relative(frame.filename)}:{frame.lineno}"
    return None


def _relative(filename: str) -> str:
    try:
        return str(Path(filename).resolve().relative_to(Path.cwd()))
    except ValueError:
        return filename

"""`deploy-dsl init`: a new project, written from the template in this package (an edge: it
writes files).

The template's files end in `.tmpl` (so that no tool takes them for this package's own code)
and a path part `dot-x` is written as `.x` (package data leaves dotfiles out). Three values are
filled in: the project's name, its owner email and its requirement on deploy-dsl.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from deploy_dsl.errors import DeployDslError

__all__ = ["ScaffoldError", "Values", "project_files", "project_name", "write_project"]

_SUFFIX = ".tmpl"
_DOT = "dot-"
# PEP 508's name (pyproject's `project.name`); an owner email that is safe in a Python string.
_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_EMAIL = re.compile(r"[^@\s\"'\\]+@[^@\s\"'\\]+\.[^@\s\"'\\]+")


class ScaffoldError(DeployDslError):
    """The new project cannot be written there, or a value is not one it can hold."""


@dataclass(frozen=True)
class Values:
    name: str  # the project's name in pyproject.toml and its README
    owner_email: str  # every definition's ownerEmail
    requirement: str  # its dependency on deploy-dsl, e.g. `deploy-dsl[server]>=0.1.0,<0.2`

    def check(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ScaffoldError(
                f"project name {self.name!r}: use letters, digits, '.', '_' and '-', starting "
                "and ending with a letter or digit"
            )
        if not _EMAIL.fullmatch(self.owner_email):
            raise ScaffoldError(f"owner email {self.owner_email!r} is not an email address")

    def fill(self, text: str) -> str:
        for token, value in (
            ("__PROJECT__", self.name),
            ("__OWNER_EMAIL__", self.owner_email),
            ("__REQUIREMENT__", self.requirement),
        ):
            text = text.replace(token, value)
        return text


def project_name(directory: Path) -> str:
    """A project name from a directory's name: its letters and digits, the rest as `-`."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", directory.resolve().name).strip("._-")
    return cleaned.lower()


def project_files(values: Values) -> dict[PurePosixPath, str]:
    """Each file of the new project, by its path in the project, filled in."""
    values.check()
    root = files(__package__) / "template"
    found = _walk(root, PurePosixPath())
    return {path: values.fill(item.read_text(encoding="utf-8")) for path, item in found}


def _walk(
    folder: Traversable, prefix: PurePosixPath
) -> Iterator[tuple[PurePosixPath, Traversable]]:
    for item in sorted(folder.iterdir(), key=lambda entry: entry.name):
        name = "." + item.name.removeprefix(_DOT) if item.name.startswith(_DOT) else item.name
        if item.is_dir():
            yield from _walk(item, prefix / name)
        elif name.endswith(_SUFFIX):
            yield prefix / name.removesuffix(_SUFFIX), item


def write_project(directory: Path, values: Values, *, force: bool = False) -> list[Path]:
    """Writes the project into `directory` (made if missing), which must be empty unless
    `force`: then the template's files replace those of the same name, and nothing else is
    touched. Returns the files written."""
    contents = project_files(values)
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError(f"{directory} is a file, not a directory")
    if directory.is_dir() and not force:
        entries = sorted(entry.name for entry in directory.iterdir())
        if entries:
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            raise ScaffoldError(
                f"{directory} is not empty ({shown}); pass --force to write the new project "
                "into it (files of the same name are replaced, others kept)"
            )
    written = []
    try:
        for relative, text in contents.items():
            path = directory.joinpath(*relative.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as error:
        raise ScaffoldError(f"cannot write {error.filename}: {error.strerror}") from None
    return written

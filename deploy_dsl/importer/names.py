"""Python names for Conductor names: valid, readable, and unique where they must be."""

from __future__ import annotations

import builtins
import keyword
import re

from deploy_dsl.limits import MAX_NAME_BYTES

__all__ = [
    "MAX_STEM_LENGTH",
    "Namespace",
    "identifier",
    "natural_key",
    "pascal_case",
    "snake_case",
    "unsafe_module_name",
]

# Module file names stay far below the 255 bytes most file systems allow: snake_case may add
# an underscore at each word boundary, and a stem may still get `_v<n>` or `_workflow_<n>`.
MAX_STEM_LENGTH = 100

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]+")
_DIGITS = re.compile(r"(\d+)")


def snake_case(text: str) -> str:
    """`forkTask` -> `fork_task`, `sqs-test-workflow` -> `sqs_test_workflow`."""
    words = _WORD_BOUNDARY.sub("_", text)
    return re.sub(r"_+", "_", _NOT_IDENTIFIER.sub("_", words)).strip("_").lower()


def unsafe_module_name(name: str) -> str | None:
    """Why a workflow name must not be turned into a module file name, or None if it may.

    The module name drops such characters anyway; the name itself would still become a path
    when the package is built (`build/workflows/<name>.json`), so it is refused here, at the
    first tool that sees it, rather than at build time.
    """
    if "\0" in name:
        return "it contains a NUL character"
    if "/" in name or "\\" in name:
        return "it contains a path separator"
    if ".." in name:
        return "it contains '..'"
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > MAX_NAME_BYTES:
        return f"it is {size} bytes long, over the limit of {MAX_NAME_BYTES}"
    return None


def pascal_case(text: str) -> str:
    """`integration_test_wf` -> `IntegrationTestWf`."""
    return "".join(part[:1].upper() + part[1:] for part in snake_case(text).split("_"))


def identifier(text: str, fallback: str) -> str:
    """`text` made a valid identifier that is no keyword (`fallback` when nothing is left)."""
    name = _NOT_IDENTIFIER.sub("_", text) or fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if keyword.iskeyword(name):
        name += "_"
    return name


def natural_key(name: str) -> tuple[int, list[str | int]]:
    """Ruff's isort-style order: CONSTANTS, then Classes, then the rest, numbers by value."""
    letters = [c for c in name if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(name) > 1:
        group = 0
    elif name[:1].isupper():
        group = 1
    else:
        group = 2
    parts = [int(p) if p.isdigit() else p for p in _DIGITS.split(name)]
    return group, parts


# Builtins are reserved too: a module-level `dict` or `input` would shadow what the
# generated code (and a reader) expects them to be.
_RESERVED = frozenset(dir(builtins)) | frozenset(keyword.kwlist)


class Namespace:
    """The module-level names of one generated module; every name handed out is unique."""

    def __init__(self, reserved: frozenset[str] = frozenset()) -> None:
        self._taken: set[str] = set(_RESERVED) | set(reserved)

    def reserve(self, name: str) -> str:
        self._taken.add(name)
        return name

    def allocate(self, wanted: str, fallback: str, kind: str) -> str:
        """`wanted` made an identifier, else `<wanted>_<kind>`, else numbered."""
        base = identifier(wanted, fallback)
        for candidate in (base, f"{base}_{kind}"):
            if candidate not in self._taken:
                return self.reserve(candidate)
        number = 2
        while f"{base}_{kind}_{number}" in self._taken:
            number += 1
        return self.reserve(f"{base}_{kind}_{number}")

"""Where in the user's Python a definition was written, for error messages."""

from __future__ import annotations

import dis
import functools
import os
import sys
from dataclasses import dataclass
from types import CodeType, FrameType

__all__ = ["Location", "Where", "caller_location", "is_user_code", "literal_location"]

_PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__)) + os.sep
# The standard library and site-packages (this package's own folder is checked first).
_LIBRARY_DIRS = tuple(
    {os.path.dirname(os.__file__) + os.sep, *(p + os.sep for p in sys.path if "-packages" in p)}
)


@dataclass(frozen=True, slots=True)
class Location:
    """A file and line, shown relative to the working directory when it is printed.

    Only findings print it, so the path is made relative then and not for every task built.
    """

    filename: str
    line: int

    def __str__(self) -> str:
        return f"{_display_path(self.filename, os.getcwd())}:{self.line}"


# A Python location, or a JSON file's pointer such as "wf.json#/tasks/2".
Where = Location | str


@functools.cache
def _display_path(filename: str, cwd: str) -> str:
    try:
        return os.path.relpath(filename, cwd)
    except ValueError:  # another drive on Windows: keep the absolute path
        return filename


def caller_location() -> Location | None:
    """Where the user wrote the definition: the nearest module-level line outside this package.

    A task made by a helper function (`worker_step(...)`) is located at the call in the module
    that defines the workflow, not inside the helper, so two calls that clash are shown apart.
    Where no module-level frame of user code is near (a builder called from a test function),
    the nearest frame outside this package is used.
    """
    frame = _definition_frame(sys._getframe(1))
    return None if frame is None else Location(frame.f_code.co_filename, frame.f_lineno)


def _definition_frame(frame: FrameType | None) -> FrameType | None:
    """The frame caller_location reports, from `frame` outwards."""
    # Every task built walks here, so the kind cache is read inline rather than through
    # _kind: a call per frame is a large share of building a small task.
    kinds = _kinds
    while frame is not None:
        code = frame.f_code
        if (kinds.get(code) or _kind(code)) != _OURS:
            break
        frame = frame.f_back
    if frame is None:
        return None
    nearest = frame
    while frame is not None:
        code = frame.f_code
        if (kinds.get(code) or _kind(code)) == _FOREIGN:
            break
        if code.co_name == "<module>":
            return frame
        frame = frame.f_back
    return nearest


def literal_location(text: str) -> Location | None:
    """Where the user wrote `text` as a string literal, in the code that is defining a task
    (caller_location's frame), if its lines there are its own lines: then line N of a script
    is the file's line `location.line + N - 1`. None for text built at run time (an f-string,
    a join) or written with escaped newlines."""
    frame = _definition_frame(sys._getframe(1))
    if frame is None:
        return None
    stack = [frame.f_code]
    while stack:
        code = stack.pop()
        literals, nested = _literals(code)
        line = literals.get(text)
        if line is not None:
            return Location(code.co_filename, line)
        stack.extend(nested)
    return None


@functools.cache
def _literals(code: CodeType) -> tuple[dict[str, int], tuple[CodeType, ...]]:
    """The string constants a code object loads, each with the line it starts on where its
    lines are the file's, and the code objects nested in it (functions, classes). Worked out
    once per code object: a module that defines many scripts is read once, not per script."""
    literals: dict[str, int] = {}
    for instruction in dis.get_instructions(code):
        text = instruction.argval
        if instruction.opname != "LOAD_CONST" or not isinstance(text, str) or text in literals:
            continue
        positions = instruction.positions
        start = positions.lineno if positions else None
        end = positions.end_lineno if positions else None
        if start is not None and end is not None and end - start == text.count("\n"):
            literals[text] = start
    nested = tuple(const for const in code.co_consts if isinstance(const, CodeType))
    return literals, nested


# Non-zero, so that `_kinds.get(code) or _kind(code)` reads a cached kind without a call.
_OURS, _USER, _FOREIGN = 1, 2, 3
# Every task built asks; a code object's kind never changes, so it is worked out once.
_kinds: dict[CodeType, int] = {}


def _kind(code: CodeType) -> int:
    kind = _kinds.get(code)
    if kind is None:
        filename = code.co_filename
        if filename.startswith(_PACKAGE_DIR):
            kind = _OURS
        else:
            kind = _FOREIGN if _foreign(filename) else _USER
        _kinds[code] = kind
    return kind


def _foreign(filename: str) -> bool:
    """Code that is nobody's definition: the import machinery, the standard library and
    installed packages (a test runner calling a test function)."""
    return filename.startswith("<") or filename.startswith(_LIBRARY_DIRS)


def is_user_code(filename: str) -> bool:
    """Whether a frame's file is the user's: neither this package nor a library."""
    return not filename.startswith(_PACKAGE_DIR) and not _foreign(filename)

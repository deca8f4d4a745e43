"""Where in the user's Python a definition was written, for error messages."""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass

__all__ = ["Location", "Where", "caller_location"]

_PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__)) + os.sep


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
    """The nearest frame outside this package: the line that built the task."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return None
    return Location(frame.f_code.co_filename, frame.f_lineno)

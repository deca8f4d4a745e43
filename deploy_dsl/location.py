"""Where in the user's Python a definition was written, for error messages."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

__all__ = ["caller_location"]

_PACKAGE_DIR = str(Path(__file__).resolve().parent) + os.sep


@functools.cache
def _display_path(filename: str, cwd: str) -> str:
    # relpath is slow next to the rest of building a task, and a module has one filename
    try:
        return os.path.relpath(filename, cwd)
    except ValueError:  # another drive on Windows: keep the absolute path
        return filename


def caller_location() -> str | None:
    """`file:line` of the nearest frame outside this package (the line that built the task)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return None
    return f"{_display_path(frame.f_code.co_filename, os.getcwd())}:{frame.f_lineno}"

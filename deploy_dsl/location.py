"""Where in the user's Python a definition was written, for error messages."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

__all__ = ["caller_location"]

_PACKAGE_DIR = str(Path(__file__).resolve().parent) + os.sep


def caller_location() -> str | None:
    """`file:line` of the nearest frame outside this package (the line that built the task)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return None
    filename = frame.f_code.co_filename
    with contextlib.suppress(ValueError):  # another drive on Windows: keep the absolute path
        filename = os.path.relpath(filename)
    return f"{filename}:{frame.f_lineno}"

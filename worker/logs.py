"""Structured logging: one JSON object per line on stderr, and one line per step call."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING

import pydantic_core

from worker.models import iso_time

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["CALL_ENVIRON_KEY", "JsonFormatter", "StepCallLog", "configure_logging"]

# Where the step view leaves (deploymentId, scope) for the log line.
CALL_ENVIRON_KEY = "worker.call"

_log = logging.getLogger("worker")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": iso_time(record.created),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
            "pid": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging() -> None:
    # Idempotent: create_app may run several times in one process (tests).
    if not _log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        _log.addHandler(handler)
    _log.setLevel(logging.INFO)
    _log.propagate = False


class StepCallLog:
    """WSGI middleware: one line per POST to a step, rejected calls included, with its status
    and duration. Plain WSGI rather than Flask hooks: it runs on every call, and each Flask
    context lookup costs more than this whole wrapper.

    The line has the shape :class:`JsonFormatter` gives, but is written straight to the stream:
    going through ``logging`` (a LogRecord, caller lookup, formatter, json) cost about as much
    as the rest of this wrapper, several times over, on every call.
    """

    def __init__(self, app: WSGIApplication, steps: Collection[str]) -> None:
        self._app = app
        self._steps = {f"/{step}": step for step in steps}
        self._stream = sys.stderr

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        step = self._steps.get(environ.get("PATH_INFO", ""))
        if step is None or environ.get("REQUEST_METHOD") != "POST":
            return self._app(environ, start_response)
        started = time.perf_counter()
        status = 0

        def recording_start_response(
            status_line: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            nonlocal status
            status = int(status_line[:3])
            return start_response(status_line, headers, exc_info)

        # Flask has answered (start_response called) by the time it returns the body iterable.
        body = self._app(environ, recording_start_response)
        deployment_id, scope = environ.get(CALL_ENVIRON_KEY, (None, None))
        self._write(
            {
                "time": iso_time(time.time()),
                "level": "info",
                "message": "step call",
                "pid": os.getpid(),
                "step": step,
                "deploymentId": deployment_id,
                "scope": scope,
                "status": status,
                "durationMs": round((time.perf_counter() - started) * 1000, 3),
            }
        )
        return body

    def _write(self, entry: dict[str, object]) -> None:
        # One write of a whole line, so lines from both processes never interleave mid-line.
        line = pydantic_core.to_json(entry).decode() + "\n"
        self._stream.write(line)
        self._stream.flush()

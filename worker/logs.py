"""Structured logging: one JSON object per line on stderr, and one line per step call."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Collection

from flask import Flask, Response, g, request

from worker.models import iso_time

__all__ = ["JsonFormatter", "configure_logging", "log_step_calls"]

_log = logging.getLogger("worker")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": iso_time(record.created),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
            "pid": record.process,
        }
        entry.update(getattr(record, "fields", {}))
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


def log_step_calls(app: Flask, steps: Collection[str]) -> None:
    """Log every call of a step endpoint, rejected ones included, with its status and duration."""

    @app.before_request
    def _start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _log_call(response: Response) -> Response:
        if request.endpoint in steps:
            fields = {
                "step": request.endpoint,
                "deploymentId": g.get("deployment_id"),
                "scope": g.get("scope"),
                "status": response.status_code,
                "durationMs": round((time.perf_counter() - g.started) * 1000, 3),
            }
            _log.info("step call", extra={"fields": fields})
        return response

"""Serving the dashboard: gunicorn (as the worker is served), one process with threads so
that every request shares the one cache of Conductor answers."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

__all__ = ["new_token", "serve"]

# Enough for a few pages each polling once a second, and an action or two.
THREADS = 8


def new_token() -> str:
    """A token for approve, reject, promote, abort and terminate, when none is configured."""
    return secrets.token_urlsafe(24)


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, make_app: Callable[[], Flask], options: dict[str, Any]) -> None:
        self._make_app = make_app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # In the serving process, after the fork: the Conductor client is made there.
        return self._make_app()


def serve(make_app: Callable[[], Flask], host: str, port: int) -> None:
    """Serves until stopped (Ctrl-C or SIGTERM)."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    options = {
        "bind": [bind],
        "workers": 1,
        "worker_class": "gthread",
        "threads": THREADS,
        "timeout": 60,
        "graceful_timeout": 5,
        # Requests are logged without their headers: the token travels in one.
        "accesslog": "-",
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
        "errorlog": "-",
        "loglevel": "info",  # start, stop and the signals that stopped it
        "proc_name": "deploy-dsl-dashboard",
        # One control socket path is shared by every gunicorn on the host unless disabled (as
        # worker/gunicorn.conf.py does): another instance's would take it over.
        "control_socket_disable": True,
    }
    _Server(make_app, options).run()

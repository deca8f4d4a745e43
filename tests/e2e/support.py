"""Helpers for the end-to-end tests: the CLI as a process, Conductor and worker reads, polling."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.settings import Connection
from deploy_dsl.client.timeline import TERMINAL_STATUSES
from deploy_dsl.local import stack as local_stack

__all__ = [
    "REPO_ROOT",
    "CliResult",
    "Conductor",
    "Stack",
    "WorkerClient",
    "at",
    "healthy",
    "progress",
    "run_cli",
    "started_id",
    "stop_worker",
    "tasks_of",
    "wait_until",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")

# Loopback only: a proxy from the environment must not see (or break) these calls.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_until(
    check: Callable[[], T | None], *, timeout: float, what: str, every: float = 0.2
) -> T:
    """Poll `check` until it returns something other than None/False; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def healthy(base_url: str) -> bool:
    try:
        with _OPENER.open(f"{base_url.rstrip('/')}/health", timeout=3) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def _get_json(url: str) -> Any:
    with _OPENER.open(url, timeout=10) as response:
        return json.loads(response.read())


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def __str__(self) -> str:
        return (
            f"deploy-dsl {' '.join(self.args)} -> exit {self.returncode} in {self.seconds:.1f}s\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )


def run_cli(
    *args: str,
    stdin: str | None = None,
    env: Mapping[str, str | None] | None = None,
    timeout: float = 120,
) -> CliResult:
    """`python -m deploy_dsl ARGS` from the repository root, as a user would run it.

    `env` overrides the environment; a None value removes the variable.
    """
    environment = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "deploy_dsl", *args],
        cwd=REPO_ROOT,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliResult(args, done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def started_id(result: CliResult, workflow: str) -> str:
    """The workflow id from `run`'s "started NAME vN: ID" line."""
    found = re.search(rf"^started {re.escape(workflow)} v\d+: (\S+)$", result.stdout, re.MULTILINE)
    assert found, f"no 'started {workflow}' line:\n{result}"
    return found.group(1)


class Conductor:
    """Reads executions through the project's SDK adapter."""

    def __init__(self, connection: Connection) -> None:
        self.api = ConductorApi(connection)
        self.url = connection.server_url

    def execution(self, workflow_id: str) -> dict[str, Any]:
        return self.api.execution(workflow_id)

    def finished(self, workflow_id: str, timeout: float = 60) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            execution = self.execution(workflow_id)
            return execution if execution.get("status") in TERMINAL_STATUSES else None

        return wait_until(done, timeout=timeout, what=f"{workflow_id} to finish")

    def metadata_times(
        self, workflows: Sequence[tuple[str, int]], taskdefs: Sequence[str] = ()
    ) -> dict[str, tuple[Any, Any]]:
        """(createTime, updateTime) of the given workflow versions and task definitions that
        the server holds (it may hold others): it rewrites them on every write, so equal times
        mean nothing was written."""
        wanted = set(workflows)
        times = {
            f"workflow {w['name']} v{w['version']}": (w.get("createTime"), w.get("updateTime"))
            for w in self.api.workflow_defs()
            if (w["name"], w["version"]) in wanted
        }
        times |= {
            f"taskdef {t['name']}": (t.get("createTime"), t.get("updateTime"))
            for t in self.api.task_defs()
            if t["name"] in taskdefs
        }
        return times

    def delete(self, path: str) -> None:
        """DELETE an /api path; cleanup only, so a missing definition is fine."""
        request = urllib.request.Request(f"{self.url}/{path.lstrip('/')}", method="DELETE")
        try:
            with _OPENER.open(request, timeout=10):
                pass
        except urllib.error.HTTPError as error:
            # Conductor 3.32 answers a missing workflow definition with 500 "No such ...".
            missing = error.code == 404 or b"No such" in error.read()
            if not missing:
                raise


def tasks_of(execution: Mapping[str, Any], task_type: str | None = None) -> list[dict[str, Any]]:
    """The execution's tasks in scheduling order, optionally of one type."""
    tasks = sorted(execution.get("tasks") or [], key=lambda t: t.get("seq") or 0)
    return [t for t in tasks if task_type is None or t.get("taskType") == task_type]


class WorkerClient:
    def __init__(self, base_url: str) -> None:
        self.url = base_url.rstrip("/")

    def history(self, deployment_id: str) -> list[dict[str, Any]]:
        """Every call the worker received for one deployment, in commit order."""
        quoted = urllib.parse.quote(deployment_id, safe="")
        try:
            found = _get_json(f"{self.url}/deployments/{quoted}/history")
        except urllib.error.HTTPError as error:
            if error.code == 404:  # the worker never heard of it
                return []
            raise
        return list(found["entries"])

    def deployment(self, deployment_id: str) -> dict[str, Any]:
        quoted = urllib.parse.quote(deployment_id, safe="")
        found: dict[str, Any] = _get_json(f"{self.url}/deployments/{quoted}")
        return found

    def scope_history(self, scope: str) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({"scope": scope})
        return list(_get_json(f"{self.url}/history?{query}")["entries"])


def at(entry: Mapping[str, Any]) -> float:
    """A worker history entry's time, in epoch seconds."""
    return datetime.fromisoformat(str(entry["timestamp"])).timestamp()


@dataclass(frozen=True)
class Stack:
    conductor_url: str  # base URL, without /api
    worker_url: str
    conductor_port: int
    worker_port: int

    def ports(self) -> local_stack.Ports:
        return local_stack.Ports(self.conductor_port, self.worker_port)

    def restart_worker(self) -> None:
        """Start the worker again after a test stopped it; Conductor keeps running."""
        local_stack.up(self.ports(), progress=progress)
        assert healthy(self.worker_url), f"the worker does not answer at {self.worker_url}"


def progress(line: str) -> None:
    print(f"[e2e] {line}", file=sys.stderr, flush=True)


def stop_worker(stack: Stack) -> None:
    """Stop the worker that `server up` started (Conductor keeps running); fails the test if
    the worker that answers is not the one `server up` started."""
    assert "worker" in local_stack.running(), (
        f"the worker at {stack.worker_url} was not started by `deploy-dsl server up`: this "
        "test stops and restarts it"
    )
    local_stack.stop("worker", progress)

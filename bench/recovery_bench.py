"""Crash recovery of the local server: a pipeline of 3 waves x 3 deploys, Conductor SIGKILLed
when the second wave starts, then restarted. Prints the time from the restart until the server
is healthy and until the pipeline COMPLETED, and the steps the worker saw twice (at-least-once
delivery: a call in flight at the kill is made again).

Uses the running local stack (or starts it) and restarts its Conductor; run it alone.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench import report
from bench.server_bench import _register_project, local_stack
from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.timeline import TERMINAL_STATUSES
from deploy_dsl.local import stack as local
from deploy_dsl.workspace.loader import load_project

__all__ = ["main"]

WAVES, SERVICES = 3, 3
TIMEOUT = 300.0


def main() -> None:
    with local_stack() as running:
        api = ConductorApi(running.settings.connection())
        _register_project(api, running.settings)
        ports = local.Ports(
            running.settings.local_conductor_port, running.settings.local_worker_port
        )
        tag = uuid.uuid4().hex[:6]
        waves = [
            {"services": [{"scope": f"svc-bench-crash-{tag}-{w}-{s}", "version": "1", "env": "b"}
                          for s in range(SERVICES)]}
            for w in range(WAVES)
        ]  # fmt: skip
        version = load_project().workflow("pipeline_simple_v1").version
        pipeline = api.start(
            "pipeline_simple_v1", version, {"waves": waves, "halt_on_rollback": False}
        )
        _until(lambda: _wave_started(api, pipeline, 2), "the second wave to start")
        pid = {p.name: p.pid for p in local.status(ports)}["conductor"]
        if pid is None:
            raise SystemExit("the local Conductor was not started by `server up`")
        os.killpg(pid, signal.SIGKILL)
        _until(
            lambda: {p.name: p.pid for p in local.status(ports)}["conductor"] is None, "the kill"
        )
        restarted = time.perf_counter()
        local.up(ports)
        healthy = time.perf_counter()
        _until(lambda: api.execution(pipeline)["status"] in TERMINAL_STATUSES, "the pipeline")
        done = time.perf_counter()
        execution = api.execution(pipeline)
        repeated: Counter[str] = Counter()
        for task in execution["tasks"]:
            if task["taskType"] == "SUB_WORKFLOW" and task.get("subWorkflowId"):
                calls = Counter(
                    e["step"] for e in _history(running.worker_url, task["subWorkflowId"])
                    if e["statusCode"] == 200
                )  # fmt: skip
                repeated.update(step for step, n in calls.items() if n > 1)
        print(
            f"    pipeline {WAVES}x{SERVICES}, SIGKILL when wave 2 started: {execution['status']}"
        )
        print(f"    restart -> healthy        {healthy - restarted:6.1f} s (JVM start)")
        print(f"    healthy -> COMPLETED      {done - healthy:6.1f} s (target: tens of seconds)")
        print(f"    steps the worker saw twice: {dict(repeated) or 'none'} (all idempotent)")
        report.record("recovery: restart to healthy", healthy - restarted, "s")
        report.record("recovery: healthy to COMPLETED", done - healthy, "s")
        report.record("recovery: steps run twice", sum(repeated.values()), "steps")


def _wave_started(api: ConductorApi, workflow_id: str, wave: int) -> bool:
    tasks = api.execution(workflow_id).get("tasks") or []
    return any(t["taskType"] == "SUB_WORKFLOW" and t.get("iteration") == wave for t in tasks)


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.perf_counter() + TIMEOUT
    while not check():
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)


def _history(worker_url: str, deployment_id: str) -> list[dict[str, Any]]:
    import httpx

    reply = httpx.get(
        f"{worker_url}/deployments/{deployment_id}/history", timeout=10, trust_env=False
    )
    return list(reply.json()["entries"]) if reply.status_code == 200 else []

"""Compile throughput, and whole-process `deploy-dsl build` time, beside the SDK's DSL.

(a) 1,000 generated workflows of 50 HTTP tasks (each task reads the previous one's output),
    built and serialised to JSON by deploy-dsl, by conductor-python's ConductorWorkflow, and as
    plain dicts through json.dumps (the floor: no builder at all). The SDK and the dicts are
    dumped compactly with the C encoder, their fastest path; deploy-dsl writes its canonical
    indented form, so the comparison does not favour us.
(b) `deploy-dsl build` of this repository as a whole process, beside a script that imports the
    SDK and builds the same four workflows with it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.timing import best_of, interleaved_process_times, ratio
from deploy_dsl.canonical import canonical_model_json
from deploy_dsl.dsl import Http, Workflow

__all__ = ["main"]

WORKFLOWS = 1000
TASKS = 50
REPO_ROOT = Path(__file__).resolve().parent.parent


def _body(previous: str | None) -> dict[str, Any]:
    return {"step": 1, "previous": f"${{{previous}.output.response.body.id}}" if previous else None}


def build_with_deploy_dsl() -> int:
    size = 0
    for w in range(WORKFLOWS):
        tasks: list[Http] = []
        for t in range(TASKS):
            previous = tasks[-1] if tasks else None
            body = {"step": t, "previous": previous.output.response.body.id if previous else None}
            tasks.append(Http(f"call_{t}", uri=f"http://worker/{t}", method="POST", body=body))
        workflow = Workflow(f"bench_{w}", version=1, owner_email="b@example.com", tasks=tasks)
        size += len(canonical_model_json(workflow.compile().definition))
    return size


def build_with_sdk() -> int:
    from conductor.client.http.api_client import ApiClient
    from conductor.client.workflow.conductor_workflow import ConductorWorkflow
    from conductor.client.workflow.task.http_task import HttpTask

    client = ApiClient()
    size = 0
    for w in range(WORKFLOWS):
        workflow = ConductorWorkflow(executor=None, name=f"bench_{w}", version=1)
        workflow.owner_email("b@example.com")
        for t in range(TASKS):
            previous = f"call_{t - 1}" if t else None
            http = {
                "uri": f"http://worker/{t}",
                "method": "POST",
                "body": {"step": t, **_body(previous)},
            }
            workflow.add(HttpTask(f"call_{t}", http))
        definition = client.sanitize_for_serialization(workflow.to_workflow_def())
        size += len(json.dumps(definition))
    return size


def build_plain_dicts() -> int:
    size = 0
    for w in range(WORKFLOWS):
        tasks = []
        for t in range(TASKS):
            previous = f"call_{t - 1}" if t else None
            request = {"uri": f"http://worker/{t}", "method": "POST", "body": _body(previous)}
            tasks.append(
                {
                    "name": f"call_{t}",
                    "taskReferenceName": f"call_{t}",
                    "type": "HTTP",
                    "inputParameters": {"http_request": request},
                }
            )
        workflow = {"name": f"bench_{w}", "version": 1, "schemaVersion": 2, "tasks": tasks}
        size += len(json.dumps(workflow))
    return size


def compile_throughput() -> None:
    total = WORKFLOWS * TASKS
    print(f"(a) compile throughput: {WORKFLOWS} workflows x {TASKS} HTTP tasks, to JSON")
    build_with_sdk()  # warm the SDK's imports so they are not charged to its first round
    timings = {
        "deploy-dsl": best_of(3, build_with_deploy_dsl),
        "conductor-python DSL": best_of(3, build_with_sdk),
        "plain dicts + json.dumps": best_of(3, build_plain_dicts),
    }
    for name, seconds in timings.items():
        print(f"    {name:26s} {total / seconds:>12,.0f} tasks/s  ({seconds:.2f} s)")
    print(
        f"    deploy-dsl vs SDK: {ratio(timings['conductor-python DSL'], timings['deploy-dsl'])} "
        f"faster (target >= 2x); vs the plain-dict floor: "
        f"{ratio(timings['deploy-dsl'], timings['plain dicts + json.dumps'])} slower"
    )


def build_process_time() -> None:
    out = tempfile.mkdtemp(prefix="bench-build-")
    commands = {
        "deploy-dsl build": [sys.executable, "-m", "deploy_dsl", "build", "--out", out],
        "SDK script": [sys.executable, str(REPO_ROOT / "bench" / "sdk_four_workflows.py"), out],
    }
    times = interleaved_process_times(commands, rounds=11, cwd=str(REPO_ROOT))
    print("(b) whole process, the four workflows of this repository (median of 11)")
    for name, measured in times.items():
        wall, cpu = measured.wall * 1000, measured.cpu * 1000
        print(f"    {name:26s} {wall:>6.0f} ms wall  {cpu:>6.0f} ms cpu")
    ours, sdk = times["deploy-dsl build"], times["SDK script"]
    print(
        f"    deploy-dsl build vs SDK script: {ratio(sdk.wall, ours.wall)} faster in wall time "
        f"(target >= 2x), {ratio(sdk.cpu, ours.cpu)} in cpu time"
    )


def main() -> None:
    compile_throughput()
    build_process_time()

"""`deploy-dsl plan` against a crowded server: time and request count at 2,000 workflows.

The server gets this repository's definitions (4 workflows, 12 task definitions) and as many
generated workflows of another owner as make it hold WORKFLOWS in all (5 HTTP tasks each, the
size of a deploy). Then, side by side with the same plan on the server as it was before:

(a) the plan in process (four reads and the diff), median of ROUNDS, with its request count;
(b) `deploy-dsl plan --json` as a process (start-up, compile, reads, diff), median of ROUNDS;
(c) `register` in process, side by side at both sizes: one of the project's workflows was
    changed on the server (its description), so the plan has one update; four reads, the diff
    and one bulk PUT put it back. Median of ROUNDS, with its request count;
(d) what the largest of the reads weighs: GET /metadata/workflow, bytes and time.

Target: under 2 s with the same number of requests whatever the server holds. The generated
workflows are deleted afterwards (one DELETE each: 3.32.3 has no bulk delete).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import report
from bench.server_bench import local_stack
from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.registration import apply, read_plan
from deploy_dsl.client.settings import Settings
from deploy_dsl.compiler import Compiled, compile_project
from deploy_dsl.wire import dump
from deploy_dsl.workspace.loader import load_project

__all__ = ["main"]

WORKFLOWS = 2_000
TASKS = 5
ROUNDS = 5
CHUNK = 250  # workflows per bulk PUT while filling the server
TARGET_S = 2.0
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Measured:
    seconds: float
    requests: int


def _compiled(settings: Settings) -> tuple[Compiled, list[tuple[str, int]]]:
    project = load_project("definitions")
    compiled = compile_project(project, settings.compile_options())
    if compiled.errors:
        raise SystemExit(f"definitions do not validate: {compiled.errors[0]}")
    return compiled, [(e.name, e.version) for e in project.externals]


def _in_process(settings: Settings) -> Measured:
    compiled, externals = _compiled(settings)

    def once() -> Measured:
        started = time.perf_counter()
        api = ConductorApi(settings.connection())
        plan = read_plan(api, compiled, externals=externals)
        seconds = time.perf_counter() - started
        if plan.has_changes() or plan.problems:
            raise SystemExit(f"the plan is not empty: {plan.counts()} {plan.problems}")
        return Measured(seconds, api.requests)

    return _median(once)


def _process() -> Measured:
    def once() -> Measured:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "deploy_dsl", "plan", "--json", "--detailed-exitcode"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"deploy-dsl plan exited {done.returncode}: {done.stderr.strip()}")
        return Measured(seconds, int(json.loads(done.stdout)["requests"]))

    return _median(once)


def _register(settings: Settings) -> Measured:
    """`register --allow-overwrite` of a one-workflow change, in process."""
    compiled, externals = _compiled(settings)
    api = ConductorApi(settings.connection())
    original = dump(compiled.workflows[0])
    changed = {**original, "description": f"changed by the plan bench {uuid.uuid4().hex[:6]}"}

    def once() -> Measured:
        api.put_workflows([changed])  # what a colleague's edit on the server looks like
        started = time.perf_counter()
        fresh = ConductorApi(settings.connection())
        plan = read_plan(fresh, compiled, externals=externals)
        if plan.counts()["update"] != 1:
            raise SystemExit(f"register bench: expected one update, got {plan.counts()}")
        apply(fresh, plan, lambda _e, _o: None, allow_overwrite=True)
        return Measured(time.perf_counter() - started, fresh.requests)

    return _median(once)


def _median(once: Callable[[], Measured]) -> Measured:
    runs = [once() for _ in range(ROUNDS)]
    return Measured(statistics.median(r.seconds for r in runs), max(r.requests for r in runs))


def _generated(name: str) -> dict[str, Any]:
    """A deploy-sized workflow of another team: HTTP steps, each reading the previous one."""
    tasks = []
    for t in range(TASKS):
        body = {"step": t, "previous": f"${{call_{t - 1}.output.response.body.id}}" if t else None}
        request = {"uri": f"http://worker/{t}", "method": "POST", "body": body}
        tasks.append(
            {
                "name": f"call_{t}",
                "taskReferenceName": f"call_{t}",
                "type": "HTTP",
                "inputParameters": {"http_request": request},
            }
        )
    return {
        "name": name,
        "version": 1,
        "schemaVersion": 2,
        "tasks": tasks,
        "ownerEmail": "bench-other-team@example.com",
    }


def _fill(api: ConductorApi, count: int, tag: str) -> list[str]:
    names = [f"bench_plan_{tag}_{i}" for i in range(count)]
    for start in range(0, count, CHUNK):
        result = api.put_workflows([_generated(n) for n in names[start : start + CHUNK]])
        if result.get("bulkErrorResults"):
            raise SystemExit(f"bulk registration refused: {result['bulkErrorResults']}")
    return names


def _delete(api_url: str, names: list[str]) -> int:
    deleted = 0
    with httpx.Client(base_url=api_url, timeout=30, trust_env=False) as client:
        for name in names:
            deleted += client.delete(f"/metadata/workflow/{name}/1").status_code == 200
    return deleted


def _weight(api_url: str) -> tuple[int, float, int]:
    """(bytes, seconds, definitions) of one GET /metadata/workflow."""
    with httpx.Client(base_url=api_url, timeout=60, trust_env=False) as client:
        started = time.perf_counter()
        response = client.get("/metadata/workflow")
        seconds = time.perf_counter() - started
    return len(response.content), seconds, len(response.json())


def main() -> None:
    with local_stack() as stack:
        settings = stack.settings
        api_url = settings.connection().server_url
        api = ConductorApi(settings.connection())
        compiled, externals = _compiled(settings)
        apply(
            api,
            read_plan(api, compiled, externals=externals),
            lambda _e, _o: None,
            allow_overwrite=True,
        )
        ours = len(compiled.workflows)
        _, _, held_before = _weight(api_url)
        before, register_before = _in_process(settings), _register(settings)
        names: list[str] = []
        try:
            names = _fill(api, max(0, WORKFLOWS - held_before), uuid.uuid4().hex[:6])
            size, get_s, held = _weight(api_url)
            crowded, process = _in_process(settings), _process()
            register_crowded = _register(settings)
        finally:
            deleted = _delete(api_url, names)
        print(
            f"    Conductor {api_url}; this project: {ours} workflows, "
            f"{len(compiled.taskdefs)} task definitions"
        )
        print(f"(a) plan in process (four reads and the diff), median of {ROUNDS}")
        print(
            f"    server holding {held_before:5d} workflow definitions  "
            f"{before.seconds * 1000:7.0f} ms  {before.requests} request(s)"
        )
        print(
            f"    server holding {held:5d} workflow definitions  "
            f"{crowded.seconds * 1000:7.0f} ms  {crowded.requests} request(s)  "
            f"({held - ours - (held_before - ours)} generated, {ours} ours)"
        )
        fixed = "yes" if before.requests == crowded.requests == process.requests else "NO"
        print(
            f"(b) deploy-dsl plan --json as a process at {held}: {process.seconds:.2f} s, "
            f"{process.requests} request(s)"
        )
        met = report.at_most(f"plan process at {held} workflows", process.seconds, "s", TARGET_S)
        report.record(f"plan in process at {held_before} workflows", before.seconds * 1000, "ms")
        report.record(f"plan in process at {held} workflows", crowded.seconds * 1000, "ms")
        report.record(f"plan requests at {held} workflows", crowded.requests, "requests")
        report.record("plan in process, crowded vs not", crowded.seconds / before.seconds, "x")
        print(
            f"    target < {TARGET_S:.0f} s: {'met' if met else 'MISSED'}; same request count at "
            f"every size: {fixed}"
        )
        print(f"(c) register in process, one workflow changed on the server, median of {ROUNDS}")
        for count, measured in ((held_before, register_before), (held, register_crowded)):
            print(
                f"    server holding {count:5d} workflow definitions  "
                f"{measured.seconds * 1000:7.0f} ms  {measured.requests} request(s)"
            )
            report.record(
                f"register in process at {count} workflows", measured.seconds * 1000, "ms"
            )
            report.record(f"register requests at {count} workflows", measured.requests, "requests")
        report.record(
            "register in process, crowded vs not",
            register_crowded.seconds / register_before.seconds,
            "x",
        )
        report.record(f"GET /metadata/workflow at {held} workflows", size / 1e6, "MB")
        print(
            f"(d) GET /metadata/workflow at {held}: {size / 1e6:.1f} MB in {get_s * 1000:.0f} ms "
            f"(every version of every workflow, one request)"
        )
        print(f"    deleted {deleted}/{len(names)} generated workflows")

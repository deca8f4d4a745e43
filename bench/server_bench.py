"""The real Conductor OSS server and worker: deploy and pipeline latency, bulk registration.

(a) deploy_simple_v1 (a healthy scope: the finalize path), start to COMPLETED, median of
    DEPLOY_RUNS, and where the time of the median run goes.
(b) pipeline_simple_v1 with WAVES waves of SERVICES deploys (halt_on_rollback false), start to
    COMPLETED, median of PIPELINE_RUNS.
(c) GENERATED workflows registered with one bulk PUT (ConductorApi.put_workflows) beside one SDK
    call each (OrkesMetadataClient.register_workflow_def(overwrite=True), a POST per workflow),
    median of REGISTER_ROUNDS with the order alternated. Requests are counted on the wire by an
    httpx event hook on each side's client. Each side registers its own names; all are deleted.

Uses the running local stack at the settings' URLs, or starts it (stack.started_for) and
stops what it started.
"""

from __future__ import annotations

import contextlib
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from bench import report
from bench.timing import ratio
from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.settings import Settings, load_settings
from deploy_dsl.client.timeline import TERMINAL_STATUSES
from deploy_dsl.dsl import Http, Workflow
from deploy_dsl.local import stack
from deploy_dsl.wire import dump

__all__ = ["Run", "main", "pipeline_inputs", "run_until_done", "wave_breakdown", "workflow_version"]

DEPLOY_RUNS = 5
PIPELINE_RUNS = 3
WAVES = 3
SERVICES = 10
GENERATED = 200
GENERATED_TASKS = 5
REGISTER_ROUNDS = 3

# Issue 13: a deploy's floor is about 1.1 s (the worker's 1.0 s provisioning delay plus its
# calls); a 3x10 pipeline's about 3.3 s.
TARGET_DEPLOY_S = 1.4
TARGET_PIPELINE_S = 6.0
TARGET_BULK_RATIO = 5.0


# --- the stack ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stack:
    settings: Settings
    conductor_url: str
    worker_url: str


@contextlib.contextmanager
def local_stack() -> Iterator[Stack]:
    """The stack at the settings' URLs; started (and afterwards stopped) only if not running."""
    settings = load_settings()
    ports = stack.Ports(settings.local_conductor_port, settings.local_worker_port)
    with stack.started_for(ports, progress=lambda line: print(f"    {line}", flush=True)):
        yield Stack(settings, settings.conductor_url, settings.worker_url)


def _register_project(api: ConductorApi, settings: Settings) -> None:
    """This repository's definitions, as `deploy-dsl register --allow-overwrite` sends them
    (changes only)."""
    from deploy_dsl.client.registration import apply, read_plan
    from deploy_dsl.compiler import compile_project
    from deploy_dsl.workspace.loader import load_project

    project = load_project("definitions")
    compiled = compile_project(project, settings.compile_options())
    if compiled.errors:
        raise SystemExit(f"definitions do not validate: {compiled.errors[0]}")
    externals = [(e.name, e.version) for e in project.externals]
    current = read_plan(api, compiled, externals=externals)
    apply(api, current, lambda _entry, _outcome: None, allow_overwrite=True)


# --- (a) and (b): executions ----------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    wall: float  # seconds from before the start request until COMPLETED was seen
    execution: dict[str, Any]

    @property
    def server(self) -> float:
        """Start to end by the server's own clock: no polling granularity in it."""
        return float(self.execution["endTime"] - self.execution["startTime"]) / 1000


def workflow_version(name: str) -> int:
    """The version this repository defines (and `_register_project` registers) of `name`."""
    from deploy_dsl.workspace.loader import load_project

    return load_project("definitions").workflow(name).version


def run_until_done(
    api: ConductorApi,
    name: str,
    version: int,
    inputs: dict[str, Any],
    poll: float,
    timeout: float = 300,
) -> Run:
    started = time.perf_counter()
    workflow_id = api.start(name, version, inputs)
    deadline = started + timeout
    while True:
        execution = api.execution(workflow_id)
        if execution.get("status") in TERMINAL_STATUSES:
            break
        if time.perf_counter() > deadline:
            status = execution.get("status")
            raise SystemExit(f"{name} {workflow_id} still {status} after {timeout:g} s")
        time.sleep(poll)
    wall = time.perf_counter() - started
    if execution["status"] != "COMPLETED":
        reason = execution.get("reasonForIncompletion")
        raise SystemExit(f"{name} {workflow_id} ended {execution['status']}: {reason}")
    return Run(wall, execution)


def _duration(task: dict[str, Any]) -> float:
    return float(task["endTime"] - task["startTime"]) / 1000


def _breakdown(api: ConductorApi, run: Run, worker_url: str) -> None:
    """Where the median deploy's time went: provisioning, worker calls, Conductor in between."""
    http = [t for t in _all_tasks(api, run.execution["workflowId"]) if t["taskType"] == "HTTP"]
    waits = [t for t in http if t["referenceTaskName"] == "wait_infrastructure_created"]
    waiting = sum(_duration(t) for t in waits)
    calls = sum(_duration(t) for t in http) - waiting
    queued = sum(float(t["startTime"] - t["scheduledTime"]) / 1000 for t in http)
    rest = run.server - waiting - calls
    worker = httpx.get(f"{worker_url}/health", timeout=5, trust_env=False).json()
    policy = (waits[0].get("taskDefinition") or {}) if waits else {}
    print(f"    where the median run's {run.server:.2f} s went (server clock):")
    print(
        f"      wait_infrastructure_created {waiting:5.2f} s  (worker provisioning delay "
        f"{worker.get('provisionDelaySeconds')} s; the 503 carries Retry-After, TaskDef retry "
        f"delay {policy.get('retryDelaySeconds')} s)"
    )
    print(
        f"      other worker calls          {calls:5.2f} s  ({len(http) - len(waits)} HTTP tasks)"
    )
    print(
        f"      Conductor between tasks     {rest:5.2f} s  (of which HTTP tasks queued "
        f"{queued:.2f} s before a system-task poller took them)"
    )


def _deploys(api: ConductorApi, worker_url: str) -> float:
    version = workflow_version("deploy_simple_v1")
    runs = []
    for _ in range(DEPLOY_RUNS):
        inputs = {"scope": f"svc-bench-{uuid.uuid4().hex[:8]}", "version": "1.0.0", "env": "bench"}
        runs.append(run_until_done(api, "deploy_simple_v1", version, inputs, poll=0.05))
    runs.sort(key=lambda r: r.server)
    median = runs[len(runs) // 2]
    walls = statistics.median(r.wall for r in runs)
    servers = ", ".join(f"{r.server:.2f}" for r in runs)
    print(f"(a) deploy_simple_v1, start to COMPLETED (median of {DEPLOY_RUNS}, finalize path)")
    print(f"    server clock {median.server:6.2f} s   (runs: {servers})")
    print(f"    client wall  {walls:6.2f} s   (start request to COMPLETED seen, 50 ms polls)")
    met = report.at_most("deploy median", median.server, "s", TARGET_DEPLOY_S)
    report.record("deploy median, client wall", walls, "s")
    print(f"    target <= {TARGET_DEPLOY_S:g} s: {'met' if met else 'MISSED'}")
    _breakdown(api, median, worker_url)
    return median.server


def pipeline_inputs() -> dict[str, Any]:
    """WAVES waves of SERVICES healthy deploys on fresh scopes, every wave run."""
    tag = uuid.uuid4().hex[:6]
    waves = [
        {
            "name": f"wave-{w}",
            "services": [
                {"scope": f"svc-bench-{tag}-{w}-{s}", "version": "1.0.0", "env": "bench"}
                for s in range(SERVICES)
            ],
        }
        for w in range(1, WAVES + 1)
    ]
    return {"waves": waves, "halt_on_rollback": False}


def _pipeline(api: ConductorApi) -> float:
    version = workflow_version("pipeline_simple_v1")
    runs = []
    for _ in range(PIPELINE_RUNS):
        runs.append(
            run_until_done(api, "pipeline_simple_v1", version, pipeline_inputs(), poll=0.25)
        )
    runs.sort(key=lambda r: r.server)
    median = runs[len(runs) // 2]
    print(
        f"(b) pipeline_simple_v1, {WAVES} waves x {SERVICES} deploys, start to COMPLETED "
        f"(median of {PIPELINE_RUNS})"
    )
    print(
        f"    server clock {median.server:6.2f} s   "
        f"(runs: {', '.join(f'{r.server:.2f}' for r in runs)})"
    )
    label = f"pipeline {WAVES}x{SERVICES} median"
    met = report.at_most(label, median.server, "s", TARGET_PIPELINE_S)
    print(f"    target <= {TARGET_PIPELINE_S:g} s: {'met' if met else 'MISSED'}")
    wave_breakdown(api, median, WAVES)
    return median.server


def _all_tasks(api: ConductorApi, workflow_id: str) -> list[dict[str, Any]]:
    """A deploy's tasks with those of its finalize or rollback sub-workflow."""
    tasks = list(api.execution(workflow_id)["tasks"])
    for task in list(tasks):
        if task["taskType"] == "SUB_WORKFLOW" and task.get("subWorkflowId"):
            tasks += _all_tasks(api, task["subWorkflowId"])
    return tasks


def wave_breakdown(api: ConductorApi, run: Run, waves: int) -> None:
    """Each wave lasts as long as its slowest deploy; say what held that one up."""
    tasks = run.execution["tasks"]
    print("    per wave (server clock): wave time | its deploys | the slowest deploy's tasks")
    for number in range(1, waves + 1):
        wave = [t for t in tasks if t.get("iteration") == number and t["taskType"] != "DO_WHILE"]
        deploys = [t for t in wave if t["taskType"] == "SUB_WORKFLOW"]
        span = (max(t["endTime"] for t in wave) - min(t["startTime"] for t in wave)) / 1000
        slowest = max(deploys, key=_duration)
        inner = [t for t in _all_tasks(api, slowest["subWorkflowId"]) if t["taskType"] == "HTTP"]
        queued = sum(t["startTime"] - t["scheduledTime"] for t in inner) / 1000
        running = sum(_duration(t) for t in inner)
        durations = [_duration(t) for t in deploys]
        # Conductor's own share: how long the fork took to start every deploy, and how long
        # the JOIN took to see the last one end.
        starting = max(t["startTime"] for t in deploys) - min(t["scheduledTime"] for t in deploys)
        joins = [t for t in wave if t["taskType"] == "JOIN"]
        # At least 0: a SUB_WORKFLOW task's end can be stamped a little after the JOIN's.
        joined = max(0, joins[0]["endTime"] - max(t["endTime"] for t in deploys)) if joins else 0
        print(
            f"      wave {number}: {span:5.2f} s | {statistics.median(durations):.2f} s median, "
            f"{max(durations):.2f} s max | {len(inner)} HTTP tasks ran {running:.2f} s and "
            f"waited {queued:.2f} s in the system-task queue | all {len(deploys)} started "
            f"within {starting / 1000:.2f} s, JOIN done {joined / 1000:.2f} s after the last"
        )


# --- (c) registration -----------------------------------------------------------------------


def _generated(name: str) -> dict[str, Any]:
    """A deploy-sized workflow: HTTP steps, each reading the previous one's answer."""
    tasks: list[Http] = []
    for t in range(GENERATED_TASKS):
        previous = tasks[-1].output.response.body.id if tasks else None
        body = {"step": t, "previous": previous}
        tasks.append(Http(f"call_{t}", uri=f"http://worker/{t}", method="POST", body=body))
    workflow = Workflow(name, version=1, owner_email="bench@example.com", tasks=tasks)
    return dump(workflow.compile().definition)


class _Counter:
    """Requests that left an httpx client: its event hook fires once per request sent."""

    def __init__(self, client: httpx.Client) -> None:
        self.count = 0
        self.client = client
        client.event_hooks = {**client.event_hooks, "request": [self._seen]}

    def _seen(self, _request: httpx.Request) -> None:
        self.count += 1

    def check(self, client: httpx.Client) -> None:
        if client is not self.client:  # the SDK replaced a broken client: some went uncounted
            raise SystemExit("the SDK replaced its HTTP client mid-run; request counts are off")


def _sdk_client(api_url: str) -> Any:
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.orkes.orkes_metadata_client import OrkesMetadataClient

    return OrkesMetadataClient(Configuration(server_api_url=api_url))


@dataclass
class _Side:
    seconds: list[float]
    requests: list[int]


def _register_round(
    round_no: int, settings: Settings, bulk: _Side, each: _Side, cleanup: list[str]
) -> None:
    from conductor.client.helpers.helper import ObjectMapper
    from conductor.client.http.models.workflow_def import WorkflowDef

    tag = uuid.uuid4().hex[:6]
    bulk_defs = [_generated(f"bench_bulk_{tag}_{i}") for i in range(GENERATED)]
    each_defs = [_generated(f"bench_each_{tag}_{i}") for i in range(GENERATED)]
    mapper = ObjectMapper()
    # The SDK's own models, built before the clock starts, as an SDK user would hold them.
    sdk_defs = [mapper.from_json(body, WorkflowDef) for body in each_defs]
    cleanup += [d["name"] for d in bulk_defs + each_defs]

    def run_bulk() -> None:
        api = ConductorApi(settings.connection())
        counter = _Counter(api._client.rest_client.connection)
        started = time.perf_counter()
        result = api.put_workflows(bulk_defs)
        bulk.seconds.append(time.perf_counter() - started)
        counter.check(api._client.rest_client.connection)
        bulk.requests.append(counter.count)
        if result.get("bulkErrorResults"):
            raise SystemExit(f"bulk registration refused: {result['bulkErrorResults']}")

    def run_each() -> None:
        client = _sdk_client(settings.connection().server_url)
        counter = _Counter(client.api_client.rest_client.connection)
        started = time.perf_counter()
        for definition in sdk_defs:
            client.register_workflow_def(definition, overwrite=True)
        each.seconds.append(time.perf_counter() - started)
        counter.check(client.api_client.rest_client.connection)
        each.requests.append(counter.count)

    order: list[Callable[[], None]] = [run_bulk, run_each]
    for run in order if round_no % 2 == 0 else reversed(order):
        run()


def _delete(api_url: str, names: list[str]) -> int:
    deleted = 0
    with httpx.Client(base_url=api_url, timeout=30, trust_env=False) as client:
        for name in names:
            response = client.delete(f"/metadata/workflow/{name}/1")
            deleted += response.status_code == 200
    return deleted


def _registration(settings: Settings) -> float:
    bulk, each = _Side([], []), _Side([], [])
    names: list[str] = []
    try:
        # A first round untimed: the server's JIT and caches warm up on it, for both sides.
        _register_round(1, settings, _Side([], []), _Side([], []), names)
        for round_no in range(REGISTER_ROUNDS):
            _register_round(round_no, settings, bulk, each, names)
    finally:
        deleted = _delete(settings.connection().server_url, names)
    bulk_s, each_s = statistics.median(bulk.seconds), statistics.median(each.seconds)
    print(
        f"(c) registering {GENERATED} generated workflows ({GENERATED_TASKS} HTTP tasks each), "
        f"median of {REGISTER_ROUNDS}"
    )
    print(
        f"    bulk PUT (ConductorApi.put_workflows)       {bulk_s * 1000:8.0f} ms  "
        f"{max(bulk.requests)} request(s)"
    )
    print(
        f"    SDK register_workflow_def, one per workflow {each_s * 1000:8.0f} ms  "
        f"{max(each.requests)} request(s)"
    )
    met = report.at_least("bulk register vs one call each", each_s / bulk_s, "x", TARGET_BULK_RATIO)
    report.record(f"bulk register, {GENERATED} workflows", bulk_s * 1000, "ms")
    report.record("bulk register requests", max(bulk.requests), "requests")
    report.record(f"SDK register one each, {GENERATED} workflows", each_s * 1000, "ms")
    verdict = "met" if met else "MISSED"
    print(
        f"    bulk vs one each: {ratio(each_s, bulk_s)} faster "
        f"(target >= {TARGET_BULK_RATIO:.0f}x: {verdict}); deleted {deleted}/{len(names)} "
        "bench workflows"
    )
    # Both sides pay the server's write per workflow; only the round trips differ.
    per_def = bulk_s / GENERATED * 1000
    per_call = (each_s - bulk_s) / GENERATED * 1000
    print(
        f"    the server's own cost is {per_def:.2f} ms per workflow on either side; a request "
        f"adds {per_call:.2f} ms here (loopback), so the ratio grows with network latency"
    )
    return each_s / bulk_s


def main() -> None:
    with local_stack() as stack:
        api = ConductorApi(stack.settings.connection())
        print(f"    Conductor {api.url}, worker {stack.worker_url}", flush=True)
        _register_project(api, stack.settings)
        _deploys(api, stack.worker_url)
        _pipeline(api)
        _registration(stack.settings)


if __name__ == "__main__":
    main()

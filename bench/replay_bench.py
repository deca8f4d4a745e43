"""Replays of deploy_simple_v1 (`deploy-dsl replay`) beside one flow test of it.

Ten real deploys run end to end through the worker (five finalize, five roll back) and are
recorded as `deploy-dsl record` records them. Then, on the same server:
(a) one flow test of deploy_simple_v1 (FlowRunner.run, typed mocks, tests/flows/deployments.py)
    run RUNS times one after the other: the mean is the unit of the target (100 flow tests
    take 100 x the mean; the median is shown too: a run now and then takes half a second
    more on the server, flow test or replay alike);
(b) one recording replayed alone, RUNS times, the same way;
(c) 100 recordings (the ten, ten times each: every replay is a whole run on the engine)
    replayed `jobs` at a time, as `deploy-dsl replay --jobs N` does, beside 100 x (a).
    Target, at the default jobs (4): under 100 x one flow test, every replay matching its
    recording.

Uses the running local stack at the settings' URLs, or starts it and stops what it started.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from bench import report
from bench.server_bench import _register_project, local_stack
from bench.timing import ratio
from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.recording import Recording, record
from deploy_dsl.client.settings import Connection
from deploy_dsl.client.timeline import TERMINAL_STATUSES
from deploy_dsl.testing.plan import TaskDefs, project_taskdefs
from deploy_dsl.testing.replaying import DEFAULT_JOBS, Load, Replay, replay, replay_many
from deploy_dsl.testing.runner import FlowRunner
from deploy_dsl.workflow import AnyWorkflow
from deploy_dsl.workspace.loader import load_project

__all__ = ["main"]

DEPLOYS = 10
REPLAYS = 100
RUNS = 20
JOBS = (1, 4, 8)


def _deploys(api: ConductorApi, workflow: AnyWorkflow) -> list[str]:
    """Ten real deploys at once, half of them healthy; their ids once all have ended."""
    tag = uuid.uuid4().hex[:8]
    scopes = [f"{'svc-' if i % 2 == 0 else ''}bench-replay-{tag}-{i}" for i in range(DEPLOYS)]
    started = [
        api.start(workflow.name, workflow.version, {"scope": s, "version": "1.0.0", "env": "b"})
        for s in scopes
    ]
    deadline = time.monotonic() + 300
    for workflow_id in started:
        while api.execution(workflow_id).get("status") not in TERMINAL_STATUSES:
            if time.monotonic() > deadline:
                raise SystemExit(f"deploy {workflow_id} not finished after 300 s")
            time.sleep(0.2)
    return started


def _one_flow_test(runner: FlowRunner, workflow: AnyWorkflow) -> list[float]:
    from tests.flows.deployments import Deployment

    service = Deployment("svc-bench")
    mocks = service.deploy_mocks("success")
    runner.run(workflow, service.input, mocks)  # warm: the scratch failure workflow registered
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        result = runner.run(workflow, service.input, mocks)
        times.append(time.perf_counter() - started)
        if result.status != "COMPLETED":
            raise SystemExit(f"the flow test ended {result.status}: {result.reason}")
    return times


def _one_replay(
    runner: FlowRunner, workflow: AnyWorkflow, recordings: list[Recording]
) -> list[float]:
    times = []
    for number in range(RUNS):
        started = time.perf_counter()
        found = replay(runner, workflow, recordings[number % len(recordings)])
        times.append(time.perf_counter() - started)
        if not found.matches:
            raise SystemExit("a replay diverged: " + "; ".join(found.explain()))
    return times


def _given(recording: Recording) -> Load:
    return lambda _api: recording


def _many(
    connection: Connection,
    taskdefs: TaskDefs,
    workflow: AnyWorkflow,
    recordings: list[Recording],
    jobs: int,
) -> tuple[float, int]:
    """Seconds for REPLAYS replays `jobs` at a time, and how many matched."""
    loads = [(str(n), _given(recordings[n % len(recordings)])) for n in range(REPLAYS)]
    started = time.perf_counter()
    results = replay_many(connection, taskdefs, workflow, loads, jobs=jobs)
    seconds = time.perf_counter() - started
    return seconds, sum(1 for r in results if isinstance(r, Replay) and r.matches)


def _shown(label: str, times: list[float]) -> float:
    """Records and prints the mean and median of runs one after the other; returns the mean."""
    mean, median = statistics.mean(times), statistics.median(times)
    name = label.split(" ", 1)[1]
    report.record(f"{name}, alone (mean)", mean, "s")
    report.record(f"{name}, alone (median)", median, "s")
    print(f"    {label}, alone: {mean:.2f} s mean, {median:.2f} s median ({RUNS} in a row)")
    return mean


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.replay_bench", description=__doc__)
    parser.add_argument(
        "--jobs", type=int, nargs="+", default=list(JOBS), help="replays at a time to measure"
    )
    options = parser.parse_args([] if argv is None else argv)
    project = load_project("definitions")
    workflow = project.workflow("deploy_simple_v1")
    with local_stack() as stack:
        connection = stack.settings.connection()
        api = ConductorApi(connection)
        _register_project(api, stack.settings)
        print(f"    {DEPLOYS} real deploys of {workflow.name} through the worker ...", flush=True)
        ids = _deploys(api, workflow)
        # One client per thread, made here: the SDK's first import is not thread-safe.
        readers = [ConductorApi(connection) for _ in ids]
        with ThreadPoolExecutor(len(ids)) as pool:
            recordings = list(pool.map(lambda i, r: record(r.execution, i), ids, readers))
        size = sum(len(r.to_json()) for r in recordings) / len(recordings)
        print(f"    recorded {len(recordings)} of them ({size / 1024:.1f} KB each on average)")
        taskdefs = project_taskdefs(project)
        runner = FlowRunner(connection, taskdefs)
        one = _shown("(a) one flow test of deploy_simple_v1", _one_flow_test(runner, workflow))
        _shown("(b) one recording replayed", _one_replay(runner, workflow, recordings))
        limit = REPLAYS * one
        print(f"    (c) {REPLAYS} recordings replayed, beside {REPLAYS} x (a) = {limit:.1f} s:")
        for jobs in options.jobs:
            seconds, matched = _many(connection, taskdefs, workflow, recordings, jobs)
            name = f"{REPLAYS} recordings replayed, {jobs} at a time"
            report.record(f"replays that matched, {jobs} at a time", matched, "replays")
            verdict = ""
            if jobs == DEFAULT_JOBS:  # what `deploy-dsl replay` does: the target's figure
                met = report.at_most(name, seconds, "s", limit) and matched == REPLAYS
                verdict = " (the default: target met)" if met else " (the default: MISSED)"
            else:
                report.record(name, seconds, "s")
            print(
                f"        {jobs} at a time: {seconds:6.1f} s, {seconds / REPLAYS:.2f} s each, "
                f"{ratio(limit, seconds)} under 100 x (a){verdict}; "
                f"{matched} of {REPLAYS} matched"
            )


if __name__ == "__main__":
    main(sys.argv[1:])

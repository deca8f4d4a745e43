"""The 2-node PostgreSQL cluster beside the single SQLite node.

(a) pipeline_simple_v1 with WAVES waves of SERVICES deploys, start to COMPLETED by the server's
    clock, median of PIPELINE_RUNS on each, run in turn (single, cluster, single, ...) so that
    the machine's other load hits both alike. On the cluster the runs start on node 1 and 2 in
    turn; either node's system-task pollers run any of the HTTP steps.
(b) what each process of the cluster holds in memory (RSS, and PSS: shared pages divided among
    the processes that share them; PostgreSQL is the postmaster and all its backends).
(c) the task definition cache: a TaskDef changed through node 1, then node 2 polled until its
    GET and its newly started runs show the change, CACHE_ROUNDS times.

Uses the running stacks at the settings' ports, or starts them (and afterwards stops what it
started); a cluster start is timed.
"""

from __future__ import annotations

import contextlib
import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import report
from bench.server_bench import SERVICES, WAVES, pipeline_inputs, run_until_done
from bench.timing import ratio
from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.settings import Connection, load_settings
from deploy_dsl.local import cluster, stack
from deploy_dsl.local.layout import Layout
from deploy_dsl.local.node import TASK_DEF_REFRESH_SECONDS
from deploy_dsl.task import CompileOptions

__all__ = ["main"]

NODES = 2
PIPELINE_RUNS = 3
CACHE_ROUNDS = 5


def _say(line: str) -> None:
    print(f"    {line}", flush=True)


def _cluster_ports() -> cluster.ClusterPorts:
    settings = load_settings()
    return cluster.ClusterPorts(
        settings.cluster_conductor_port,
        settings.cluster_worker_port,
        settings.cluster_postgres_port,
    )


@contextlib.contextmanager
def _stacks() -> Iterator[tuple[stack.LocalUrls, cluster.ClusterUrls, float | None]]:
    settings = load_settings()
    single = stack.Ports(settings.local_conductor_port, settings.local_worker_port)
    ports = _cluster_ports()
    nodes_before = [n for n in cluster.running() if n.startswith("node")]
    with stack.started_for(single, progress=lambda line: None) as single_urls:
        started = time.monotonic()
        with cluster.started_for(ports, NODES, progress=lambda line: None) as cluster_urls:
            took = None if len(nodes_before) == NODES else time.monotonic() - started
            yield single_urls, cluster_urls, took


def _register(api: ConductorApi, worker_url: str) -> int:
    """The project's definitions, compiled for `worker_url`; the pipeline's version."""
    from deploy_dsl.client.registration import apply, read_plan
    from deploy_dsl.compiler import compile_project
    from deploy_dsl.workspace.loader import load_project

    project = load_project("definitions")
    compiled = compile_project(project, CompileOptions(worker_base_url=worker_url))
    if compiled.errors:
        raise SystemExit(f"definitions do not validate: {compiled.errors[0]}")
    externals = [(e.name, e.version) for e in project.externals]
    apply(api, read_plan(api, compiled, externals=externals), lambda *_: None, allow_overwrite=True)
    return project.workflow("pipeline_simple_v1").version


def _pipeline(api: ConductorApi, version: int) -> float:
    """One WAVES x SERVICES pipeline; seconds by the server's clock."""
    return run_until_done(api, "pipeline_simple_v1", version, pipeline_inputs(), poll=0.25).server


def _pipelines(single: ConductorApi, nodes: list[ConductorApi], versions: tuple[int, int]) -> None:
    times: dict[str, list[float]] = {"single": [], "cluster": []}
    for run in range(PIPELINE_RUNS):
        times["single"].append(_pipeline(single, versions[0]))
        times["cluster"].append(_pipeline(nodes[run % len(nodes)], versions[1]))
    one, two = statistics.median(times["single"]), statistics.median(times["cluster"])
    print(
        f"(a) pipeline_simple_v1, {WAVES} waves x {SERVICES} deploys, start to COMPLETED "
        f"(server clock, median of {PIPELINE_RUNS}, run in turn)"
    )
    for label, key, median in (
        ("single SQLite node", "single", one),
        (f"{NODES}-node PostgreSQL cluster", "cluster", two),
    ):
        runs = ", ".join(f"{t:.2f}" for t in times[key])
        _say(f"{label:<26} {median:6.2f} s   (runs: {runs})")
    _say(f"cluster / single: {ratio(two, one)}")
    report.record("pipeline 3x10, single SQLite node", one, "s")
    report.record("pipeline 3x10, 2-node PostgreSQL cluster", two, "s")
    report.record("pipeline 3x10, cluster / single", two / one if one else 0.0, "x")


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB, from /proc (Linux)."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            values[name] = int(rest.split()[0])
    return values.get("Rss", 0), values.get("Pss", 0)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text().rpartition(")")[2].split()
                if int(stat[1]) == pid:
                    found.append(int(entry.name))
    return found


def _memory_report(single_pid: int | None) -> None:
    print("(b) memory of each process (MB)")
    for part in cluster.status(_cluster_ports(), NODES):
        if part.pid is None:
            continue
        pids = [part.pid, *(_children(part.pid) if part.name in ("postgres", "worker") else [])]
        rss, pss = (sum(values) / 1024 for values in zip(*map(_memory, pids), strict=True))
        group = f" ({len(pids)} processes)" if len(pids) > 1 else ""
        _say(f"cluster {part.name:<9} RSS {rss:6.0f}  PSS {pss:6.0f}{group}")
        report.record(f"cluster {part.name} PSS", pss, "MB")
    if single_pid is not None:
        rss, pss = (v / 1024 for v in _memory(single_pid))
        _say(f"single  conductor RSS {rss:6.0f}  PSS {pss:6.0f}  (its -Xmx1g heap)")
        report.record("single conductor PSS", pss, "MB")


def _cache(one: ConductorApi, two: ConductorApi, worker_url: str) -> None:
    tag = uuid.uuid4().hex[:6]
    task, workflow = f"bench_cache_task_{tag}", f"bench_cache_flow_{tag}"

    def taskdef(description: str) -> dict[str, Any]:
        return {
            "name": task,
            "description": description,
            "ownerEmail": "bench@example.com",
            "retryCount": 0,
            "timeoutSeconds": 60,
            "responseTimeoutSeconds": 30,
        }

    def used() -> str:
        workflow_id = two.start(workflow, 1, {})
        return str(
            (two.execution(workflow_id)["tasks"][0].get("taskDefinition") or {}).get("description")
        )

    def served() -> str:
        return str(two._request("GET", f"/metadata/taskdefs/{task}").get("description"))

    one.post_taskdefs([taskdef("v0")])
    request = {"uri": f"{worker_url}/health", "method": "GET"}
    one.put_workflows(
        [
            {
                "name": workflow,
                "version": 1,
                "ownerEmail": "bench@example.com",
                "schemaVersion": 2,
                "timeoutSeconds": 60,
                "tasks": [
                    {
                        "name": task,
                        "taskReferenceName": "probe",
                        "type": "HTTP",
                        "inputParameters": {"http_request": request},
                    }
                ],
            }
        ]
    )
    first = used() == "v0"
    # Cached only from node 2's next reload on: until then a change is read from the database.
    time.sleep(2 * TASK_DEF_REFRESH_SECONDS + 0.5)
    stale: list[bool] = []
    seen_get: list[float] = []
    seen_run: list[float] = []
    try:
        for round_no in range(1, CACHE_ROUNDS + 1):
            want = f"v{round_no}"
            one.post_taskdefs([taskdef(want)])
            changed = time.monotonic()
            stale.append(used() != want)
            got = ran = None
            while got is None or ran is None:
                now = time.monotonic() - changed
                if got is None and served() == want:
                    got = now
                if ran is None and used() == want:
                    ran = now
                time.sleep(0.05)
            seen_get.append(got)
            seen_run.append(ran)
            time.sleep(2 * TASK_DEF_REFRESH_SECONDS + 0.5)
    finally:
        one.delete_workflow_def(workflow, 1)
        one.delete_taskdef(task)
    print(
        f"(c) task definition cache, refresh every {TASK_DEF_REFRESH_SECONDS} s (Conductor's "
        f"default: 60 s), {CACHE_ROUNDS} rounds: change through node 1, read through node 2"
    )
    _say(f"a new TaskDef ran at once on node 2 (cache miss, read from the database): {first}")
    report.record("task definition change served by the other node, max", max(seen_get), "s")
    report.record("stale runs right after a task definition change", sum(stale), "runs")
    _say(
        f"a run started on node 2 right after the change used the old one: "
        f"{sum(stale)} of {len(stale)}"
    )
    _say(
        "node 2 served the change after: GET "
        + ", ".join(f"{s:.2f}" for s in seen_get)
        + " s; runs "
        + ", ".join(f"{s:.2f}" for s in seen_run)
        + " s"
    )


def main() -> None:
    with _stacks() as (single_urls, cluster_urls, took):
        if took is not None:
            report.record("cluster start", took, "s")
            _say(
                f"cluster started (PostgreSQL, {NODES} nodes side by side, worker, keeper) "
                f"in {took:.1f} s"
            )
        single = ConductorApi(Connection(single_urls.conductor_api))
        nodes = [ConductorApi(Connection(f"{url}/api")) for url in cluster_urls.nodes]
        # As `register` does with the settings (the single node) and with the cluster's env file:
        # the same worker URLs, so neither server is left with definitions the tests would not
        # register themselves.
        worker_url = load_settings().worker_url
        assert cluster_urls.worker is not None, "this repository's worker, from its pyproject.toml"
        versions = (_register(single, worker_url), _register(nodes[0], cluster_urls.worker))
        _pipelines(single, nodes, versions)
        single_pid = next(
            (
                p.pid
                for p in stack.status(stack.Ports(0, 0), layout=Layout.of_project())
                if p.name == "conductor"
            ),
            None,
        )
        _memory_report(single_pid)
        _cache(nodes[0], nodes[1], cluster_urls.worker)


if __name__ == "__main__":
    main()

"""Two Conductor nodes on one PostgreSQL, end to end: cross-node runs, the task definition cache,
and a node killed in the middle of a pipeline.

The tests run in file order; the last one kills node 1 (the session fixture starts it again if
it ran before the session).
"""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.timeline import TERMINAL_STATUSES
from deploy_dsl.local.node import TASK_DEF_REFRESH_SECONDS
from tests.e2e.cluster.support import (
    DEPLOY,
    PIPELINE,
    Cluster,
    expected_steps,
    pipeline_waves,
    successful_calls,
)
from tests.e2e.support import (
    REPO_ROOT,
    CliResult,
    at,
    healthy,
    progress,
    run_cli,
    started_id,
    wait_until,
)

pytestmark = pytest.mark.e2e

# The worker steps a second call leaves as the first left them (worker/README.md): creation is
# idempotent, the provisioning wait and the health check are reads, a repeated swap answers as
# the first, a settle does not undo a final status, restore takes traffic back only from itself,
# cleanup, monitoring and the notifications only record (steps._record_only). A call in flight
# when its node dies is run again (Conductor delivers at least once), so these are the steps
# that may repeat; a real notifier needs the deploymentId as its idempotency key for the same.
IDEMPOTENT_STEPS = frozenset(
    {
        "create_infrastructure",
        "wait_infrastructure_created",
        "swap_traffic",
        "effective_status",
        "finalize_deployment",
        "rollback_deployment",
        "restore_previous_traffic",
        "cleanup_old_resources",
        "cleanup_failed_resources",
        "update_monitoring",
        "notify_success",
        "notify_failure",
    }
)


def version_of(workflow: str) -> int:
    """The version `register` gave the server: the one build/ holds."""
    path = REPO_ROOT / "build" / "workflows" / f"{workflow}.json"
    return int(json.loads(path.read_text(encoding="utf-8"))["version"])


def finished(
    api: ConductorApi, workflow_ids: Sequence[str], timeout: float
) -> list[dict[str, Any]]:
    """Every execution once terminal, read through `api`'s node."""

    def all_done() -> list[dict[str, Any]] | None:
        executions = [api.execution(w) for w in workflow_ids]
        done = all(e.get("status") in TERMINAL_STATUSES for e in executions)
        return executions if done else None

    return wait_until(all_done, timeout=timeout, what=f"{len(workflow_ids)} executions", every=0.5)


def test_the_tables_the_keeper_updates_are_conductors(cluster: Cluster) -> None:
    """tests/test_local_cluster.py tests the keeper's statement on copies of these columns."""
    columns = cluster.sql(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_name IN ('queue_message', 'locks') ORDER BY table_name, column_name"
    )
    found = {(table, column): kind for table, column, kind in columns}
    assert found[("queue_message", "popped")] == "boolean"
    assert found[("queue_message", "deliver_on")] == "timestamp without time zone"
    assert found[("queue_message", "offset_time_seconds")] == "bigint"
    assert found[("locks", "lease_expiration")] == "timestamp with time zone"


def test_registered_through_node_1_runs_through_both_each_step_once(
    cluster: Cluster, cluster_registered: CliResult, unique: str
) -> None:
    deploy_version = version_of(DEPLOY)
    # Workflow definitions are never cached (PostgresMetadataDAO.getWorkflowDef reads
    # meta_workflow_def each time): what node 1 registered, node 2 serves at once.
    assert cluster.api(2).workflow_def(DEPLOY, deploy_version) is not None
    assert cluster.api(2).workflow_def(PIPELINE, version_of(PIPELINE)) is not None

    scopes = {2: [f"svc-n2-{unique}-a", f"app-n2-{unique}-b"], 1: [f"svc-n1-{unique}-c"]}
    started: dict[str, str] = {}
    for node, names in scopes.items():
        for scope in names:
            inputs = json.dumps({"scope": scope, "version": "1.0.0", "env": "e2e"})
            result = cluster.cli(node, "run", DEPLOY, "--input", "-", stdin=inputs)
            assert result.returncode == 0, str(result)
            started[scope] = started_id(result, DEPLOY)
    waves = pipeline_waves(f"svc-pipe-{unique}", waves=3, services=2)
    pipeline = cluster.api(2).start(
        PIPELINE, version_of(PIPELINE), {"waves": waves, "halt_on_rollback": False}
    )

    # Read through node 1, whichever node started them: both serve the same database.
    executions = finished(cluster.api(1), [*started.values(), pipeline], timeout=180)
    assert [e["status"] for e in executions] == ["COMPLETED"] * len(executions), [
        (e["workflowId"], e["status"], e.get("reasonForIncompletion")) for e in executions
    ]
    outcomes = {
        scope: e["output"].get("outcome") for scope, e in zip(started, executions, strict=False)
    }
    assert outcomes == {
        scopes[2][0]: "finalized",
        scopes[2][1]: "rolled_back",
        scopes[1][0]: "finalized",
    }
    pipeline_scopes = [s["scope"] for wave in waves for s in wave["services"]]
    for scope in [*started, *pipeline_scopes]:
        calls = successful_calls(cluster.worker.scope_history(scope))
        assert calls == Counter(expected_steps(scope)), f"{scope}: {calls}"


def test_an_execution_started_on_one_node_reads_the_same_on_the_other(
    cluster: Cluster, cluster_registered: CliResult, unique: str
) -> None:
    inputs = json.dumps({"scope": f"svc-read-{unique}", "version": "2.0.0", "env": "e2e"})
    run = cluster.cli(1, "run", DEPLOY, "--input", "-", "--wait", stdin=inputs)
    assert run.returncode == 0, str(run)
    workflow_id = started_id(run, DEPLOY)
    on_node_2 = cluster.cli(2, "status", workflow_id)
    assert on_node_2.returncode == 0, str(on_node_2)
    assert f"{DEPLOY} {workflow_id}: COMPLETED" in on_node_2.stdout
    one, two = cluster.api(1).execution(workflow_id), cluster.api(2).execution(workflow_id)
    assert two["status"] == one["status"] == "COMPLETED"
    assert two["output"] == one["output"]
    assert [t["taskId"] for t in two["tasks"]] == [t["taskId"] for t in one["tasks"]]


def _scratch_taskdef(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "ownerEmail": "e2e-cluster@example.com",
        "retryCount": 0,
        "timeoutSeconds": 60,
        "responseTimeoutSeconds": 30,
    }


def _scratch_workflow(name: str, task: str, worker_url: str) -> dict[str, Any]:
    request = {"uri": f"{worker_url}/health", "method": "GET", "readTimeOut": 5000}
    return {
        "name": name,
        "version": 1,
        "ownerEmail": "e2e-cluster@example.com",
        "schemaVersion": 2,
        "timeoutSeconds": 120,
        "tasks": [
            {
                "name": task,
                "taskReferenceName": "probe",
                "type": "HTTP",
                "inputParameters": {"http_request": request},
            }
        ],
    }


def _description_used(api: ConductorApi, workflow: str) -> str:
    """Start `workflow` on `api`'s node: the description of the TaskDef its task was
    scheduled with (MetadataMapperService.populateWorkflowTaskWithDefinition takes it from
    that node's MetadataDAO.getTaskDef, the cache)."""
    workflow_id = api.start(workflow, 1, {})
    task = api.execution(workflow_id)["tasks"][0]
    return str((task.get("taskDefinition") or {}).get("description"))


def test_register_then_run_at_once_through_the_other_node(cluster: Cluster) -> None:
    """A new task definition runs at once on the other node (a cache miss reads the database);
    a changed one is stale there until its next cache reload, which the launcher sets to
    TASK_DEF_REFRESH_SECONDS (Conductor's default: 60 s)."""
    tag = uuid.uuid4().hex[:8]
    task, workflow = f"e2e_cache_task_{tag}", f"e2e_cache_flow_{tag}"
    one, two = cluster.api(1), cluster.api(2)
    try:
        one.post_taskdefs([_scratch_taskdef(task, "first")])
        one.put_workflows([_scratch_workflow(workflow, task, cluster.urls.worker)])
        assert _description_used(two, workflow) == "first"
        # Until node 2's next reload its cache does not hold the new definition (a miss reads
        # the database); after it, the cache answers, and a change waits for the next one.
        time.sleep(2 * TASK_DEF_REFRESH_SECONDS + 0.5)

        one.post_taskdefs([_scratch_taskdef(task, "second")])
        changed = time.monotonic()
        stale_runs = 0
        while _description_used(two, workflow) != "second":
            stale_runs += 1
            assert time.monotonic() - changed < 10 * TASK_DEF_REFRESH_SECONDS + 20, (
                "node 2 still schedules the old task definition"
            )
            time.sleep(0.1)
        seen = time.monotonic() - changed
        progress(
            f"cache: a changed TaskDef reached node 2's runs after {seen:.2f}s "
            f"({stale_runs} run(s) before that used the old one); refresh interval "
            f"{TASK_DEF_REFRESH_SECONDS}s"
        )
        # The node that took the write serves it at once (insertOrUpdateTaskDef puts it in the
        # writer's own cache).
        assert _description_used(one, workflow) == "second"
    finally:
        one.delete_workflow_def(workflow, 1)
        one.delete_taskdef(task)


def test_a_node_killed_mid_pipeline_the_other_finishes_it(
    cluster: Cluster, cluster_registered: CliResult, unique: str
) -> None:
    """SIGKILL node 1 while it holds a pipeline's HTTP tasks; node 2 finishes the pipeline.

    Node 2 is frozen (SIGSTOP) from before the start until after the kill, so every call the
    worker saw before it resumed was node 1's; the worker is frozen just before the kill, so
    node 1 dies with HTTP tasks reserved for 3600 s (AsyncSystemTaskExecutor.
    reserveInflightMessage), some of them calls the worker then answers to nobody. 20 s after
    the death the keeper releases node 1's decides and locks; node 2 decides, times the held
    tasks out (pollTimeoutSeconds) and retries them (RETRY). A call in flight at the kill so
    runs again on node 2: the test requires that only idempotent steps repeat, at most once,
    first on node 1.
    """
    prefix = f"svc-kill-{unique}"
    waves = pipeline_waves(prefix, waves=3, services=3)
    first_wave = [s["scope"] for s in waves[0]["services"]]
    node1 = cluster.pid("node1")
    cluster.signal("node2", signal.SIGSTOP)
    try:
        workflow_id = cluster.api(1).start(
            PIPELINE, version_of(PIPELINE), {"waves": waves, "halt_on_rollback": False}
        )

        def wave_one_created() -> bool:
            steps = {(e["scope"], e["step"]) for e in cluster.history(prefix)}
            return all((s, "create_infrastructure") in steps for s in first_wave)

        wait_until(wave_one_created, timeout=60, what="the first wave's infrastructure")
        cluster.signal("worker", signal.SIGSTOP)
        try:
            held = "SELECT count(*) FROM queue_message WHERE queue_name = 'HTTP' AND popped"
            held += " AND offset_time_seconds >= 3600"
            wait_until(
                lambda: int(cluster.sql(held)[0][0]) > 0,
                timeout=20,
                what="node 1 to run HTTP tasks",
            )
            time.sleep(1)  # more of node 1's calls start against the frozen worker
            reserved = int(cluster.sql(held)[0][0])
            cluster.signal("node1", signal.SIGKILL)
            killed = time.monotonic()
        finally:
            cluster.signal("worker", signal.SIGCONT)
        # The worker answers what node 1 sent before it died (to nobody); wait until it is done.
        sizes: list[int] = []

        def settled() -> bool:
            sizes.append(len(cluster.history(prefix)))
            return len(sizes) > 5 and len(set(sizes[-5:])) == 1

        wait_until(settled, timeout=30, what="the worker to answer node 1's last calls")
    finally:
        cluster.signal("node2", signal.SIGCONT)
    resumed_at = time.time()

    (execution,) = finished(cluster.api(2), [workflow_id], timeout=240)
    recovered = time.monotonic() - killed
    assert execution["status"] == "COMPLETED", execution.get("reasonForIncompletion")
    assert f"node1 (pid {node1}) died" in cluster.keeper_log()

    # The keeper's second step (the task messages still held, 40 s after the death) must not
    # call anything again either: count only after it, and after node 2 has had time to act.
    def released_twice() -> list[str] | None:
        lines = [
            line
            for line in cluster.keeper_log().splitlines()
            if f"(node1, pid {node1})" in line and " released " in line
        ]
        return lines if len(lines) == 2 else None

    releases = wait_until(released_twice, timeout=120, what="the keeper's two releases")
    time.sleep(3)
    progress(
        f"failover: node 1 killed holding {reserved} HTTP task(s); pipeline COMPLETED on node 2 "
        f"{recovered:.1f}s after the kill; keeper: {' / '.join(releases)}"
    )

    repeats: list[str] = []
    for scope in [s["scope"] for wave in waves for s in wave["services"]]:
        entries = cluster.worker.scope_history(scope)
        calls = successful_calls(entries)
        assert set(calls) == set(expected_steps(scope)), f"{scope}: a step is lost: {calls}"
        for step, count in calls.items():
            if count == 1:
                continue
            times = [at(e) for e in entries if e["step"] == step and 200 <= e["statusCode"] < 300]
            repeats.append(f"{scope} {step} x{count}")
            assert step in IDEMPOTENT_STEPS, f"{scope}: {step} ran {count} times"
            assert count == 2, f"{scope}: {step} ran {count} times"
            # The first call was node 1's (before node 2 resumed), the second node 2's.
            assert times[0] < resumed_at < times[1], (scope, step, times, resumed_at)
    progress(f"failover: repeated on node 2 after the release: {repeats or 'nothing'}")


def test_server_status_and_down_cover_every_part(cluster: Cluster) -> None:
    """Last: `server down --backend postgres` stops the cluster (the fixture then starts again
    what ran before the session). Node 1 is dead since the test above."""
    status = run_cli("server", "status", "--backend", "postgres")
    assert status.returncode == 1, str(status)  # node1 is not running
    states = {line.split()[0]: line for line in status.stdout.splitlines()}
    assert sorted(states) == ["keeper", "node1", "node2", "postgres", "worker"]
    assert "stopped" in states["node1"]
    for name in ("postgres", "node2", "worker", "keeper"):
        assert "running (pid" in states[name] and "healthy" in states[name], states[name]

    pids = {name: cluster.pid(name) for name in ("keeper", "worker", "node2", "postgres")}
    down = run_cli("server", "down", "--backend", "postgres")
    assert down.returncode == 0, str(down)
    assert down.stdout.splitlines() == [
        f"keeper: stopped pid {pids['keeper']} (SIGTERM)",
        f"worker: stopped pid {pids['worker']} (SIGTERM)",
        "node1: not running; removed the stale server.pid",
        f"node2: stopped pid {pids['node2']} (SIGTERM)",
        f"postgres: stopped pid {pids['postgres']} (pg_ctl stop -m fast)",
    ]
    after = run_cli("server", "status", "--backend", "postgres")
    assert after.returncode == 1
    assert [line.split()[1] for line in after.stdout.splitlines()] == ["stopped"] * 5
    for url in (*cluster.urls.nodes, cluster.urls.worker):
        assert not healthy(url), url

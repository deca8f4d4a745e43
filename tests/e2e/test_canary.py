"""canary_v1 on the local stack with the real Prometheus scraping the worker's simulated traffic:
a good version walks every step (promoted through the CLI at its manual pause) and finalizes;
a version the worker makes fail is aborted at its first analysis, its traffic back on the
previous version; with Prometheus down the analysis is inconclusive and the canary pauses (or
aborts, as its input says), and never goes on.

The analyses measure every 2 s, twice per step, over a 10 s window: the whole file takes about
a minute. Times are not asserted (make bench measures them): what ran is.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from deploy_dsl.client.settings import load_settings
from deploy_dsl.local import stack as local_stack
from tests.e2e.support import (
    Conductor,
    Stack,
    WorkerClient,
    progress,
    run_cli,
    started_id,
    tasks_of,
    wait_until,
)

pytestmark = pytest.mark.e2e

CANARY = "canary_v1"
QUICK = {"interval": "2s", "count": 2, "window": "10s"}
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Released:
    """A scope whose version 1.0.0 a good canary released: what the next canary replaces."""

    scope: str
    workflow_id: str
    execution: dict[str, Any]
    status_output: str


def start(conductor: Conductor, scope: str, version: str, **inputs: Any) -> str:
    given = {"scope": scope, "version": version, "env": "e2e", **QUICK, **inputs}
    result = run_cli("run", CANARY, "--input", "-", stdin=json.dumps(given))
    assert result.returncode == 0, str(result)
    return started_id(result, CANARY)


def waiting_at(conductor: Conductor, workflow_id: str, ref: str) -> dict[str, Any]:
    """The execution once its WAIT `ref` is in progress (a pause)."""

    def paused() -> dict[str, Any] | None:
        execution = conductor.execution(workflow_id)
        assert execution["status"] == "RUNNING", execution.get("reasonForIncompletion")
        waits = [t for t in tasks_of(execution, "WAIT") if t["referenceTaskName"] == ref]
        return execution if waits and waits[0]["status"] == "IN_PROGRESS" else None

    return wait_until(paused, timeout=120, what=f"{workflow_id} to pause at {ref}", every=0.5)


def weights(execution: dict[str, Any]) -> list[int]:
    """The weights the canary moved traffic to, in order (what swap_traffic answered)."""
    swaps = [t for t in tasks_of(execution, "HTTP") if t["taskDefName"] == "swap_traffic"]
    return [t["outputData"]["response"]["body"]["trafficWeight"] for t in swaps]


def served(worker: WorkerClient, scope: str) -> dict[str, float]:
    """Requests each version of the scope has served so far, from the worker's /metrics."""
    with _OPENER.open(f"{worker.url}/metrics", timeout=10) as response:
        text = response.read().decode()
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("service_requests_total{") and f'scope="{scope}"' in line:
            version = line.split('version="')[1].split('"')[0]
            found[version] = float(line.rsplit(" ", 1)[1])
    return found


@pytest.fixture(scope="module")
def released(
    registered: object, prometheus: str, conductor: Conductor, unique_module: str
) -> Iterator[Released]:
    """A good canary of 1.0.0, promoted through the CLI at its manual pause before 100 %."""
    scope = f"svc-canary-{unique_module}"
    workflow_id = start(conductor, scope, "1.0.0", pause_before_full="manual")
    paused = waiting_at(conductor, workflow_id, "canary_3_pause")
    assert weights(paused) == [10, 25, 50], "it waits at 50 %, before the full step"
    promoted = run_cli("promote", workflow_id, "--by", "e2e")
    assert promoted.returncode == 0, str(promoted)
    execution = conductor.finished(workflow_id, timeout=180)
    shown = run_cli("status", workflow_id)
    yield Released(scope, workflow_id, execution, shown.stdout)


@pytest.fixture(scope="module")
def unique_module() -> str:
    return uuid.uuid4().hex[:8]


def test_a_good_version_walks_every_step_and_finalizes(
    released: Released, worker: WorkerClient
) -> None:
    execution = released.execution
    assert execution["status"] == "COMPLETED", execution.get("reasonForIncompletion")
    assert weights(execution) == [10, 25, 50, 100]
    output = execution["output"]
    assert output["outcome"] == "finalized"
    analyses = output["analyses"]
    assert [a["verdict"] for a in analyses] == ["passed"] * 4
    # Real numbers from Prometheus: no errors, and the 99th percentile of 25-75 ms requests.
    for analysis in analyses:
        for measurement in analysis["measurements"]:
            values = {r["metric"]: r["value"] for r in measurement["readings"]}
            assert values["error_rate"] == 0
            assert 0.025 < values["latency_p99"] <= 0.1
    state = worker.deployment(released.workflow_id)
    assert (state["outcome"], state["trafficWeight"]) == ("finalized", 100)
    decision = next(
        t for t in execution["tasks"] if t["referenceTaskName"] == "canary_3_pause_decision"
    )
    assert decision["outputData"]["result"]["message"] == "promoted at step 3 (50%) by e2e"


def test_status_shows_each_measurement(released: Released) -> None:
    shown = released.status_output
    assert "measurement 2 at step 4 (100%): passed" in shown
    assert "analysis passed" in shown
    lines = [line.split() for line in shown.splitlines() if line.strip().startswith("error_rate")]
    assert len(lines) == 8, shown  # 4 steps, 2 measurements each
    assert lines[0] == ["error_rate", "0", "result", "<=", "0.05", "passed"]


def test_a_bad_version_is_aborted_at_its_first_analysis(
    released: Released, conductor: Conductor, worker: WorkerClient
) -> None:
    scope = released.scope
    fault = {"scope": scope, "version": "2.0.0", "errorRate": 0.2}
    request = urllib.request.Request(
        f"{worker.url}/faults/traffic",
        data=json.dumps(fault).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    with _OPENER.open(request, timeout=10) as response:
        assert response.status == 200
    try:
        workflow_id = start(conductor, scope, "2.0.0", pause_before_full="none")
        execution = conductor.finished(workflow_id, timeout=120)
    finally:
        clear = urllib.request.Request(f"{worker.url}/faults/{scope}", method="DELETE")
        _OPENER.open(clear, timeout=10).close()

    assert execution["status"] == "FAILED"
    output = execution["output"]
    assert output["abortedAt"] == {"step": 1, "weight": 10}
    assert (output["failure"]["metric"], output["failure"]["condition"]) == (
        "error_rate",
        "result <= 0.05",
    )
    assert output["failure"]["value"] == pytest.approx(0.2)
    assert execution["reasonForIncompletion"].startswith(
        "analysis failed at step 1 (10%): error_rate = 0.2, not result <= 0.05"
    )
    # Its first measurement decided it: one interval after the traffic moved.
    measurements = output["analysis"]["measurements"]
    assert [m["verdict"] for m in measurements] == ["failed"]
    assert weights(execution) == [10]
    rollback = next(
        t for t in execution["tasks"] if t["referenceTaskName"] == "canary_1_failed_rollback"
    )
    assert rollback["status"] == "COMPLETED"
    restored = [e for e in worker.history(workflow_id) if e["step"] == "restore_previous_traffic"]
    assert [e["statusCode"] for e in restored] == [200]
    state = worker.deployment(workflow_id)
    assert (state["outcome"], state["trafficWeight"]) == ("rolled_back", 0)
    # All the traffic is 1.0.0's again: 2.0.0 serves nothing more.
    before = served(worker, scope)
    wait_until(
        lambda: served(worker, scope)["1.0.0"] > before["1.0.0"], timeout=10, what="1.0.0 to serve"
    )
    assert served(worker, scope)["2.0.0"] == before["2.0.0"]


@pytest.fixture
def prometheus_down(stack: Stack, prometheus: str) -> Iterator[None]:
    """Prometheus stopped for the test, started again after it (with the stack's ports)."""
    assert "prometheus" in local_stack.running(), (
        "this test stops and restarts Prometheus: it must be the one `server up` started"
    )
    local_stack.stop("prometheus", progress)
    try:
        yield
    finally:
        settings = load_settings()
        ports = local_stack.Ports(
            stack.conductor_port, stack.worker_port, prometheus=settings.local_prometheus_port
        )
        local_stack.up(ports, progress=progress)


def test_without_prometheus_the_canary_pauses_or_aborts_and_never_goes_on(
    registered: object, conductor: Conductor, worker: WorkerClient, prometheus_down: None
) -> None:
    scope = f"svc-canary-down-{uuid.uuid4().hex[:8]}"
    paused_id = start(conductor, scope, "1.0.0")
    aborting_id = start(conductor, f"{scope}-b", "1.0.0", on_inconclusive="abort")

    paused = waiting_at(conductor, paused_id, "canary_1_held")
    held = next(t for t in paused["tasks"] if t["referenceTaskName"] == "canary_1_held")
    why = held["inputData"]["canaryPause"]["why"]
    assert why.startswith("analysis inconclusive at step 1 (10%)")
    assert "Prometheus unreachable" in why
    aborted = conductor.finished(aborting_id, timeout=120)
    assert aborted["status"] == "FAILED"
    assert aborted["reasonForIncompletion"].startswith("analysis inconclusive at step 1 (10%)")
    assert aborted["output"]["abortedAt"] == {"step": 1, "weight": 10}
    assert weights(aborted) == [10]

    shown = run_cli("status", paused_id)
    assert f"promote: deploy-dsl promote {paused_id}" in shown.stdout
    assert "Prometheus unreachable" in shown.stdout
    # Still at 10 %: an inconclusive analysis never promotes by itself.
    assert weights(conductor.execution(paused_id)) == [10]
    assert worker.deployment(paused_id)["trafficWeight"] == 10
    decided = run_cli("abort", paused_id, "--reason", "no metrics", "--by", "e2e")
    assert decided.returncode == 0, str(decided)
    execution = conductor.finished(paused_id, timeout=60)
    assert execution["status"] == "FAILED"
    assert execution["reasonForIncompletion"] == "aborted at step 1 (10%) by e2e: no metrics"
    assert worker.deployment(paused_id)["outcome"] == "rolled_back"
    again = run_cli("abort", paused_id, "--reason", "twice")
    assert again.returncode == 1
    assert "no canary pause is waiting in canary_v1" in again.stderr


def test_server_status_lists_prometheus(prometheus: str) -> None:
    shown = run_cli("server", "status")
    lines = [line for line in shown.stdout.splitlines() if line.startswith("prometheus ")]
    assert len(lines) == 1 and "healthy" in lines[0], shown.stdout

"""pipeline_simple_v1 on the real server: waves in order, deploys of a wave in parallel, halting."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import pytest

from tests.e2e.support import (
    REPO_ROOT,
    CliResult,
    Conductor,
    WorkerClient,
    at,
    run_cli,
    started_id,
    tasks_of,
)

pytestmark = pytest.mark.e2e

PIPELINE = "pipeline_simple_v1"


def run_pipeline(
    conductor: Conductor, waves: list[dict[str, Any]], *, halt: bool
) -> tuple[CliResult, dict[str, Any]]:
    inputs = {"waves": waves, "halt_on_rollback": halt}
    result = run_cli("run", PIPELINE, "--input", "-", "--wait", stdin=json.dumps(inputs))
    return result, conductor.execution(started_id(result, PIPELINE))


def deploys_by_wave(execution: Mapping[str, Any]) -> dict[int, list[dict[str, Any]]]:
    """The forked deploy_simple_v1 sub-workflow tasks, by DO_WHILE iteration (= wave number)."""
    waves: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for task in tasks_of(execution, "SUB_WORKFLOW"):
        waves[task["iteration"]].append(task)
    return dict(waves)


def service(scope: str, version: str = "1.0.0") -> dict[str, str]:
    return {"scope": scope, "version": version, "env": "e2e"}


def test_waves_run_in_order_and_a_waves_deploys_overlap(
    registered: CliResult, conductor: Conductor, worker: WorkerClient, unique: str
) -> None:
    sample = json.loads((REPO_ROOT / "samples" / "pipeline_input.json").read_text())
    assert sample["halt_on_rollback"] is False
    for wave in sample["waves"]:
        for entry in wave["services"]:
            entry["scope"] = f"{entry['scope']}-{unique}"
    result, execution = run_pipeline(conductor, sample["waves"], halt=False)
    assert result.returncode == 0, str(result)
    assert execution["status"] == "COMPLETED"
    assert execution["output"]["waves"] == len(sample["waves"]) == 2

    waves = deploys_by_wave(execution)
    assert sorted(waves) == [1, 2]
    for number, wave in enumerate(sample["waves"], start=1):
        asked = sorted((s["scope"], s["version"]) for s in wave["services"])
        inputs = [t["inputData"]["workflowInput"] for t in waves[number]]
        assert sorted((i["scope"], i["version"]) for i in inputs) == asked
        assert {t["status"] for t in waves[number]} == {"COMPLETED"}

    # The worker's clock: every call of wave 1 before any call of wave 2 ...
    spans: dict[int, list[tuple[float, float]]] = {}
    for number, tasks in waves.items():
        spans[number] = []
        for task in tasks:
            times = [at(e) for e in worker.history(task["subWorkflowId"])]
            assert times, f"the worker saw no call of deploy {task['subWorkflowId']}"
            spans[number].append((min(times), max(times)))
    assert max(end for _, end in spans[1]) < min(start for start, _ in spans[2])
    # ... and the two deploys of wave 1 at the same time: each started before the other ended.
    assert max(start for start, _ in spans[1]) < min(end for _, end in spans[1]), spans[1]

    # Conductor's clock says the same of the sub-workflow tasks.
    assert max(t["endTime"] for t in waves[1]) <= min(t["startTime"] for t in waves[2])
    assert max(t["startTime"] for t in waves[1]) < min(t["endTime"] for t in waves[1])


def test_halt_on_rollback_stops_after_a_wave_that_rolled_back(
    registered: CliResult, conductor: Conductor, worker: WorkerClient, unique: str
) -> None:
    healthy, unhealthy, later = f"svc-ok-{unique}", f"broken-{unique}", f"svc-later-{unique}"
    waves = [
        {"name": "wave-1", "services": [service(healthy), service(unhealthy)]},
        {"name": "wave-2", "services": [service(later)]},
    ]
    result, execution = run_pipeline(conductor, waves, halt=True)
    assert result.returncode == 1, str(result)
    assert execution["status"] == "FAILED"
    reason = execution["reasonForIncompletion"]
    assert "wave 1" in reason
    assert unhealthy in reason
    assert healthy not in reason
    assert f"reason: {reason}" in result.stdout

    assert list(deploys_by_wave(execution)) == [1]
    assert worker.scope_history(later) == []
    # Wave 1 itself ran to the end: one deploy finalized, the other rolled back.
    outcomes = {}
    for scope in (healthy, unhealthy):
        calls = worker.scope_history(scope)
        assert calls, f"no call for {scope}"
        outcomes[scope] = worker.deployment(calls[0]["deploymentId"])["outcome"]
    assert outcomes == {healthy: "finalized", unhealthy: "rolled_back"}


def test_a_start_without_halt_on_rollback_gets_its_default_from_the_server(
    registered: CliResult, conductor: Conductor, worker: WorkerClient, unique: str
) -> None:
    # Started through the API, not `deploy-dsl run`: only the WorkflowDef's inputTemplate
    # (the input model's default, halt_on_rollback: true) can supply the missing input.
    definition = json.loads((REPO_ROOT / "build" / "workflows" / f"{PIPELINE}.json").read_text())
    assert definition["inputTemplate"] == {"halt_on_rollback": True}
    unhealthy, later = f"broken-{unique}", f"svc-later-{unique}"
    waves = [
        {"name": "wave-1", "services": [service(unhealthy)]},
        {"name": "wave-2", "services": [service(later)]},
    ]
    workflow_id = conductor.api.start(PIPELINE, definition["version"], {"waves": waves})
    execution = conductor.finished(workflow_id, timeout=120)

    assert execution["input"]["halt_on_rollback"] is True
    assert execution["status"] == "FAILED"
    assert "wave 1" in execution["reasonForIncompletion"]
    assert list(deploys_by_wave(execution)) == [1]
    assert worker.scope_history(later) == []

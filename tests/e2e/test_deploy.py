"""deploy_simple_v1 on the real server: rollback, finalize, `status`, and a worker outage."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pytest

from tests.e2e.support import (
    REPO_ROOT,
    CliResult,
    Conductor,
    Stack,
    WorkerClient,
    healthy,
    run_cli,
    started_id,
    stop_worker,
    tasks_of,
    wait_until,
)

pytestmark = pytest.mark.e2e

DEPLOY = "deploy_simple_v1"
MAIN_STEPS = [
    "create_infrastructure",
    "wait_infrastructure_created",
    "swap_traffic",
    "effective_status",
]
# The same in the execution, with the variable set just before traffic moves.
MAIN_TASKS = [*MAIN_STEPS[:2], "traffic_at_risk", *MAIN_STEPS[2:]]
ROLLBACK_STEPS = ["restore_previous_traffic", "cleanup_failed_resources", "notify_failure"]
FINALIZE_STEPS = ["cleanup_old_resources", "update_monitoring", "notify_success"]


@dataclass(frozen=True)
class Deploy:
    workflow_id: str
    cli: CliResult
    execution: dict[str, Any]


def deploy(conductor: Conductor, scope: str, *, wait: bool = True) -> Deploy:
    inputs = {"scope": scope, "version": "1.0.0", "env": "e2e"}
    args = ["run", DEPLOY, "--input", "-", *(["--wait"] if wait else [])]
    result = run_cli(*args, stdin=json.dumps(inputs))
    # `run --wait` exits 3 for a deploy that completed rolled back (the worker fails any scope
    # but `svc-*`), so CI can tell it from one that went out.
    rolled_back = wait and not scope.startswith("svc-")
    assert result.returncode == (3 if rolled_back else 0), str(result)
    workflow_id = started_id(result, DEPLOY)
    return Deploy(workflow_id, result, conductor.execution(workflow_id))


def successful_calls(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    return [e["step"] for e in entries if e["statusCode"] == 200]


def assert_only_provisioning_waits(entries: Sequence[Mapping[str, Any]]) -> None:
    """The worker answered 503 only while provisioning, and nothing else failed."""
    failed = [(e["step"], e["statusCode"]) for e in entries if e["statusCode"] != 200]
    assert set(failed) <= {("wait_infrastructure_created", 503)}, failed


def assert_one_after_another(tasks: Sequence[Mapping[str, Any]]) -> None:
    for before, after in pairwise(tasks):
        assert after["startTime"] >= before["endTime"], (
            f"{after['referenceTaskName']} started before {before['referenceTaskName']} ended"
        )


def follow_up(conductor: Conductor, execution: Mapping[str, Any], ref: str) -> dict[str, Any]:
    """The execution of the sub-workflow that task `ref` started."""
    (task,) = [t for t in tasks_of(execution) if t["referenceTaskName"] == ref]
    assert task["status"] == "COMPLETED", task
    return conductor.execution(task["subWorkflowId"])


def check_deploy(
    conductor: Conductor,
    worker: WorkerClient,
    done: Deploy,
    *,
    outcome: str,
    sub_ref: str,
    sub_workflow: str,
    sub_steps: list[str],
    settle_step: str,
    record_ref: str,
) -> None:
    """One deploy seen three ways: its output, Conductor's tasks, the worker's call history."""
    execution, workflow_id = done.execution, done.workflow_id
    assert execution["status"] == "COMPLETED", execution.get("reasonForIncompletion")
    assert execution["output"]["outcome"] == outcome
    assert execution["output"]["deploymentId"] == workflow_id

    tasks = tasks_of(execution)
    refs = [t["referenceTaskName"] for t in tasks]
    assert refs == [*MAIN_TASKS, "decide_outcome", sub_ref, settle_step, record_ref]
    assert {t["status"] for t in tasks} == {"COMPLETED"}
    sub = follow_up(conductor, execution, sub_ref)
    assert sub["workflowName"] == sub_workflow
    assert sub["status"] == "COMPLETED"
    assert sub["input"]["deploymentId"] == workflow_id
    sub_tasks = tasks_of(sub)
    assert [t["referenceTaskName"] for t in sub_tasks] == sub_steps
    by_ref = {t["referenceTaskName"]: t for t in tasks}
    chain = [by_ref[r] for r in MAIN_STEPS] + sub_tasks + [by_ref[settle_step]]
    assert_one_after_another(chain)

    entries = worker.history(workflow_id)
    assert successful_calls(entries) == [*MAIN_STEPS, *sub_steps, settle_step]
    assert_only_provisioning_waits(entries)
    assert worker.deployment(workflow_id)["outcome"] == outcome


@pytest.fixture(scope="module")
def rolled_back(registered: CliResult, conductor: Conductor) -> Deploy:
    # The sample's scope (no svc- prefix: unhealthy), made unique to this run.
    sample = json.loads((REPO_ROOT / "samples" / "deploy_input.json").read_text())
    assert not sample["scope"].startswith("svc-")
    return deploy(conductor, f"{sample['scope']}-{uuid.uuid4().hex[:8]}")


def test_an_unhealthy_scope_rolls_back(
    rolled_back: Deploy, conductor: Conductor, worker: WorkerClient
) -> None:
    check_deploy(
        conductor,
        worker,
        rolled_back,
        outcome="rolled_back",
        sub_ref="rollback",
        sub_workflow="rollback_deployment_v1",
        sub_steps=ROLLBACK_STEPS,
        settle_step="rollback_deployment",
        record_ref="record_rolled_back",
    )


def test_a_healthy_scope_finalizes(
    registered: CliResult, conductor: Conductor, worker: WorkerClient, unique: str
) -> None:
    done = deploy(conductor, f"svc-success-{unique}")
    check_deploy(
        conductor,
        worker,
        done,
        outcome="finalized",
        sub_ref="finalize",
        sub_workflow="finalize_deployment_v1",
        sub_steps=FINALIZE_STEPS,
        settle_step="finalize_deployment",
        record_ref="record_finalized",
    )


def test_status_prints_the_timeline_of_a_finished_execution(rolled_back: Deploy) -> None:
    result = run_cli("status", rolled_back.workflow_id)
    assert result.returncode == 3, str(result)  # COMPLETED, its outcome rolled_back
    head, marker, tail = result.stdout.partition(f"{DEPLOY} {rolled_back.workflow_id}: ")
    assert marker, str(result)
    rows = [line.split() for line in head.splitlines()]
    assert [row[0] for row in rows] == [
        *MAIN_TASKS,
        "decide_outcome",
        "rollback",
        "rollback_deployment",
        "record_rolled_back",
    ]
    assert all(row[2] == "COMPLETED" and row[3].endswith("s") for row in rows), head
    (sub_id,) = [
        t["subWorkflowId"]
        for t in tasks_of(rolled_back.execution)
        if t["taskType"] == "SUB_WORKFLOW"
    ]
    assert f"sub-workflow {sub_id}" in head
    assert tail.startswith("COMPLETED in ")
    output = json.loads(tail.partition("output: ")[2])
    assert output["outcome"] == "rolled_back"


def test_a_worker_outage_is_retried_per_the_taskdef(
    stack: Stack, registered: CliResult, conductor: Conductor, worker: WorkerClient, unique: str
) -> None:
    stop_worker(stack)
    try:
        assert not healthy(stack.worker_url)
        started = deploy(conductor, f"svc-outage-{unique}", wait=False)

        def failed_attempt() -> bool:
            execution = conductor.execution(started.workflow_id)
            return any(t["status"] == "FAILED" for t in tasks_of(execution))

        wait_until(failed_attempt, timeout=20, what="a FAILED attempt while the worker is down")
    finally:
        stack.restart_worker()  # whatever happened: the other tests need the worker
    execution = conductor.finished(started.workflow_id, timeout=60)
    assert execution["status"] == "COMPLETED", execution.get("reasonForIncompletion")
    assert execution["output"]["outcome"] == "finalized"

    attempts = [t for t in tasks_of(execution) if t["referenceTaskName"] == "create_infrastructure"]
    *failures, success = attempts
    assert failures, "no failed attempt was kept in the execution"
    for failure in failures:
        assert failure["status"] == "FAILED"
        assert f"{stack.worker_url}/create_infrastructure" in failure["reasonForIncompletion"]
    assert success["status"] == "COMPLETED"
    # Each retry is a new task with the next retryCount, within the TaskDef's 10 ...
    assert [t["retryCount"] for t in attempts] == list(range(len(attempts)))
    assert len(failures) <= 10
    policy = success["taskDefinition"]
    assert (policy["retryCount"], policy["retryDelaySeconds"]) == (10, 1)
    # ... and starts after its 1 s delay, not at once.
    for failure, retry in pairwise(attempts):
        assert retry["startTime"] - failure["endTime"] >= 900, (failure, retry)

    entries = worker.history(started.workflow_id)
    assert successful_calls(entries) == [*MAIN_STEPS, *FINALIZE_STEPS, "finalize_deployment"]

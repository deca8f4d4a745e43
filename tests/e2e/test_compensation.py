"""A deploy that fails after its traffic moved is rolled back by its failure workflow; one that
fails before is left alone. On the real server and worker: the worker is told (for the test's
scope only) to fail a step every time, so the deploy runs out of retries there."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.support import (
    CliResult,
    Conductor,
    Stack,
    WorkerClient,
    run_cli,
    started_id,
    wait_until,
)

pytestmark = pytest.mark.e2e

DEPLOY = "deploy_simple_v1"
COMPENSATION = "deploy_failed_v1"


@pytest.fixture
def faulty_scope(stack: Stack, unique: str) -> Iterator[tuple[str, Any]]:
    """A scope of its own, and a way to make one of its steps always fail (undone at the end)."""
    scope = f"svc-compensation-{unique}"
    quoted = urllib.parse.quote(scope, safe="")

    def fail(step: str) -> None:
        request = urllib.request.Request(
            f"{stack.worker_url}/faults/{quoted}/{step}",
            data=json.dumps({"fail": 1000}).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).close()

    yield scope, fail
    request = urllib.request.Request(f"{stack.worker_url}/faults/{quoted}", method="DELETE")
    urllib.request.urlopen(request, timeout=10).close()


def _failed_deploy(conductor: Conductor, scope: str) -> tuple[str, dict[str, Any]]:
    inputs = {"scope": scope, "version": "2.0.0", "env": "e2e"}
    result: CliResult = run_cli("run", DEPLOY, "--input", "-", stdin=json.dumps(inputs))
    assert result.returncode == 0, str(result)
    deploy_id = started_id(result, DEPLOY)
    execution = conductor.finished(deploy_id, timeout=120)
    assert execution["status"] == "FAILED", execution.get("reasonForIncompletion")
    return deploy_id, execution


def _compensation(conductor: Conductor, execution: dict[str, Any]) -> dict[str, Any]:
    # The server names the failure workflow in the output just after the deploy is FAILED.
    def named() -> str | None:
        output = conductor.execution(execution["workflowId"]).get("output") or {}
        return output.get("conductor.failure_workflow")

    compensation_id = wait_until(named, timeout=30, what="the failure workflow to be started")
    compensation = conductor.finished(compensation_id, timeout=120)
    assert compensation["workflowName"] == COMPENSATION
    assert compensation["status"] == "COMPLETED", compensation.get("reasonForIncompletion")
    return compensation


def test_a_failure_after_the_swap_is_rolled_back(
    registered: CliResult,
    conductor: Conductor,
    worker: WorkerClient,
    faulty_scope: tuple[str, Any],
) -> None:
    scope, fail = faulty_scope
    fail("effective_status")  # after swap_traffic: traffic is on the new version
    deploy_id, execution = _failed_deploy(conductor, scope)
    assert "effective_status" in execution["reasonForIncompletion"]
    assert execution["output"]["outcome"] == "rolled_back"

    compensation = _compensation(conductor, execution)
    assert compensation["output"]["outcome"] == "rolled_back"
    assert compensation["output"]["deploymentId"] == deploy_id
    assert compensation["output"]["failureStatus"] == "FAILED"
    assert "effective_status" in compensation["output"]["reason"]

    calls = [e["step"] for e in worker.history(deploy_id) if e["statusCode"] == 200]
    swapped = calls.index("swap_traffic")
    assert calls[swapped + 1 :] == [
        "deployment_status",  # the failure workflow asks the worker whether traffic moved
        "restore_previous_traffic",
        "cleanup_failed_resources",
        "notify_failure",
        "rollback_deployment",
    ]
    state = worker.deployment(deploy_id)
    assert state["outcome"] == "rolled_back"
    live = [e for e in worker.scope_history(scope) if e["step"] == "restore_previous_traffic"]
    assert live and live[-1]["statusCode"] == 200


def test_a_failure_before_the_swap_changes_nothing(
    registered: CliResult,
    conductor: Conductor,
    worker: WorkerClient,
    faulty_scope: tuple[str, Any],
) -> None:
    scope, fail = faulty_scope
    fail("wait_infrastructure_created")
    deploy_id, execution = _failed_deploy(conductor, scope)
    assert execution["output"]["outcome"] is None

    compensation = _compensation(conductor, execution)
    assert compensation["output"]["outcome"] is None
    calls = {e["step"] for e in worker.history(deploy_id)}
    assert calls == {"create_infrastructure", "wait_infrastructure_created", "deployment_status"}

"""The deploy flows of the seed, step by step, through gunicorn."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

import pytest
from worker_harness import PROVISION_DELAY, Worker

NewDeployment = Callable[..., dict[str, str]]

IDENTITY = ("deploymentId", "scope", "version", "env", "step")


def test_health_reports_up_and_settings(worker: Worker) -> None:
    reply = worker.get("/health")
    assert reply.status == 200
    assert reply.json["status"] == "UP"
    assert reply.json["provisionDelaySeconds"] == PROVISION_DELAY
    assert reply.json["healthyScopePrefix"] == "svc-"


def test_successful_deploy_finalizes(worker: Worker, new_deployment: NewDeployment) -> None:
    body = new_deployment("svc-")
    created = worker.post("create_infrastructure", body)
    assert created.status == 200
    assert created.json["status"] == "creating"
    assert created.json["created"] is True
    infrastructure_id = created.json["infrastructureId"]
    assert infrastructure_id.startswith("infra-")
    for key in IDENTITY:
        assert key in created.json
    assert created.json["deploymentId"] == body["deploymentId"]

    with_infra = body | {"infrastructureId": infrastructure_id}
    assert worker.wait_ready(with_infra).json["ready"] is True

    swapped = worker.post("swap_traffic", with_infra)
    assert swapped.status == 200
    assert swapped.json["trafficVersion"] == "1.0.0"
    assert swapped.json["previousVersion"] is None

    status = worker.post("effective_status", with_infra)
    assert status.status == 200
    assert status.json["healthy"] is True
    assert status.json["status"] == "success"
    assert "svc-" in status.json["reason"]

    finalized = worker.post("finalize_deployment", with_infra)
    assert finalized.status == 200
    assert finalized.json["outcome"] == "finalized"
    for step in ("cleanup_old_resources", "update_monitoring", "notify_success"):
        reply = worker.post(step, with_infra)
        assert reply.status == 200, reply.text
        assert reply.json["step"] == step
        assert reply.json["infrastructureId"] == infrastructure_id

    # A retried check after the fact must not move the deployment back out of "finalized".
    assert worker.post("effective_status", with_infra).status == 200
    state = worker.get(f"/deployments/{body['deploymentId']}").json
    assert state["status"] == "finalized"
    assert state["outcome"] == "finalized"
    assert state["healthy"] is True
    assert state["infrastructureId"] == infrastructure_id
    assert state["trafficVersion"] == "1.0.0"
    assert (state["scope"], state["version"], state["env"]) == (
        body["scope"],
        body["version"],
        body["env"],
    )
    created_at = datetime.fromisoformat(state["createdAt"])
    ready_at = datetime.fromisoformat(state["readyAt"])
    assert (ready_at - created_at).total_seconds() == pytest.approx(PROVISION_DELAY, abs=1e-5)


def test_unhealthy_deploy_rolls_back(worker: Worker, new_deployment: NewDeployment) -> None:
    body = new_deployment("api-")
    worker.provisioned(body)
    assert worker.post("swap_traffic", body).status == 200

    status = worker.post("effective_status", body).json
    assert status["healthy"] is False
    assert status["status"] == "failure"
    assert "does not start with 'svc-'" in status["reason"]

    refused = worker.post("finalize_deployment", body)
    assert refused.status == 409
    assert body["deploymentId"] in refused.json["error"]

    rolled_back = worker.post("rollback_deployment", body)
    assert rolled_back.status == 200
    assert rolled_back.json["outcome"] == "rolled_back"
    restored = worker.post("restore_previous_traffic", body)
    assert restored.status == 200
    assert restored.json["restored"] is True
    assert restored.json["trafficVersion"] is None
    for step in ("cleanup_failed_resources", "notify_failure"):
        assert worker.post(step, body).status == 200

    state = worker.get(f"/deployments/{body['deploymentId']}").json
    assert (state["status"], state["outcome"], state["healthy"]) == (
        "rolled_back",
        "rolled_back",
        False,
    )
    # A settled deployment keeps its outcome: finalizing now is a miswired workflow.
    again = worker.post("finalize_deployment", body)
    assert again.status == 409
    assert "already rolled_back" in again.json["error"]


def test_history_lists_each_call_in_order(worker: Worker, new_deployment: NewDeployment) -> None:
    body = new_deployment()
    worker.post("create_infrastructure", body)
    early = worker.post("wait_infrastructure_created", body)
    assert early.status == 503
    worker.wait_ready(body)
    worker.post("swap_traffic", body)

    reply = worker.get(f"/deployments/{body['deploymentId']}/history")
    assert reply.status == 200
    entries = reply.json["entries"]
    steps = [entry["step"] for entry in entries]
    assert steps[0] == "create_infrastructure"
    assert steps[1] == "wait_infrastructure_created"
    assert steps[-1] == "swap_traffic"
    assert [entry["statusCode"] for entry in entries][:2] == [200, 503]
    assert entries[-2]["statusCode"] == 200  # the wait that finally succeeded
    seqs = [entry["seq"] for entry in entries]
    assert seqs == sorted(seqs)
    times = [datetime.fromisoformat(entry["timestamp"]) for entry in entries]
    assert times == sorted(times)
    assert any(t.microsecond for t in times)  # sub-second precision
    assert all(entry["pid"] != os.getpid() and entry["pid"] > 0 for entry in entries)
    assert {entry["deploymentId"] for entry in entries} == {body["deploymentId"]}


def test_history_filters_by_scope_across_deployments(
    worker: Worker, new_deployment: NewDeployment
) -> None:
    first = new_deployment()
    second = new_deployment(scope=first["scope"], version="2.0.0")
    other = new_deployment()
    for body in (first, other, second, first):
        worker.post("create_infrastructure", body)

    entries = worker.get(f"/history?scope={first['scope']}").json["entries"]
    assert [entry["deploymentId"] for entry in entries] == [
        first["deploymentId"],
        second["deploymentId"],
        first["deploymentId"],
    ]
    everything = worker.get("/history").json["entries"]
    assert other["deploymentId"] in {entry["deploymentId"] for entry in everything}


def test_each_step_call_logs_one_json_line(worker: Worker, new_deployment: NewDeployment) -> None:
    body = new_deployment()
    worker.post("create_infrastructure", body)
    worker.post("create_infrastructure", {"scope": body["scope"]})  # rejected: still logged

    records = [r for r in worker.log_records() if r.get("scope") == body["scope"]]
    assert len(records) == 1
    record = records[0]
    assert record["step"] == "create_infrastructure"
    assert record["deploymentId"] == body["deploymentId"]
    assert record["status"] == 200
    assert isinstance(record["durationMs"], float)
    # The same envelope as every other log line.
    assert (record["level"], record["message"]) == ("info", "step call")
    assert isinstance(record["pid"], int)
    assert datetime.fromisoformat(record["time"]).tzinfo is not None
    rejected = [r for r in worker.log_records() if r.get("status") == 422]
    assert rejected and rejected[-1]["deploymentId"] is None

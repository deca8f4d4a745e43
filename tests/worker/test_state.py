"""State shared by the gunicorn processes: idempotency, provisioning, conflicts, concurrency."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from worker_harness import PROVISION_DELAY, Reply, Worker

NewDeployment = Callable[..., dict[str, str]]


def test_create_is_idempotent(worker: Worker, new_deployment: NewDeployment) -> None:
    body = new_deployment()
    first = worker.post("create_infrastructure", body).json
    second = worker.post("create_infrastructure", body).json
    assert first["created"] is True
    assert second["created"] is False
    assert second["infrastructureId"] == first["infrastructureId"]
    assert second["readyAt"] == first["readyAt"]
    other = worker.post("create_infrastructure", new_deployment()).json
    assert other["infrastructureId"] != first["infrastructureId"]


def test_deployment_id_is_derived_when_absent(
    worker: Worker, new_deployment: NewDeployment
) -> None:
    body = new_deployment()
    del body["deploymentId"]
    reply = worker.post("create_infrastructure", body)
    expected = f"{body['scope']}@1.0.0/test"
    assert reply.json["deploymentId"] == expected
    assert (
        worker.get(f"/deployments/{expected}").json["infrastructureId"]
        == (reply.json["infrastructureId"])
    )
    assert worker.get(f"/deployments/{expected}/history").json["entries"][0]["step"] == (
        "create_infrastructure"
    )


def test_wait_answers_503_until_provisioned(worker: Worker, new_deployment: NewDeployment) -> None:
    body = new_deployment()
    worker.post("create_infrastructure", body)
    early = worker.post("wait_infrastructure_created", body)
    assert early.status == 503
    assert early.json["ready"] is False
    assert 0 < early.json["retryAfterSeconds"] <= PROVISION_DELAY
    assert early.headers["Retry-After"] == "1"
    assert early.json["deploymentId"] == body["deploymentId"]

    time.sleep(early.json["retryAfterSeconds"])
    ready = worker.post("wait_infrastructure_created", body)
    assert ready.status == 200
    assert ready.json["ready"] is True
    assert worker.get(f"/deployments/{body['deploymentId']}").json["status"] == "ready"


def test_steps_for_an_unknown_deployment_conflict(
    worker: Worker, new_deployment: NewDeployment
) -> None:
    body = new_deployment()
    for step in ("wait_infrastructure_created", "swap_traffic", "notify_failure"):
        reply = worker.post(step, body)
        assert reply.status == 409
        assert body["deploymentId"] in reply.json["error"]
        assert reply.json["detail"] == {"deploymentId": body["deploymentId"]}
    assert worker.get(f"/deployments/{body['deploymentId']}").status == 404
    missing = worker.get(f"/deployments/{body['deploymentId']}/history")
    assert missing.status == 404
    assert body["deploymentId"] in missing.json["error"]


def test_mismatched_identity_or_infrastructure_conflicts(
    worker: Worker, new_deployment: NewDeployment
) -> None:
    body = new_deployment()
    worker.post("create_infrastructure", body)
    other_version = worker.post("create_infrastructure", body | {"version": "9.9.9"})
    assert other_version.status == 409
    assert other_version.json["detail"]["recorded"]["version"] == "1.0.0"
    wrong_infra = worker.post("effective_status", body | {"infrastructureId": "infra-nope"})
    assert wrong_infra.status == 409
    assert "infra-nope" in wrong_infra.json["error"]


def test_swap_needs_ready_infrastructure(worker: Worker, new_deployment: NewDeployment) -> None:
    body = new_deployment()
    worker.post("create_infrastructure", body)
    reply = worker.post("swap_traffic", body)
    assert reply.status == 409
    assert "not ready" in reply.json["error"]


def test_swap_reports_the_version_it_replaced(
    worker: Worker, new_deployment: NewDeployment
) -> None:
    old = new_deployment()
    new = new_deployment(scope=old["scope"], version="2.0.0")
    worker.provisioned(old)
    worker.provisioned(new)
    assert worker.post("swap_traffic", old).json["trafficVersion"] == "1.0.0"

    swapped = worker.post("swap_traffic", new).json
    assert (swapped["trafficVersion"], swapped["previousVersion"]) == ("2.0.0", "1.0.0")
    retried = worker.post("swap_traffic", new).json  # a retry answers as the first call did
    assert (retried["trafficVersion"], retried["previousVersion"]) == ("2.0.0", "1.0.0")

    restored = worker.post("restore_previous_traffic", new).json
    assert (restored["restored"], restored["trafficVersion"]) == (True, "1.0.0")
    again = worker.post("restore_previous_traffic", new).json
    assert (again["restored"], again["trafficVersion"]) == (False, "1.0.0")


def test_concurrent_calls_lose_and_duplicate_nothing(
    worker: Worker, new_deployment: NewDeployment
) -> None:
    scope = new_deployment()["scope"]
    bodies = [new_deployment(scope=scope, version=f"{n}.0.0") for n in range(50)]
    calls = [body for body in bodies for _ in range(4)]
    random.Random(7).shuffle(calls)

    def create(body: dict[str, str]) -> Reply:
        return worker.post("create_infrastructure", body)

    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = list(pool.map(create, calls))

    assert [reply.status for reply in replies] == [200] * 200
    created = Counter(r.json["deploymentId"] for r in replies if r.json["created"])
    assert created == Counter({body["deploymentId"]: 1 for body in bodies})
    infra_ids: dict[str, set[str]] = {}
    for reply in replies:
        infra_ids.setdefault(reply.json["deploymentId"], set()).add(reply.json["infrastructureId"])
    assert all(len(ids) == 1 for ids in infra_ids.values())
    assert len({ids.pop() for ids in infra_ids.values()}) == 50

    entries = worker.get(f"/history?scope={scope}").json["entries"]
    assert len(entries) == 200
    seqs = [entry["seq"] for entry in entries]
    assert len(set(seqs)) == 200
    assert seqs == sorted(seqs)
    times = [datetime.fromisoformat(entry["timestamp"]) for entry in entries]
    assert times == sorted(times)
    per_deployment = Counter(entry["deploymentId"] for entry in entries)
    assert per_deployment == Counter({body["deploymentId"]: 4 for body in bodies})
    assert len({entry["pid"] for entry in entries}) > 1

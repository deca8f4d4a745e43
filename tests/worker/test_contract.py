"""Every answer the worker gives, under real gunicorn, is what worker/contract.py says it is.

The flows of the seed (finalize and roll back) and the refusals are driven through the HTTP
surface; each answer is validated against its model: the step's answer for a 200, NotReadyAnswer
for the provisioning wait, ErrorAnswer for anything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from worker_harness import Reply, Worker

from worker.contract import STEPS, ErrorAnswer, NotReadyAnswer

NewDeployment = Callable[..., dict[str, str]]


class Checked:
    """The worker's client, validating every answer against the contract as it comes."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.answered: dict[str, set[int]] = {}

    def post(self, step: str, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        reply = self.worker.post(step, payload, headers)
        self._check(step, reply)
        return reply

    def raw(self, method: str, path: str, body: bytes) -> Reply:
        reply = self.worker.request(method, path, body, {"Content-Type": "application/json"})
        self._check(path.lstrip("/"), reply)
        return reply

    def _check(self, step: str, reply: Reply) -> None:
        data = reply.json
        model: type[BaseModel]
        if reply.status == 200:
            model = STEPS[step].answer
        elif reply.status == 503 and data.get("ready") is False:
            model = NotReadyAnswer
        else:
            model = ErrorAnswer
        try:
            model.model_validate(data)
        except ValidationError as error:
            pytest.fail(f"POST /{step} answered {reply.status} outside {model.__name__}: {error}")
        self.answered.setdefault(step, set()).add(reply.status)

    def until_ready(self, payload: dict[str, str]) -> None:
        while (reply := self.post("wait_infrastructure_created", payload)).status == 503:
            assert reply.json["ready"] is False


def _deploy(checked: Checked, body: dict[str, str], follow_up: tuple[str, ...]) -> str:
    created = checked.post("create_infrastructure", body).json
    with_infra = body | {"infrastructureId": created["infrastructureId"]}
    checked.until_ready(with_infra)
    checked.post("swap_traffic", with_infra)
    status = checked.post("effective_status", with_infra).json["status"]
    for step in follow_up:
        assert checked.post(step, with_infra).status == 200, step
    return str(status)


def test_every_answer_matches_the_contract(worker: Worker, new_deployment: NewDeployment) -> None:
    checked = Checked(worker)
    finalize = (
        "finalize_deployment",
        "cleanup_old_resources",
        "update_monitoring",
        "notify_success",
    )
    rollback = (
        "rollback_deployment", "restore_previous_traffic", "cleanup_failed_resources",
        "notify_failure",
    )  # fmt: skip
    assert _deploy(checked, new_deployment("svc-"), finalize) == "success"
    rolled_back = new_deployment("bad-")
    assert _deploy(checked, rolled_back, rollback) == "failure"
    assert checked.post("deployment_status", rolled_back).json["needsRollback"] is False
    unknown = checked.post("deployment_status", new_deployment("svc-")).json
    assert (unknown["known"], unknown["needsRollback"]) == (False, False)

    # Refusals: a step before its deployment exists, finalizing an unhealthy one, an injected
    # fault, a missing field, a body that is not JSON, an unknown step.
    lonely = new_deployment("svc-")
    assert checked.post("swap_traffic", lonely).status == 409
    unhealthy = new_deployment("bad-")
    checked.post("create_infrastructure", unhealthy)
    assert checked.post("finalize_deployment", unhealthy).status == 409
    assert checked.post("effective_status", unhealthy, {"X-Fault-Fail": "1"}).status == 503
    assert (
        checked.raw("POST", "/effective_status", json.dumps({"scope": "x"}).encode()).status == 422
    )
    assert checked.raw("POST", "/swap_traffic", b"{not json").status == 400
    assert checked.raw("POST", "/no_such_step", b"{}").status == 404

    never_ok = {step for step in STEPS if 200 not in checked.answered.get(step, set())}
    assert not never_ok, f"no 200 answer was checked for {sorted(never_ok)}"

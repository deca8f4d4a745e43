"""Fault injection by header and by WORKER_FAULTS, and bad fault configuration."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from worker_harness import REPO_ROOT, Worker, free_port, gunicorn_command, worker_env

from worker.faults import FaultSpec, FaultSyntaxError, fault_for_request, parse_faults
from worker.steps import STEP_NAMES

NewDeployment = Callable[..., dict[str, str]]


def test_header_fails_the_first_n_calls(worker: Worker, new_deployment: NewDeployment) -> None:
    body = new_deployment()
    fail_two = {"X-Fault-Fail": "2"}
    statuses = [worker.post("create_infrastructure", body, fail_two).status for _ in range(3)]
    assert statuses == [503, 503, 200]
    # The failing calls changed nothing: the third one was the creation.
    history = worker.get(f"/deployments/{body['deploymentId']}/history").json["entries"]
    assert [entry["statusCode"] for entry in history] == [503, 503, 200]


def test_injected_fault_answers_json(worker: Worker, new_deployment: NewDeployment) -> None:
    body = new_deployment()
    reply = worker.post("create_infrastructure", body, {"X-Fault-Fail": "1"})
    assert reply.status == 503
    assert reply.json["error"] == "injected fault"
    assert reply.json["detail"] == {"call": 1, "failFirst": 1}
    assert reply.json["deploymentId"] == body["deploymentId"]
    assert worker.get(f"/deployments/{body['deploymentId']}").status == 404


def test_header_delays_the_answer(worker: Worker, new_deployment: NewDeployment) -> None:
    body = new_deployment()
    started = time.monotonic()
    reply = worker.post("create_infrastructure", body, {"X-Fault-Delay": "0.4"})
    assert reply.status == 200
    assert time.monotonic() - started >= 0.4


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Fault-Fail", "two"),
        ("X-Fault-Fail", "-1"),
        ("X-Fault-Delay", "nan"),
        ("X-Fault-Delay", "60"),
    ],
)
def test_bad_fault_header_is_a_400(
    worker: Worker, new_deployment: NewDeployment, header: str, value: str
) -> None:
    reply = worker.post("create_infrastructure", new_deployment(), {header: value})
    assert reply.status == 400
    assert reply.json["error"] == "invalid fault header"
    assert header in reply.json["detail"]


def test_configured_fault_fails_each_deployment_twice(
    configured_worker: Worker, new_deployment: NewDeployment
) -> None:
    for _ in range(2):  # per deployment, not once for the whole worker
        body = new_deployment()
        configured_worker.provisioned(body)
        statuses = [configured_worker.post("swap_traffic", body).status for _ in range(3)]
        assert statuses == [503, 503, 200]
    # A header overrides the configured count for that call.
    body = new_deployment()
    configured_worker.provisioned(body)
    assert configured_worker.post("swap_traffic", body, {"X-Fault-Fail": "0"}).status == 200


def test_configured_delay(configured_worker: Worker, new_deployment: NewDeployment) -> None:
    body = new_deployment()
    configured_worker.post("create_infrastructure", body)
    started = time.monotonic()
    assert configured_worker.post("notify_success", body).status == 200
    assert time.monotonic() - started >= 0.4


def test_configured_health_prefix(configured_worker: Worker, new_deployment: NewDeployment) -> None:
    verdicts = {}
    for prefix in ("app-", "svc-"):
        body = new_deployment(prefix)
        configured_worker.post("create_infrastructure", body)
        verdicts[prefix] = configured_worker.post("effective_status", body).json["status"]
    assert verdicts == {"app-": "success", "svc-": "failure"}


def test_bad_fault_configuration_stops_startup(tmp_path: Path) -> None:
    env = worker_env(tmp_path, free_port(), WORKER_FAULTS="swap_trafic:fail=2")
    completed = subprocess.run(
        gunicorn_command(), cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    assert completed.returncode != 0
    assert "WORKER_FAULTS" in completed.stderr
    assert "unknown step 'swap_trafic'" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_parse_faults_syntax() -> None:
    plan = parse_faults(" swap_traffic:fail=2 ; effective_status:delay=0.5,fail=1;", STEP_NAMES)
    assert plan == {
        "swap_traffic": FaultSpec(fail=2),
        "effective_status": FaultSpec(fail=1, delay=0.5),
    }
    assert parse_faults("", STEP_NAMES) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("swap_traffic", "expected '<step>:fail=N'"),
        ("nope:fail=1", "unknown step 'nope'"),
        ("swap_traffic:fial=1", "unknown option 'fial=1'"),
        ("swap_traffic:fail=x", "fail must be an integer"),
        ("swap_traffic:delay=-1", "delay must be between"),
        ("swap_traffic:fail=1;swap_traffic:delay=1", "configured twice"),
    ],
)
def test_parse_faults_rejects(text: str, message: str) -> None:
    with pytest.raises(FaultSyntaxError, match=message):
        parse_faults(text, STEP_NAMES)


def test_headers_replace_only_their_own_option() -> None:
    configured = FaultSpec(fail=3, delay=0.2)
    assert fault_for_request(configured, None, None) == configured
    assert fault_for_request(configured, "1", None) == FaultSpec(fail=1, delay=0.2)
    assert fault_for_request(configured, None, "0") == FaultSpec(fail=3, delay=0.0)


def _put(worker: Worker, path: str, payload: object) -> tuple[int, object]:
    reply = worker.request(
        "PUT", path, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    return reply.status, reply.json


def test_a_fault_set_for_a_scope_fails_only_its_deployments(
    worker: Worker, new_deployment: NewDeployment
) -> None:
    doomed, other = new_deployment("svc-doomed-"), new_deployment("svc-other-")
    status, answer = _put(worker, f"/faults/{doomed['scope']}/create_infrastructure", {"fail": 2})
    assert (status, answer) == (200, {"scope": doomed["scope"], "step": "create_infrastructure",
                                      "fail": 2})  # fmt: skip
    statuses = [worker.post("create_infrastructure", doomed).status for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert worker.post("create_infrastructure", other).status == 200
    cleared = worker.request("DELETE", f"/faults/{doomed['scope']}")
    assert cleared.json == {"scope": doomed["scope"], "cleared": 1}


def test_a_scope_fault_names_a_real_step_and_a_count(worker: Worker) -> None:
    status, answer = _put(worker, "/faults/svc-x/no_such_step", {"fail": 1})
    assert status == 404 and "no_such_step" in str(answer)
    status, answer = _put(worker, "/faults/svc-x/swap_traffic", {"fail": -1})
    assert status == 422 and "fail" in str(answer)

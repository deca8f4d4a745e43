"""Traffic weights (swap_traffic's `weight`) and the simulated traffic behind GET /metrics,
under real gunicorn (two processes), and the simulation's arithmetic on its own."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from worker_harness import Worker

from worker.contract import STEPS, DeploymentStatusAnswer, TrafficFaultAnswer
from worker.store import Store
from worker.traffic import BUCKETS, DEFAULT_BEHAVIOUR, Behaviour, Counters, Split, served

NewDeployment = Callable[..., dict[str, str]]
Samples = dict[tuple[str, str, str], float]
_JSON = {"Content-Type": "application/json"}


def _json(body: object) -> bytes:
    return json.dumps(body).encode()


def swap(worker: Worker, body: dict[str, str], weight: int | None) -> dict[str, object]:
    payload: dict[str, object] = dict(body)
    if weight is not None:
        payload["weight"] = weight
    reply = worker.post("swap_traffic", payload)
    assert reply.status == 200, reply.text
    STEPS["swap_traffic"].answer.model_validate(reply.json)
    answer: dict[str, object] = reply.json
    return answer


def live(worker: Worker, new_deployment: NewDeployment) -> tuple[dict[str, str], dict[str, str]]:
    """Version 1.0.0 of a fresh scope with all its traffic, and version 2.0.0 provisioned."""
    first = new_deployment()
    second = new_deployment(
        scope=first["scope"], version="2.0.0", deploymentId=first["deploymentId"] + "-v2"
    )
    worker.provisioned(first)
    swap(worker, first, None)
    worker.provisioned(second)
    return first, second


def metrics(worker: Worker, scope: str) -> dict[str, Samples]:
    """The scope's samples by name, then (version, le, env)."""
    reply = worker.get("/metrics")
    assert reply.status == 200
    assert reply.headers.get_content_type() == "text/plain"
    found: dict[str, Samples] = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            if sample.labels.get("scope") == scope:
                key = (sample.labels["version"], sample.labels.get("le", ""), sample.labels["env"])
                found.setdefault(sample.name, {})[key] = sample.value
    return found


def total(samples: dict[str, Samples], name: str, version: str, le: str = "") -> float:
    return next(
        v for (found, bound, _), v in samples[name].items() if (found, bound) == (version, le)
    )


def test_a_canary_walks_its_weights_and_restores_the_previous_version(
    worker: Worker, new_deployment: NewDeployment
) -> None:
    first, second = live(worker, new_deployment)
    answers = [swap(worker, second, weight) for weight in (10, 25, 50)]
    assert [a["trafficWeight"] for a in answers] == [10, 25, 50]
    # The version to go back to is the one live before the first step, at every step.
    assert {a["previousVersion"] for a in answers} == {"1.0.0"}
    checked = worker.post("effective_status", second).json
    assert checked["trafficWeight"] == 50
    assert worker.get(f"/deployments/{second['deploymentId']}").json["trafficWeight"] == 50
    status = DeploymentStatusAnswer.model_validate(worker.post("deployment_status", second).json)
    assert (status.trafficWeight, status.needsRollback) == (50, True)

    restored = worker.post("restore_previous_traffic", second).json
    assert (restored["restored"], restored["trafficVersion"]) == (True, "1.0.0")
    assert worker.get(f"/deployments/{second['deploymentId']}").json["trafficWeight"] == 0
    # The previous version has all the traffic again: its own restore would find it live.
    assert worker.get(f"/deployments/{first['deploymentId']}").json["trafficWeight"] == 100


def test_a_full_step_makes_the_canary_the_stable_version(
    worker: Worker, new_deployment: NewDeployment
) -> None:
    _, second = live(worker, new_deployment)
    swap(worker, second, 50)
    done = swap(worker, second, 100)
    assert (done["trafficWeight"], done["previousVersion"]) == (100, "1.0.0")
    # A retried step answers as the first did and changes nothing.
    assert swap(worker, second, 100) == done
    time.sleep(0.3)
    scraped = metrics(worker, second["scope"])
    before = total(scraped, "service_requests_total", "1.0.0")
    time.sleep(0.5)
    after = metrics(worker, second["scope"])
    assert total(after, "service_requests_total", "1.0.0") == before, "1.0.0 serves nothing now"
    assert total(after, "service_requests_total", "2.0.0") > total(
        scraped, "service_requests_total", "2.0.0"
    )


def test_plain_deploys_stay_out_of_the_metrics(
    worker: Worker, new_deployment: NewDeployment
) -> None:
    body = new_deployment()
    worker.provisioned(body)
    swap(worker, body, None)
    assert metrics(worker, body["scope"]) == {}


def test_each_version_serves_its_share_and_fails_at_its_error_rate(
    worker: Worker, new_deployment: NewDeployment
) -> None:
    _, second = live(worker, new_deployment)
    scope = second["scope"]
    fault = {"scope": scope, "version": "2.0.0", "errorRate": 0.2, "latencySeconds": 0.4}
    reply = worker.request("PUT", "/faults/traffic", _json(fault), _JSON)
    assert reply.status == 200
    assert TrafficFaultAnswer.model_validate(reply.json).errorRate == 0.2
    swap(worker, second, 10)
    first_scrape = metrics(worker, scope)
    time.sleep(1.0)
    # Scrapes land on either gunicorn process: one clock, one set of counters, always growing.
    scrapes = [metrics(worker, scope) for _ in range(6)]
    counts = [total(s, "service_requests_total", "2.0.0") for s in [first_scrape, *scrapes]]
    assert counts == sorted(counts)
    last = scrapes[-1]

    def grown(name: str, version: str, le: str = "") -> float:
        return total(last, name, version, le) - total(first_scrape, name, version, le)

    canary, stable = (
        grown("service_requests_total", "2.0.0"),
        grown("service_requests_total", "1.0.0"),
    )
    assert canary / (canary + stable) == pytest.approx(0.10, abs=1e-6)
    assert grown("service_request_errors_total", "2.0.0") / canary == pytest.approx(0.2)
    assert grown("service_request_errors_total", "1.0.0") == 0
    # 2.0.0's requests take 0.2 to 0.6 s: none within 0.1 s, a quarter within 0.25 s.
    within = grown("service_request_duration_seconds_bucket", "2.0.0", "0.25") / canary
    assert within == pytest.approx(0.05 / 0.4)
    assert grown("service_request_duration_seconds_bucket", "2.0.0", "0.1") == 0
    assert grown("service_request_duration_seconds_bucket", "2.0.0", "+Inf") == pytest.approx(
        canary
    )

    cleared = worker.request("DELETE", f"/faults/{scope}").json
    assert cleared == {"scope": scope, "cleared": 1}
    errors = total(metrics(worker, scope), "service_request_errors_total", "2.0.0")
    time.sleep(0.3)
    assert total(metrics(worker, scope), "service_request_errors_total", "2.0.0") == errors


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        ("/swap_traffic", {"weight": 101}, 422, "weight: Input should be less than or equal"),
        ("/swap_traffic", {"weight": "10"}, 422, "weight: Input should be a valid integer"),
        ("/swap_traffic", {"weight": True}, 422, "weight: Input should be a valid integer"),
        ("/faults/traffic", {"errorRate": 1.5}, 422, "errorRate: Input should be less than"),
        ("/faults/traffic", {"errorRate": "high"}, 422, "errorRate: Input should be a valid"),
        ("/faults/traffic", {"latencySeconds": -1}, 422, "latencySeconds: Input should be"),
        ("/faults/traffic", {"rate": 0.5}, 422, "rate: Extra inputs are not permitted"),
    ],
)
def test_bad_traffic_requests_are_refused_with_4xx_json(
    worker: Worker,
    new_deployment: NewDeployment,
    path: str,
    body: dict[str, object],
    status: int,
    error: str,
) -> None:
    base: dict[str, object] = dict(new_deployment())
    if path == "/faults/traffic":
        base = {"scope": base["scope"], "version": "2.0.0"}
    method = "POST" if path == "/swap_traffic" else "PUT"
    reply = worker.request(method, path, _json(base | body), _JSON)
    assert reply.status == status
    assert error in reply.json["error"]


def test_a_traffic_fault_that_is_not_json_is_a_400(worker: Worker) -> None:
    reply = worker.request("PUT", "/faults/traffic", b"{nope", _JSON)
    assert (reply.status, reply.json["error"]) == (400, "body is not valid JSON")
    assert worker.request("GET", "/faults/traffic").status == 405


# --- the simulation on its own -------------------------------------------------------------


def test_a_split_gives_the_canary_its_weight_and_the_stable_version_the_rest() -> None:
    assert Split("1", "2", 10).shares() == [("1", 0.9), ("2", 0.1)]
    assert Split("1").shares() == [("1", 1.0)]
    assert Split(None, "2", 25).shares() == [("2", 0.25)]
    assert Split("1", "2", 100).shares() == [("2", 1.0)]
    assert Split("1", None, 40).shares() == [("1", 1.0)]


def test_served_requests_spread_over_half_to_one_and_a_half_times_the_latency() -> None:
    counters = served(Counters(), 100, Behaviour(0.1, 0.1))
    assert (counters.requests, counters.errors) == (100, pytest.approx(10))
    assert counters.duration_sum == pytest.approx(10)
    within = dict(zip(BUCKETS, counters.buckets, strict=True))
    assert within[0.025] == 0
    assert within[0.075] == pytest.approx(25)
    assert within[0.1] == pytest.approx(50)
    assert within[0.25] == 100
    again = served(counters, 50, DEFAULT_BEHAVIOUR)
    assert again.requests == 150
    assert again.errors == pytest.approx(10)
    assert served(again, 0, DEFAULT_BEHAVIOUR) is again


def test_a_state_file_from_before_weights_gets_the_column(tmp_path: Path) -> None:
    path = tmp_path / "worker.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE deployments (deployment_id TEXT PRIMARY KEY, scope TEXT NOT NULL,"
            " version TEXT NOT NULL, env TEXT NOT NULL, infrastructure_id TEXT NOT NULL UNIQUE,"
            " status TEXT NOT NULL, outcome TEXT, healthy INTEGER, traffic_version TEXT,"
            " previous_version TEXT, created_at REAL NOT NULL, ready_at REAL NOT NULL,"
            " updated_at REAL NOT NULL) WITHOUT ROWID"
        )
        db.execute(
            "INSERT INTO deployments VALUES ('d', 's', '1', 'e', 'i', 'finalized', 'finalized',"
            " 1, '1', NULL, 0, 0, 0)"
        )
    store = Store(path)
    store.initialize()
    store.initialize()  # every gunicorn process does it: the second finds the column there
    found = store.deployment("d")
    assert found is not None
    assert found.traffic_weight == 0

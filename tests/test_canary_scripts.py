"""What the canary's scripts compute, case by case, under Node (a test aid standing in for the
server's graaljs; see tests/test_control_scripts.py): a measurement's readings and the
analysis's verdict from Prometheus's answers, the queries' encoding, a pause's decision. The
same scripts run on the real server, against the real Prometheus, in tests/e2e/test_canary.py.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from deploy_dsl.canary_scripts import PAUSE_SCRIPT, QUERIES_SCRIPT, measure_script
from tests.test_control_scripts import evaluate

CONDITIONS = {"error_rate": "result <= 0.05", "latency_p99": "result <= 0.5"}
MEASURE = measure_script(CONDITIONS)


def vector(*values: str) -> dict[str, Any]:
    """Prometheus's answer to an instant query: one sample per value."""
    result = [{"metric": {}, "value": [1796610000.5, v]} for v in values]
    return {
        "statusCode": 200,
        "body": {"status": "success", "data": {"resultType": "vector", "result": result}},
    }


def measure(
    answers: dict[str, Any],
    previous: dict[str, Any] | None = None,
    *,
    count: int = 3,
    failure_limit: int = 0,
    inconclusive_limit: int = 0,
) -> dict[str, Any]:
    inputs = {
        "metrics": list(CONDITIONS),
        "conditions": CONDITIONS,
        "answers": answers,
        "previous": previous,
        "count": count,
        "failureLimit": failure_limit,
        "inconclusiveLimit": inconclusive_limit,
        "where": "step 1 (10%)",
    }
    (result,) = evaluate((MEASURE, inputs))
    found: dict[str, Any] = result
    return found


def run(*answers: dict[str, Any], **limits: int) -> list[dict[str, Any]]:
    """The analysis after each measurement, each fed the previous one, as the loop does."""
    found: list[dict[str, Any]] = []
    for answer in answers:
        found.append(measure(answer, found[-1] if found else None, **limits))
    return found


GOOD = {"error_rate": vector("0.01"), "latency_p99": vector("0.12")}
BAD = {"error_rate": vector("0.2"), "latency_p99": vector("0.12")}
EMPTY = {"error_rate": vector(), "latency_p99": vector("0.12")}
DOWN = {
    "error_rate": "java.lang.Exception: I/O error on POST request: Connection refused",
    "latency_p99": "java.lang.Exception: I/O error on POST request: Connection refused",
}


def readings(result: dict[str, Any]) -> list[tuple[str, Any, str]]:
    last = result["measurements"][-1]["readings"]
    return [(r["metric"], r["value"], r["verdict"]) for r in last]


def test_good_numbers_pass_after_count_measurements() -> None:
    steps = run(GOOD, GOOD, GOOD)
    assert [(s["verdict"], s["done"]) for s in steps] == [
        ("running", False),
        ("running", False),
        ("passed", True),
    ]
    assert readings(steps[-1]) == [("error_rate", 0.01, "passed"), ("latency_p99", 0.12, "passed")]
    assert (steps[-1]["passed"], steps[-1]["failure"], steps[-1]["reason"]) == (3, None, None)
    assert [m["number"] for m in steps[-1]["measurements"]] == [1, 2, 3]


def test_a_failed_measurement_fails_the_analysis_at_once_naming_metric_value_condition() -> None:
    (result,) = run(BAD)
    assert (result["verdict"], result["done"]) == ("failed", True)
    assert result["failure"] == {
        "metric": "error_rate",
        "value": 0.2,
        "condition": "result <= 0.05",
        "verdict": "failed",
        "detail": None,
    }
    assert result["reason"] == (
        "analysis failed at step 1 (10%): error_rate = 0.2, not result <= 0.05 "
        "(1 failed measurement(s), failure_limit 0)"
    )


def test_failure_limit_tolerates_that_many_failed_measurements() -> None:
    steps = run(BAD, GOOD, BAD, failure_limit=1)
    assert [s["verdict"] for s in steps] == ["running", "running", "failed"]
    assert steps[-1]["failed"] == 2


def test_no_series_is_inconclusive_not_a_pass() -> None:
    (result,) = run(EMPTY)
    assert (result["verdict"], result["done"]) == ("inconclusive", True)
    assert readings(result)[0] == ("error_rate", None, "no data")
    assert result["reason"] == (
        "analysis inconclusive at step 1 (10%): 1 measurement(s) without an answer, "
        "inconclusive_limit 0 (error_rate: no series)"
    )


def test_prometheus_unreachable_is_inconclusive() -> None:
    (result,) = run(DOWN)
    assert result["verdict"] == "inconclusive"
    detail = result["measurements"][0]["readings"][0]["detail"]
    assert detail.startswith("Prometheus unreachable: java.lang.Exception: I/O error")


def test_a_refused_query_and_too_many_series_are_errors() -> None:
    refused = {
        "statusCode": 400,
        "body": {"status": "error", "errorType": "bad_data", "error": "parse error"},
    }
    (result,) = run({"error_rate": refused, "latency_p99": vector("0.1", "0.2")})
    details = [(r["verdict"], r["detail"]) for r in result["measurements"][0]["readings"]]
    assert details == [
        ("error", "Prometheus answered 400: parse error"),
        ("error", "the query returned 2 series; aggregate it to one (sum, max, ...)"),
    ]


def test_nan_is_no_data_and_infinity_fails() -> None:
    (nan,) = run({"error_rate": vector("NaN"), "latency_p99": vector("0.1")})
    assert readings(nan)[0] == ("error_rate", None, "no data")
    (infinite,) = run({"error_rate": vector("0"), "latency_p99": vector("+Inf")})
    assert infinite["verdict"] == "failed"
    assert infinite["failure"]["detail"] == "+Inf"
    assert "latency_p99 = +Inf, not result <= 0.5" in infinite["reason"]


def test_a_failure_beats_an_unanswered_metric_in_the_same_measurement() -> None:
    (result,) = run({"error_rate": vector("0.5"), "latency_p99": vector()})
    assert result["measurements"][0]["verdict"] == "failed"


def test_inconclusive_limit_lets_an_analysis_pass_around_a_gap() -> None:
    steps = run(GOOD, DOWN, GOOD, inconclusive_limit=1)
    assert [s["verdict"] for s in steps] == ["running", "running", "passed"]
    assert (steps[-1]["passed"], steps[-1]["inconclusive"]) == (2, 1)


def test_an_analysis_that_never_passed_is_inconclusive_whatever_the_limit() -> None:
    steps = run(DOWN, DOWN, count=2, inconclusive_limit=5)
    assert steps[-1]["verdict"] == "inconclusive"
    assert steps[-1]["reason"] == "analysis inconclusive at step 1 (10%): no measurement passed"


def test_a_scalar_answer_is_read_too() -> None:
    scalar = {
        "statusCode": 200,
        "body": {"status": "success", "data": {"resultType": "scalar", "result": [1.5, "0.01"]}},
    }
    (result,) = run({"error_rate": scalar, "latency_p99": vector("0.1")}, count=1)
    assert result["verdict"] == "passed"


def test_the_queries_are_encoded_as_form_bodies() -> None:
    query = 'sum(rate(x{scope="svc-a",version="2.0"}[30s])) / 2 + 1'
    (bodies,) = evaluate((QUERIES_SCRIPT, {"queries": {"error_rate": query}}))
    assert bodies["error_rate"].startswith("query=")
    assert urllib.parse.parse_qs(bodies["error_rate"]) == {"query": [query]}


def test_a_pause_goes_on_only_when_promoted() -> None:
    where = {"where": "step 3 (50%)"}
    results = evaluate(
        (PAUSE_SCRIPT, {**where, "decision": {"promote": True, "by": "alice"}}),
        (PAUSE_SCRIPT, {**where, "decision": {"promote": "true"}}),
        (PAUSE_SCRIPT, {**where, "decision": {"promote": False, "by": "bob", "reason": "p99"}}),
        (PAUSE_SCRIPT, {**where, "decision": {}}),
    )
    assert [(r["promoted"], r["message"]) for r in results] == [
        (True, "promoted at step 3 (50%) by alice"),
        (True, "promoted at step 3 (50%)"),
        (False, "aborted at step 3 (50%) by bob: p99"),
        (False, "aborted at step 3 (50%): the pause ended without a decision"),
    ]

"""canary_v1 on the real engine, the worker's steps and Prometheus's answers mocked: every
branch of its steps and analyses. A good version walks 10, 25, 50 and 100 % and finalizes; a
failed analysis at any step aborts there (rollback, FAILED, the metric, its value and the
condition in the output); no data and an unreachable Prometheus are inconclusive, which pauses
for a person or aborts as the input says, and never promotes; the manual pause before the full
step goes on only when promoted.

Prometheus's answers are mocked as HTTP answers of the query tasks: an unreachable Prometheus
is a failed query (the real one's output is the exception's text instead of a status code,
which tests/test_canary_scripts.py and tests/e2e/test_canary.py cover).
"""

from __future__ import annotations

from typing import Any

import pytest

from definitions.canary import (
    WEIGHTS,
    CanaryInput,
    canary,
    canary_v1,
    create_infrastructure,
    effective_status,
    wait_infrastructure_created,
)
from definitions.deploy_failed import deploy_failed_v1
from definitions.finalize_deployment import finalize_deployment_v1
from definitions.rollback_deployment import rollback_deployment_v1
from deploy_dsl.canary import AnalysisRun, PrometheusAnswer
from deploy_dsl.dsl import Http, SetVariable, SubWorkflow, Task, Wait
from deploy_dsl.testing import (
    Flow,
    FlowResult,
    at_iteration,
    completes,
    fails,
    find_task,
    responds,
)
from tests.flows.deployments import Deployment
from worker.contract import DeploymentStatusAnswer, TrafficSwappedAnswer

SERVICE = Deployment("svc-shop", version="2.0.0")
FINALIZE = find_task(canary_v1, "finalize", SubWorkflow)
FINALIZE_DEPLOYMENT = find_task(canary_v1, "finalize_deployment", Http)
# Each metric's answer in one measurement: a value, None for no series, "down" for a failed query.
Readings = dict[str, str | None]
GOOD: Readings = {"error_rate": "0.01", "latency_p99": "0.12"}
BAD: Readings = {"error_rate": "0.2", "latency_p99": "0.12"}
SLOW: Readings = {"error_rate": "0", "latency_p99": "0.9"}
NO_DATA: Readings = {"error_rate": None, "latency_p99": "0.12"}
DOWN: Readings = {"error_rate": "down", "latency_p99": "down"}


def given(**overrides: Any) -> CanaryInput:
    fields = {"interval": "1s", "count": 2, "pause_before_full": "none"} | overrides
    return CanaryInput(**SERVICE.input.model_dump(), **fields)


def answer(value: str | None) -> PrometheusAnswer:
    """An instant query's answer: one series with `value`, or none (no data)."""
    result = [] if value is None else [{"metric": {}, "value": [1796610000.5, value]}]
    return PrometheusAnswer.model_validate(
        {"status": "success", "data": {"resultType": "vector", "result": result}}
    )


def swapped(weight: int) -> TrafficSwappedAnswer:
    return SERVICE.swapped().model_copy(update={"trafficWeight": weight})


def step(number: int) -> AnalysisRun:
    run = canary.analyses[number - 1]
    assert run is not None
    return run


def measured(number: int, readings: list[Readings]) -> dict[Any, Any]:
    """Step `number`'s analysis: one measurement per entry of `readings`."""
    run = step(number)
    mocks: dict[Any, Any] = {}
    for iteration, values in enumerate(readings, start=1):
        mocks[at_iteration(run.wait, iteration)] = completes()
        for metric, value in values.items():
            query = at_iteration(run.query[metric], iteration)
            mocks[query] = fails(status_code=503) if value == "down" else responds(answer(value))
    return mocks


def started() -> dict[Any, Any]:
    return {
        create_infrastructure: responds(SERVICE.created()),
        wait_infrastructure_created: responds(SERVICE.ready()),
    }


def walked(steps: int, *, measurements: int = 2) -> dict[Any, Any]:
    """The first `steps` steps, every one moved and judged good."""
    mocks = started()
    for number in range(1, steps + 1):
        mocks[canary.traffic[number - 1]] = responds(swapped(WEIGHTS[number - 1]))
        mocks |= measured(number, [GOOD] * measurements)
    return mocks


def finalized() -> dict[Any, Any]:
    return {
        effective_status: responds(SERVICE.checked("success")),
        FINALIZE: SERVICE.follow_up_mocks(finalize_deployment_v1),
        FINALIZE_DEPLOYMENT: responds(SERVICE.settled("finalize_deployment", "finalized")),
    }


def rolled_back(prefix: str) -> dict[Any, Any]:
    """The abort at `prefix`: rollback_deployment_v1 (traffic back first), the settle; then
    the failure workflow the FAILED canary starts finds nothing left to roll back."""
    settled = DeploymentStatusAnswer(
        **SERVICE.status(traffic_moved=True).model_dump(exclude={"outcome", "needsRollback"}),
        outcome="rolled_back",
        needsRollback=False,
    )
    return {
        find_task(canary_v1, f"{prefix}_rollback", SubWorkflow): SERVICE.follow_up_mocks(
            rollback_deployment_v1
        ),
        find_task(canary_v1, f"{prefix}_rollback_deployment", Http): responds(
            SERVICE.settled("rollback_deployment", "rolled_back")
        ),
        deploy_failed_v1: {
            find_task(deploy_failed_v1, "deployment_status", Http): responds(settled)
        },
    }


def weights_sent(result: FlowResult) -> list[int]:
    return [result.last(task).body["weight"] for task in canary.traffic if result.ran(task)]


def assert_aborted(result: FlowResult, prefix: str, step_number: int) -> dict[str, Any]:
    assert result.status == "FAILED", result
    assert result.child(find_task(canary_v1, f"{prefix}_rollback", SubWorkflow)).status == (
        "COMPLETED"
    )
    assert result.last(find_task(canary_v1, f"{prefix}_record_rolled_back", SetVariable))
    assert weights_sent(result) == list(WEIGHTS[:step_number]), "no step after the abort"
    assert not result.ran(effective_status)
    assert result.output["abortedAt"] == {"step": step_number, "weight": WEIGHTS[step_number - 1]}
    assert result.output["outcome"] == "rolled_back"
    assert result.failure is not None and result.failure.status == "COMPLETED"
    output: dict[str, Any] = result.output
    return output


def test_a_good_version_walks_every_step_and_finalizes(flow: Flow) -> None:
    result = flow.run(canary_v1, given(), walked(4) | finalized())

    assert result.status == "COMPLETED", result
    assert weights_sent(result) == [10, 25, 50, 100]
    assert result.output["outcome"] == "finalized"
    analyses = result.output["analyses"]
    assert [a["verdict"] for a in analyses] == ["passed"] * 4
    assert [a["where"] for a in analyses] == [
        "step 1 (10%)",
        "step 2 (25%)",
        "step 3 (50%)",
        "step 4 (100%)",
    ]
    readings = analyses[0]["measurements"][1]["readings"]
    assert [(r["metric"], r["value"], r["condition"], r["verdict"]) for r in readings] == [
        ("error_rate", 0.01, "result <= 0.05", "passed"),
        ("latency_p99", 0.12, "result <= 0.5", "passed"),
    ]
    # Each measurement waited its interval first, as the input says.
    assert result.last(at_iteration(step(2).wait, 1)).input["duration"] == "1s"


@pytest.mark.parametrize("failing", [1, 2, 3, 4])
def test_a_failed_analysis_aborts_at_its_step(flow: Flow, failing: int) -> None:
    mocks = walked(failing - 1)
    mocks[canary.traffic[failing - 1]] = responds(swapped(WEIGHTS[failing - 1]))
    mocks |= measured(failing, [BAD]) | rolled_back(f"canary_{failing}_failed")

    result = flow.run(canary_v1, given(), mocks)

    output = assert_aborted(result, f"canary_{failing}_failed", failing)
    where = f"step {failing} ({WEIGHTS[failing - 1]}%)"
    assert result.reason == (
        f"analysis failed at {where}: error_rate = 0.2, not result <= 0.05 "
        "(1 failed measurement(s), failure_limit 0)"
    )
    assert output["failure"] == {
        "metric": "error_rate",
        "value": 0.2,
        "condition": "result <= 0.05",
        "verdict": "failed",
        "detail": None,
    }
    # The first failed measurement ends the analysis: no second interval.
    assert not result.ran(at_iteration(step(failing).wait, 2))


def test_a_slow_version_fails_on_latency_with_the_input_s_threshold(flow: Flow) -> None:
    mocks = started() | {canary.traffic[0]: responds(swapped(10))}
    mocks |= measured(1, [SLOW]) | rolled_back("canary_1_failed")

    result = flow.run(canary_v1, given(max_latency_p99=0.75), mocks)

    output = assert_aborted(result, "canary_1_failed", 1)
    assert (output["failure"]["metric"], output["failure"]["condition"]) == (
        "latency_p99",
        "result <= 0.75",
    )


def inconclusive(readings: Readings, **overrides: Any) -> tuple[CanaryInput, Any]:
    mocks = started() | {canary.traffic[0]: responds(swapped(10))}
    return given(count=1, **overrides), mocks | measured(1, [readings])


def test_no_data_pauses_and_a_promotion_goes_on(flow: Flow) -> None:
    inputs, mocks = inconclusive(NO_DATA)
    held = find_task(canary_v1, "canary_1_held", Wait)
    mocks[held] = completes({"promote": True, "by": "alice", "reason": "new endpoint"})
    for number in (2, 3, 4):
        mocks[canary.traffic[number - 1]] = responds(swapped(WEIGHTS[number - 1]))
        mocks |= measured(number, [GOOD])
    mocks |= finalized()

    result = flow.run(canary_v1, inputs, mocks)

    assert result.status == "COMPLETED", result
    pause = result.last(held).input["canaryPause"]
    assert pause["why"] == (
        "analysis inconclusive at step 1 (10%): 1 measurement(s) without an answer, "
        "inconclusive_limit 0 (error_rate: no series)"
    )
    assert result.output["analyses"][0]["verdict"] == "inconclusive"
    assert weights_sent(result) == [10, 25, 50, 100]


def test_no_data_paused_then_aborted_rolls_back(flow: Flow) -> None:
    inputs, mocks = inconclusive(NO_DATA)
    held = find_task(canary_v1, "canary_1_held", Wait)
    mocks[held] = completes({"promote": False, "by": "bob", "reason": "no metrics"})
    mocks |= rolled_back("canary_1_held_abort")

    result = flow.run(canary_v1, inputs, mocks)

    assert_aborted(result, "canary_1_held_abort", 1)
    assert result.reason == "aborted at step 1 (10%) by bob: no metrics"


def test_a_pause_that_ends_without_a_decision_never_promotes(flow: Flow) -> None:
    inputs, mocks = inconclusive(NO_DATA)
    mocks[find_task(canary_v1, "canary_1_held", Wait)] = completes()
    mocks |= rolled_back("canary_1_held_abort")

    result = flow.run(canary_v1, inputs, mocks)

    assert_aborted(result, "canary_1_held_abort", 1)
    assert result.reason == "aborted at step 1 (10%): the pause ended without a decision"


def test_prometheus_unreachable_aborts_when_the_input_says_so(flow: Flow) -> None:
    inputs, mocks = inconclusive(DOWN, on_inconclusive="abort")
    mocks |= rolled_back("canary_1_inconclusive")

    result = flow.run(canary_v1, inputs, mocks)

    output = assert_aborted(result, "canary_1_inconclusive", 1)
    query = result.last(at_iteration(step(1).query["error_rate"], 1))
    assert query.status == "COMPLETED_WITH_ERRORS", "an optional query: the loop goes on"
    assert result.reason == (
        "analysis inconclusive at step 1 (10%): 1 measurement(s) without an answer, "
        "inconclusive_limit 0 (error_rate: Prometheus answered 503: mocked failure)"
    )
    assert output["failure"] is None
    readings = output["analysis"]["measurements"][0]["readings"]
    assert {r["verdict"] for r in readings} == {"error"}


def test_prometheus_unreachable_pauses_by_default(flow: Flow) -> None:
    inputs, mocks = inconclusive(DOWN)
    mocks[find_task(canary_v1, "canary_1_held", Wait)] = completes(
        {"promote": False, "by": "carol", "reason": "Prometheus is down"}
    )
    mocks |= rolled_back("canary_1_held_abort")

    result = flow.run(canary_v1, inputs, mocks)

    assert_aborted(result, "canary_1_held_abort", 1)
    assert result.ran(find_task(canary_v1, "canary_1_held", Wait))


def manual(decision: dict[str, Any]) -> tuple[CanaryInput, dict[Any, Any], Task]:
    pause = find_task(canary_v1, "canary_3_pause", Wait)
    mocks = walked(3) | {pause: completes(decision)}
    return given(pause_before_full="manual"), mocks, pause


def test_the_manual_pause_before_the_full_step_goes_on_when_promoted(flow: Flow) -> None:
    inputs, mocks, pause = manual({"promote": True, "by": "alice"})
    mocks[canary.traffic[3]] = responds(swapped(100))
    mocks |= measured(4, [GOOD, GOOD]) | finalized()

    result = flow.run(canary_v1, inputs, mocks)

    assert result.status == "COMPLETED", result
    assert result.last(pause).input["canaryPause"]["weight"] == 50
    decision = result.last(find_task(canary_v1, "canary_3_pause_decision"))
    assert decision.output["result"]["message"] == "promoted at step 3 (50%) by alice"
    assert weights_sent(result) == [10, 25, 50, 100]


def test_the_manual_pause_aborted_rolls_back_at_50_percent(flow: Flow) -> None:
    inputs, mocks, _ = manual({"promote": False, "by": "bob", "reason": "p99 creeping up"})
    mocks |= rolled_back("canary_3_pause_abort")

    result = flow.run(canary_v1, inputs, mocks)

    output = assert_aborted(result, "canary_3_pause_abort", 3)
    assert result.reason == "aborted at step 3 (50%) by bob: p99 creeping up"
    assert (output["failure"], output["analysis"]) == (None, None)


def test_a_timed_pause_waits_then_goes_on(flow: Flow) -> None:
    timed = find_task(canary_v1, "canary_3_pause_timed", Wait)
    mocks = walked(4) | finalized() | {timed: completes()}

    result = flow.run(canary_v1, given(pause_before_full="30s"), mocks)

    assert result.status == "COMPLETED", result
    assert result.last(timed).input["duration"] == "30s"

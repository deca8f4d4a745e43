"""A canary's panel data, from canary_v1 executions recorded on the real server with the real
Prometheus (tests/data/dashboard/): the steps, the measurements, the verdict, the pause that
waits, and what failed."""

from __future__ import annotations

import json
from typing import Any

from deploy_dsl.client.approvals import WaitingGate
from deploy_dsl.client.canary import measurement_lines, pauses_in
from deploy_dsl.client.tree import ExecutionNode, load_tree
from deploy_dsl.dashboard.build_dir import BuildDir
from deploy_dsl.dashboard.canary import Canary, Reading, holds_canary, panels
from deploy_dsl.dsl import Analysis, CanaryStep, CanarySteps, Http, Metric, Task, Workflow
from deploy_dsl.wire import dump
from tests.conftest import REPO_ROOT
from tests.dashboard.recorded import recorded, tree_of

WEIGHTS = [10, 25, 50, 100]


def panel_of(name: str) -> Canary:
    tree = tree_of(name)
    (found,) = panels(tree, pauses_in(tree))
    return found


def test_a_canary_waiting_at_its_manual_pause() -> None:
    canary = panel_of("canary_waiting")
    assert (canary.state, canary.traffic) == ("waiting", "50% to the new version")
    assert [s.weight for s in canary.steps] == WEIGHTS
    assert [s.state for s in canary.steps] == ["done", "done", "waiting", "not started"]
    assert canary.current is not None and canary.current.label == "step 3 (50%)"
    (pause,) = canary.pauses
    assert (pause.gate, pause.title) == ("canary_3_pause", "svc-shop-a 1.0.0 in prod")
    assert pause.why == "a manual pause at step 3 (50%)"
    assert (canary.reason, canary.failure) == (None, None)
    # Every measurement of every analysis so far: 3 steps, 2 measurements, 2 metrics each.
    for step in canary.steps[:3]:
        assert step.analysis is not None
        assert (step.analysis.verdict, step.analysis.passed) == ("passed", 2)
        assert [m.number for m in step.analysis.measurements] == [1, 2]
        for measurement in step.analysis.measurements:
            assert measurement.verdict == "passed" and measurement.at_ms
            assert [(r.metric, r.condition, r.verdict) for r in measurement.readings] == [
                ("error_rate", "result <= 0.05", "passed"),
                ("latency_p99", "result <= 0.5", "passed"),
            ]
    assert canary.steps[3].analysis is None


def test_the_panel_shows_each_value_as_status_prints_it() -> None:
    """The numbers are the ones `deploy-dsl status` prints for the same measurement task."""
    canary = panel_of("canary_waiting")
    (execution,) = recorded("canary_waiting")
    measure = next(
        t for t in execution["tasks"] if t["referenceTaskName"] == "canary_2_analysis_measure__2"
    )
    printed = [line.split() for line in measurement_lines(measure)[1:3]]
    step = canary.steps[1].analysis
    assert step is not None
    shown = [
        [r.metric, r.value, *r.condition.split(), r.verdict] for r in step.measurements[1].readings
    ]
    assert shown == printed
    assert shown[1][1] == "0.0745"


def test_a_promoted_canary_completes_at_full_weight() -> None:
    canary = panel_of("canary_promoted")
    assert (canary.state, canary.traffic, canary.pauses) == (
        "completed", "100% to the new version", ()
    )  # fmt: skip
    assert [s.state for s in canary.steps] == ["done"] * 4
    assert [s.decision for s in canary.steps] == [
        None, None, "promoted at step 3 (50%) by alice", None
    ]  # fmt: skip
    assert all(s.analysis and s.analysis.verdict == "passed" for s in canary.steps)


def test_an_analysis_failure_names_the_metric_its_value_and_the_condition() -> None:
    canary = panel_of("canary_failed_analysis")
    assert canary.state == "aborted"
    assert canary.failure == Reading("error_rate", "0.2", "result <= 0.05", "failed", None)
    assert canary.reason is not None and canary.reason.startswith(
        "analysis failed at step 1 (10%): error_rate = 0.2, not result <= 0.05"
    )
    assert [s.state for s in canary.steps] == [
        "aborted",
        "not started",
        "not started",
        "not started",
    ]
    assert canary.traffic == "back on the previous version (aborted at 10%)"
    first = canary.steps[0].analysis
    assert first is not None and (first.verdict, first.failed) == ("failed", 1)
    assert first.reason == canary.reason
    assert [m.verdict for m in first.measurements] == ["failed"]


def test_an_abort_at_the_pause_names_who_and_why() -> None:
    canary = panel_of("canary_aborted_at_pause")
    reason = "aborted at step 3 (50%) by bob: latency looks odd on the 50 % graph"
    assert (canary.state, canary.reason, canary.failure) == ("aborted", reason, None)
    assert [s.state for s in canary.steps] == ["done", "done", "aborted", "not started"]
    assert canary.steps[2].decision == reason
    assert canary.traffic == "back on the previous version (aborted at 50%)"


def test_only_workflows_with_canary_steps_have_a_panel() -> None:
    build = BuildDir(REPO_ROOT / "build")
    assert build.canary_workflows() == ["canary_v1"]
    assert panels(tree_of("deploy_rolled_back"), []) == []
    assert not holds_canary({"name": "x", "tasks": "not a list"})


def test_any_canary_steps_are_read_from_the_definition() -> None:
    """Another project's canary: its own reference, a step without analysis or pause, and
    nothing run yet."""
    metric = Metric("errors", query="sum(errors)", success="result < 1")
    analysis = Analysis(metrics=[metric], interval="5s", count=1, on_inconclusive="abort")

    def swap(ref: str, weight: int) -> Task:
        return Http(ref, uri="http://w/swap", method="POST", body={"weight": weight})

    steps = CanarySteps(
        "release",
        steps=[CanaryStep(20, analysis), CanaryStep(60, None, "manual"), CanaryStep(100)],
        set_weight=swap,
    )
    workflow = Workflow("rel", version=1, owner_email="o@example.com", tasks=steps.tasks(
        on_abort=lambda at: []
    ))  # fmt: skip
    body = dump(workflow.compile().definition)
    assert holds_canary(body)
    execution: dict[str, Any] = {
        "workflowId": "r1", "workflowName": "rel", "status": "RUNNING", "tasks": [],
        "workflowDefinition": json.loads(json.dumps(body)),
    }  # fmt: skip
    (canary,) = panels(tree_of_one(execution), [])
    # The third step's weight is in no marker: shown unknown rather than guessed.
    assert [(s.number, s.weight, s.state) for s in canary.steps] == [
        (1, 20, "not started"), (2, 60, "not started"), (3, None, "not started")
    ]  # fmt: skip
    assert (canary.state, canary.current, canary.traffic) == ("running", None, "none moved yet")


def tree_of_one(execution: dict[str, Any]) -> ExecutionNode:
    return load_tree({execution["workflowId"]: execution}.__getitem__, execution["workflowId"])


def test_two_canaries_in_one_workflow_each_show_their_own_pause() -> None:
    def swap(ref: str, weight: int) -> Task:
        return Http(ref, uri="http://w/swap", method="POST", body={"weight": weight})

    blue, green = (
        CanarySteps(ref, steps=[CanaryStep(50, None, "manual")], set_weight=swap)
        for ref in ("blue", "green")
    )
    tasks = [*blue.tasks(on_abort=lambda at: []), *green.tasks(on_abort=lambda at: [])]
    workflow = Workflow("two", version=1, owner_email="o@example.com", tasks=tasks)
    execution: dict[str, Any] = {
        "workflowId": "w2", "workflowName": "two", "status": "RUNNING", "tasks": [],
        "workflowDefinition": dump(workflow.compile().definition),
    }  # fmt: skip
    waiting = WaitingGate("green_1_pause", None, "t1", "w2", "two", (), 0, None)
    found = panels(tree_of_one(execution), [waiting])
    assert [(len(c.steps), c.state, c.pauses) for c in found] == [
        (1, "running", ()), (1, "waiting", (waiting,))
    ]  # fmt: skip

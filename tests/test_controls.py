"""The deployment controls' builders: what they compile to, what they refuse, how they are typed,
and that a workflow using them passes the validator. (What their scripts compute is checked in
tests/test_control_scripts.py and, on the real server, in tests/e2e/test_rollout.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from deploy_dsl.compiler import compile_project
from deploy_dsl.controls import APPROVAL_INPUT
from deploy_dsl.dsl import (
    ApprovalGate,
    BatchedFanOut,
    DynamicFork,
    FailureThreshold,
    Inline,
    Simple,
    Terminate,
    Workflow,
    previous_result,
    workflow_input,
)
from deploy_dsl.errors import DefinitionError, UnknownField
from deploy_dsl.project import Project
from deploy_dsl.wire import dump

OWNER = "o@example.com"


class Item(BaseModel):
    scope: str


class Approval(BaseModel):
    timeout: str | None = None


class In(BaseModel):
    items: list[Item]
    k: int | None = None
    approval: Approval | None = None


child = Workflow(
    "child",
    version=3,
    owner_email=OWNER,
    input=Item,
    tasks=[Simple("work")],
    output={"scope": workflow_input(Item).scope, "outcome": "finalized"},
)
inputs = workflow_input(In)


def _compiled(*tasks: Any) -> dict[str, Any]:
    workflow = Workflow("wf", version=1, owner_email=OWNER, input=In, tasks=list(tasks))
    return dump(workflow.compile().definition)


def _findings(*tasks: Any) -> list[str]:
    workflow = Workflow("wf", version=1, owner_email=OWNER, input=In, tasks=list(tasks))
    compiled = compile_project(Project(workflows=[workflow, child]))
    return [str(finding) for finding in compiled.findings]


def _stop(gate: ApprovalGate) -> Terminate:
    return Terminate("stop", status="FAILED", reason=gate.verdict.message)


# -- ApprovalGate --------------------------------------------------------------------------------


def test_a_gate_is_a_marked_wait_a_verdict_and_a_switch() -> None:
    gate = ApprovalGate("gate", timeout="30m", subject="release 1.2")
    wait, verdict, decision = _compiled(*gate.tasks(on_reject=[_stop(gate)]))["tasks"]
    assert wait["type"] == "WAIT"
    assert wait["inputParameters"] == {
        "duration": "30m",
        APPROVAL_INPUT: {"gate": "gate", "subject": "release 1.2"},
    }
    assert verdict["type"] == "INLINE"
    assert verdict["taskReferenceName"] == "gate_verdict"
    assert verdict["inputParameters"]["decision"] == "${gate.output}"
    assert verdict["inputParameters"]["timeout"] == "30m"
    assert decision["type"] == "SWITCH"
    assert decision["inputParameters"] == {
        "switchCaseValue": "${gate_verdict.output.result.approved}"
    }
    # Anything but an approval (a rejection, a timeout) takes the rejection path.
    assert [t["taskReferenceName"] for t in decision["decisionCases"]["false"]] == ["stop"]
    assert decision["defaultCase"] == []


def test_a_gate_without_a_timeout_waits_for_a_signal() -> None:
    gate = ApprovalGate("gate")
    wait = _compiled(*gate.tasks(on_reject=[_stop(gate)]))["tasks"][0]
    assert "duration" not in wait["inputParameters"]
    assert "until" not in wait["inputParameters"]


def test_a_gate_timeout_may_be_a_reference() -> None:
    gate = ApprovalGate("gate", timeout=inputs.approval.timeout, subject=f"{inputs.k} items")
    wait = _compiled(*gate.tasks(on_reject=[_stop(gate)]))["tasks"][0]
    assert wait["inputParameters"]["duration"] == "${workflow.input.approval.timeout}"
    assert wait["inputParameters"][APPROVAL_INPUT]["subject"] == "${workflow.input.k} items"


def test_the_approval_path_runs_on_approve() -> None:
    gate = ApprovalGate("gate")
    decision = _compiled(*gate.tasks(on_reject=[_stop(gate)], on_approve=[Simple("go")]))["tasks"][
        2
    ]
    assert [t["taskReferenceName"] for t in decision["defaultCase"]] == ["go"]


def test_a_gate_needs_a_rejection_path() -> None:
    with pytest.raises(DefinitionError, match="on_reject needs at least one task"):
        ApprovalGate("gate").tasks(on_reject=[])


def test_a_gate_refuses_a_timeout_that_is_not_a_duration_or_reference() -> None:
    with pytest.raises(DefinitionError, match="timeout must be str or Ref or None, got int 30"):
        ApprovalGate("gate", timeout=30)  # type: ignore[arg-type]


def test_the_verdict_and_the_decision_are_typed() -> None:
    gate = ApprovalGate("gate")
    assert str(gate.verdict.message) == "${gate_verdict.output.result.message}"
    assert str(gate.wait.output.approved) == "${gate.output.approved}"
    with pytest.raises(UnknownField, match="'mesage'"):
        _ = gate.verdict.mesage
    with pytest.raises(UnknownField, match="'aproved'"):
        _ = gate.wait.output.aproved


def test_a_workflow_with_a_gate_passes_the_validator() -> None:
    gate = ApprovalGate("gate", timeout=inputs.approval.timeout)
    assert _findings(*gate.tasks(on_reject=[_stop(gate)]), Simple("after")) == []


# -- FailureThreshold ----------------------------------------------------------------------------


def _fan_out() -> tuple[DynamicFork, Any]:
    fork = DynamicFork("fork", workflow=child, fork_inputs=inputs.items, optional=True)
    return fork, fork.join("join")


def test_a_threshold_is_an_inline_over_the_join() -> None:
    fork, join = _fan_out()
    threshold = FailureThreshold(
        "tally",
        results=join.output,
        items=inputs.items,
        failed="output.outcome !== 'finalized'",
        max_failures="25%",
    )
    task = _compiled(fork, join, threshold)["tasks"][2]
    assert task["type"] == "INLINE"
    params = task["inputParameters"]
    assert params["evaluatorType"] == "graaljs"
    assert (
        "function isFailed(item, output) { return (output.outcome !== 'finalized'); }"
        in (params["expression"])
    )
    assert {k: v for k, v in params.items() if k not in ("evaluatorType", "expression")} == {
        "results": "${join.output}",
        "items": "${workflow.input.items}",
        "outOf": "${workflow.input.items}",
        "maxFailures": "25%",
        "canary": False,
    }


def test_an_accumulating_threshold_reads_its_own_previous_result() -> None:
    fork, join = _fan_out()
    threshold = FailureThreshold(
        "tally", results=join.output, items=inputs.items, failed="!output", accumulate=True
    )
    params = _compiled(fork, join, threshold)["tasks"][2]["inputParameters"]
    assert params["previous"] == "${tally.output.result}"


def test_the_threshold_result_is_typed_by_the_forked_workflow() -> None:
    _, join = _fan_out()
    result = FailureThreshold(
        "tally", results=join.output, items=inputs.items, failed="!output"
    ).output.result
    assert str(result.succeeded[0].outcome) == "${tally.output.result.succeeded[0].outcome}"
    assert str(result.failed[0].item.scope) == "${tally.output.result.failed[0].item.scope}"
    with pytest.raises(UnknownField, match="'exceded'"):
        _ = result.exceded
    with pytest.raises(UnknownField, match="'scpoe'"):
        _ = result.remaining[0].scpoe


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "must not be negative, got -1"),
        ("120%", "'120%' is not a percentage from '0%' to '100%'"),
        ("ten", "'ten' is not a percentage"),
        ("25 %", "'25 %' is not a percentage"),
        (True, "must be a count, a percentage such as '25%' or a reference, got bool"),
        (2.5, "got float 2.5"),
    ],
)
def test_max_failures_must_be_a_count_or_a_percentage(value: object, message: str) -> None:
    _, join = _fan_out()
    with pytest.raises(DefinitionError, match=message):
        FailureThreshold(
            "tally",
            results=join.output,
            items=inputs.items,
            failed="!output",
            max_failures=value,  # type: ignore[arg-type]
        )


def test_a_threshold_needs_a_predicate() -> None:
    _, join = _fan_out()
    with pytest.raises(DefinitionError, match="failed must be a JavaScript expression"):
        FailureThreshold("tally", results=join.output, items=inputs.items, failed="  ")


# -- BatchedFanOut -------------------------------------------------------------------------------


def test_a_batched_fan_out_is_a_loop_over_a_dynamic_fork() -> None:
    fan_out = BatchedFanOut(
        "deploys",
        workflow=child,
        items=inputs.items,
        failed="output.outcome !== 'finalized'",
        max_parallel=2,
        max_failures=1,
        canary=True,
    )
    (loop,) = _compiled(fan_out)["tasks"]
    assert loop["type"] == "DO_WHILE"
    assert loop["loopCondition"] == "$.deploys_tally['result']['done'] == false"
    batch, fork, join, tally = loop["loopOver"]
    assert [t["taskReferenceName"] for t in loop["loopOver"]] == [
        "deploys_batch",
        "deploys_fork",
        "deploys_join",
        "deploys_tally",
    ]
    assert {k: v for k, v in batch["inputParameters"].items() if k != "expression"} == {
        "evaluatorType": "graaljs",
        "items": "${workflow.input.items}",
        "iteration": "${deploys.output.iteration}",
        "maxParallel": 2,
        "canary": True,
    }
    assert fork["type"] == "FORK_JOIN_DYNAMIC"
    # Optional: ForkJoinDynamicTaskMapper copies the flag to each forked run, so a failed run
    # does not fail the JOIN (and is counted by the tally instead).
    assert fork["optional"] is True
    assert fork["inputParameters"] == {
        "forkTaskWorkflow": "child",
        "forkTaskWorkflowVersion": "3",
        "forkTaskInputs": "${deploys_batch.output.result}",
    }
    assert join["type"] == "JOIN" and join["joinOn"] == []
    params = tally["inputParameters"]
    assert params["results"] == "${deploys_join.output}"
    assert params["items"] == "${deploys_batch.output.result}"
    assert params["outOf"] == "${workflow.input.items}"
    assert params["previous"] == "${deploys_tally.output.result}"
    assert (params["maxFailures"], params["canary"]) == (1, True)


def test_the_fan_out_takes_its_limits_from_references() -> None:
    fan_out = BatchedFanOut(
        "deploys", workflow=child, items=inputs.items, failed="!output", max_parallel=inputs.k
    )
    (loop,) = _compiled(fan_out)["tasks"]
    assert loop["loopOver"][0]["inputParameters"]["maxParallel"] == "${workflow.input.k}"
    assert loop["loopOver"][3]["inputParameters"]["maxFailures"] == 0


def test_max_parallel_is_at_least_one() -> None:
    with pytest.raises(DefinitionError, match="max_parallel must be at least 1, got 0"):
        BatchedFanOut("deploys", workflow=child, items=inputs.items, failed="!o", max_parallel=0)


def test_the_fan_out_result_is_the_last_tally_typed() -> None:
    fan_out = BatchedFanOut("deploys", workflow=child, items=inputs.items, failed="!output")
    assert str(fan_out.result.exceeded) == "${deploys_tally.output.result.exceeded}"
    assert str(fan_out.batch.output.result[0].scope) == "${deploys_batch.output.result[0].scope}"
    with pytest.raises(UnknownField):
        _ = fan_out.result.succeeded[0].nope


def test_a_workflow_with_a_fan_out_passes_the_validator() -> None:
    fan_out = BatchedFanOut(
        "deploys", workflow=child, items=inputs.items, failed="!output", max_parallel=inputs.k
    )
    after = Inline("after", script="$.r", inputs={"r": fan_out.result.failures})
    assert _findings(fan_out, after) == []


def test_previous_result_is_the_reference_an_accumulator_reads() -> None:
    class Tally(BaseModel):
        count: int

    ref = previous_result("acc", Tally)
    assert str(ref.count) == "${acc.output.result.count}"
    with pytest.raises(UnknownField):
        _ = ref.cuont
    assert str(previous_result("open").anything) == "${open.output.result.anything}"

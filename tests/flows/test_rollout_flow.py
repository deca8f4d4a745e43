"""rollout_v1 on the real engine, every deploy's steps mocked: the approval gate, the batched
fan-out, the failure threshold, the canary and rollback_completed, as the engine runs them (the
loops, the dynamic forks, the JOINs, the graaljs scripts, the TERMINATEs), through each wave's
rollout_wave_v1 sub-workflow.

What the scripts compute case by case is in tests/test_control_scripts.py (under Node); the same
scenarios against the real worker, timings included, in tests/e2e/test_rollout.py. Here: what
ran, in which batch, in which order, and what the rollout said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from definitions.deploy_failed import deploy_failed_v1
from definitions.deploy_simple import create_infrastructure
from definitions.rollback_deployment import rollback_deployment_v1
from definitions.rollout import (
    RolloutInput,
    halted,
    roll_back,
    rolled_back,
    rollout_tally,
    rollout_v1,
    run_waves,
    wave,
)
from definitions.rollout_wave import (
    Approval,
    RolloutWave,
    ask_approval,
    deploys,
    gate,
    not_approved,
    rollout_wave_v1,
    summarize_wave,
)
from deploy_dsl.dsl import Task
from deploy_dsl.testing import (
    Flow,
    FlowResult,
    InIteration,
    Mock,
    at_iteration,
    completes,
    fails,
    find_task,
)
from tests.flows.deployments import Deployment, fork_mocks, forked_refs, refs

HALT = find_task(rollout_v1, "halt_rollout")
# The gate's SWITCH over its verdict, and the rejection's end of the wave.
GATE_DECISION = find_task(rollout_wave_v1, f"{gate.ref}_decision")
WAVE_NOT_APPROVED = find_task(rollout_wave_v1, "wave_not_approved")


# -- building a rollout ----------------------------------------------------------------------


def services(*scopes: str) -> list[Deployment]:
    return [Deployment(scope) for scope in scopes]


def wave_of(deployments: Sequence[Deployment], **options: Any) -> RolloutWave:
    return RolloutWave(services=[d.input for d in deployments], **options)


def unhealthy(batches: Sequence[Sequence[Deployment]]) -> frozenset[str]:
    """The seed's rule, as the worker applies it: a scope that starts with `svc-` is healthy."""
    return frozenset(d.scope for batch in batches for d in batch if not d.scope.startswith("svc-"))


def wave_mocks(
    batches: Sequence[Sequence[Deployment]] = (), decision: Mock | None = None
) -> dict[Any, Any]:
    """One wave's mocks: the deploys of each batch, in the batches the test expects (a batch
    the engine forks otherwise finds no mocks, and the run stops naming it), and the gate's
    decision when the wave has one."""
    mocks = fork_mocks(deploys.fork, batches, unhealthy(batches))
    if decision is not None:
        mocks[gate.wait] = decision
    return mocks


def run(
    flow: Flow,
    waves: Sequence[RolloutWave],
    per_wave: Sequence[Mapping[Any, Any]],
    *,
    canary: bool = False,
    rollback_completed: bool = False,
    rolls_back: Sequence[Deployment] = (),
) -> FlowResult:
    mocks: dict[Any, Any] = {
        at_iteration(wave, number): dict(m) for number, m in enumerate(per_wave, start=1)
    }
    if rolls_back:
        mocks[roll_back] = [d.follow_up_mocks(rollback_deployment_v1) for d in rolls_back]
    given = RolloutInput(waves=list(waves), canary=canary, rollback_completed=rollback_completed)
    return flow.run(rollout_v1, given, mocks)


def decided(approved: bool, by: str, reason: str) -> Mock:
    """A person completing the gate's WAIT, as `deploy-dsl approve` / `reject` do (POST
    /api/tasks with this outputData)."""
    return completes({"approved": approved, "by": by, "reason": reason})


# -- reading what ran ------------------------------------------------------------------------


def wave_run(result: FlowResult, number: int) -> FlowResult:
    return result.child(at_iteration(wave, number))


def summary(result: FlowResult, number: int) -> dict[str, Any]:
    found: dict[str, Any] = wave_run(result, number).output["summary"]
    return found


def batches_run(wave_result: FlowResult) -> list[list[str]]:
    """The scopes each batch deployed, as create_infrastructure was asked: one list per
    iteration of the fan-out."""
    return [
        [d.last(create_infrastructure).body["scope"] for d in wave_result.forked(deploys.fork, n)]
        for n in range(1, len(wave_result.runs(deploys.fork)) + 1)
    ]


def fan_out_refs(sizes: Sequence[int]) -> list[str]:
    """The references of the fan-out, batch by batch: each batch is picked, forked, joined and
    tallied before the next is picked."""
    found = [deploys.ref]
    for number, size in enumerate(sizes, start=1):
        for task in deploys.body:
            found.append(f"{task.ref}__{number}")
            if task is deploys.fork:
                found += forked_refs(deploys.fork, size, number)
    return found


def wave_refs(sizes: Sequence[int], *, gated: bool = False) -> list[str]:
    """The references one wave (rollout_wave_v1) runs, approved when it has a gate."""
    asked = refs(gate.wait, gate.check, GATE_DECISION) if gated else []
    return [ask_approval.ref, *asked, *fan_out_refs(sizes), summarize_wave.ref]


def rollout_refs(waves: int, *, tail: Sequence[str] = ()) -> list[str]:
    found = [run_waves.ref]
    for number in range(1, waves + 1):
        found += [f"{task.ref}__{number}" for task in run_waves.body]
    return [*found, halted.ref, *tail]


def scopes(deployments: Sequence[Mapping[str, Any]]) -> list[str]:
    return [d["scope"] for d in deployments]


def never_started(result: FlowResult, *tasks: Task | InIteration) -> None:
    for task in tasks:
        assert not result.ran(task), f"{task!r} ran in {result.workflow}: {result.refs}"


# -- the batched fan-out ----------------------------------------------------------------------


def test_max_parallel_splits_a_wave_into_batches_run_one_after_another(flow: Flow) -> None:
    first = services("svc-a", "svc-b", "svc-c", "svc-d", "svc-e")
    batches = [first[0:2], first[2:4], first[4:]]  # ceil(5 / 2) = 3
    second = services("svc-f", "svc-g")

    result = run(
        flow,
        [wave_of(first, max_parallel=2), wave_of(second, max_parallel=2)],
        [wave_mocks(batches), wave_mocks([second])],
    )

    assert result.status == "COMPLETED", result.reason
    assert result.refs == rollout_refs(2)
    one = wave_run(result, 1)
    assert one.status == "COMPLETED", one.reason
    # Each batch is joined and tallied before the next one is picked.
    assert one.refs == wave_refs([2, 2, 1])
    assert batches_run(one) == [["svc-a", "svc-b"], ["svc-c", "svc-d"], ["svc-e"]]
    for number, batch in enumerate(batches, start=1):
        picked = one.last(at_iteration(deploys.batch, number)).output["result"]
        assert picked == [d.input.model_dump() for d in batch]
        assert {d.status for d in one.forked(deploys.fork, number)} == {"COMPLETED"}
    tally = one.last(at_iteration(deploys.tally, 3)).output["result"]
    assert (tally["started"], tally["total"], tally["batches"], tally["done"]) == (5, 5, 3, True)
    assert summary(result, 1)["batches"] == 3
    # Two services with max_parallel 2: one batch.
    assert batches_run(wave_run(result, 2)) == [["svc-f", "svc-g"]]
    assert scopes(result.output["finalized"]) == [d.scope for d in first + second]
    assert [s["label"] for s in result.output["waves"]] == ["wave 1", "wave 2"]


def test_without_max_parallel_a_wave_deploys_everything_in_one_batch(flow: Flow) -> None:
    wave_services = services("svc-a", "svc-b", "svc-c")

    result = run(flow, [wave_of(wave_services)], [wave_mocks([wave_services])])

    assert result.status == "COMPLETED", result.reason
    one = wave_run(result, 1)
    assert one.refs == wave_refs([3])
    assert batches_run(one) == [["svc-a", "svc-b", "svc-c"]]
    assert one.last(at_iteration(deploys.batch, 1)).input["maxParallel"] is None


# -- the approval gate ------------------------------------------------------------------------


def test_an_approved_gate_lets_its_wave_deploy(flow: Flow) -> None:
    first, second = services("svc-a"), services("svc-b", "svc-c")

    result = run(
        flow,
        [wave_of(first), wave_of(second, name="prod", approval=Approval())],
        [wave_mocks([first]), wave_mocks([second], decided(True, "alice", "checked"))],
    )

    assert result.status == "COMPLETED", result.reason
    # Only the wave with an approval asks for one.
    one, two = wave_run(result, 1), wave_run(result, 2)
    never_started(one, gate.wait, gate.check)
    assert one.last(ask_approval).output["selectedCase"] == "go"
    assert summary(result, 1)["approval"] is None
    assert two.refs == wave_refs([2], gated=True)
    waited = two.last(gate.wait)
    # What `deploy-dsl approve` and `status` look for: the gate's marker and its subject.
    assert waited.input["approval"] == {"gate": gate.ref, "subject": "wave 2 (prod)"}
    assert waited.input.get("duration") is None  # no timeout: it waits for a person
    assert two.last(GATE_DECISION).output["selectedCase"] == "true"  # not the "false" case
    assert summary(result, 2)["approval"] == {
        "approved": True,
        "timedOut": False,
        "by": "alice",
        "reason": "checked",
        "message": "approved by alice: checked",
    }
    assert batches_run(two) == [["svc-b", "svc-c"]]
    assert scopes(result.output["finalized"]) == ["svc-a", "svc-b", "svc-c"]


def test_a_rejected_gate_ends_the_rollout_with_the_reason(flow: Flow) -> None:
    first, second = services("svc-a"), services("svc-b", "svc-c")

    result = run(
        flow,
        [wave_of(first), wave_of(second, name="prod", approval=Approval(timeout="1h"))],
        [wave_mocks([first]), wave_mocks(decision=decided(False, "bob", "change freeze"))],
    )

    assert result.status == "FAILED"
    assert result.reason == (
        "wave 2 (prod) not approved (rejected by bob: change freeze): svc-b, svc-c not deployed"
    )
    assert result.refs == rollout_refs(2, tail=[roll_back.ref, rolled_back.ref, HALT.ref])
    two = wave_run(result, 2)
    # The wave stops itself COMPLETED, with the summary the rollout halts on; nothing deploys.
    assert two.status == "COMPLETED", two.reason
    assert two.refs == [
        ask_approval.ref,
        *refs(gate.wait, gate.check, GATE_DECISION, not_approved, WAVE_NOT_APPROVED),
    ]
    never_started(two, deploys, deploys.fork)
    rejected = summary(result, 2)
    assert rejected["approval"]["message"] == "rejected by bob: change freeze"
    assert rejected["approval"]["timedOut"] is False
    assert (rejected["halt"], rejected["batches"], rejected["finalized"]) == (True, 0, [])
    assert scopes(rejected["notStarted"]) == ["svc-b", "svc-c"]
    assert result.output["haltedAt"] == 2
    assert scopes(result.output["finalized"]) == ["svc-a"]  # wave 1 stays deployed
    assert result.output["rolledBack"] == []


def test_a_gate_that_times_out_counts_as_a_rejection(flow: Flow) -> None:
    only = services("svc-a", "svc-b")

    # The engine completes a WAIT whose duration has passed with no output (Wait.execute sets
    # COMPLETED, nothing else): that is this mock.
    result = run(
        flow, [wave_of(only, approval=Approval(timeout="30m"))], [wave_mocks(decision=completes())]
    )

    assert result.status == "FAILED"
    assert result.reason == (
        "wave 1 not approved (approval timed out after 30m): svc-a, svc-b not deployed"
    )
    one = wave_run(result, 1)
    assert one.last(gate.wait).input["duration"] == "30m"
    never_started(one, deploys)
    assert summary(result, 1)["approval"] == {
        "approved": False,
        "timedOut": True,
        "by": None,
        "reason": None,
        "message": "approval timed out after 30m",
    }
    assert result.output["finalized"] == []


# -- the failure threshold --------------------------------------------------------------------


def test_rollbacks_within_a_count_are_tolerated_and_the_rollout_goes_on(flow: Flow) -> None:
    first, second = services("svc-a", "bad-b", "svc-c"), services("svc-d")

    result = run(
        flow,
        [wave_of(first, max_failures=1), wave_of(second)],
        [wave_mocks([first]), wave_mocks([second])],
    )

    assert result.status == "COMPLETED", result.reason
    assert result.refs == rollout_refs(2)
    one = summary(result, 1)
    assert one["rolledBack"] == ["bad-b"]
    assert one["reasons"] == {"bad-b": "the health check failed; rolled back"}
    assert (one["halt"], one["reason"]) == (False, None)
    tally = wave_run(result, 1).last(at_iteration(deploys.tally, 1)).output["result"]
    assert (tally["failures"], tally["allowed"], tally["exceeded"]) == (1, 1, False)
    assert batches_run(wave_run(result, 2)) == [["svc-d"]]
    assert scopes(result.output["finalized"]) == ["svc-a", "svc-c", "svc-d"]


def test_one_rollback_more_than_the_count_halts_after_its_batch(flow: Flow) -> None:
    first = services("bad-a", "svc-b", "bad-c", "svc-d", "svc-e")
    batches = [first[0:2], first[2:4]]  # the third batch, svc-e, never starts
    later = services("svc-f")

    result = run(
        flow,
        [wave_of(first, name="eu", max_parallel=2, max_failures=1), wave_of(later)],
        [wave_mocks(batches), wave_mocks([later])],
    )

    assert result.status == "FAILED"
    assert result.reason == (
        "wave 1 (eu) halted, 2 of 5 failed, more than max_failures 1 tolerates (1): "
        "bad-a, bad-c rolled back; svc-e not started"
    )
    # The failures add up across batches: one in each, the second one too many.
    one = wave_run(result, 1)
    assert one.refs == wave_refs([2, 2])
    assert batches_run(one) == [["bad-a", "svc-b"], ["bad-c", "svc-d"]]
    tallies = [one.last(at_iteration(deploys.tally, n)).output["result"] for n in (1, 2)]
    assert [(t["failures"], t["exceeded"], t["done"]) for t in tallies] == [
        (1, False, False),
        (2, True, True),
    ]
    assert result.refs == rollout_refs(1, tail=[roll_back.ref, rolled_back.ref, HALT.ref])
    never_started(result, at_iteration(wave, 2))
    assert scopes(summary(result, 1)["notStarted"]) == ["svc-e"]
    assert scopes(result.output["finalized"]) == ["svc-b", "svc-d"]


def test_rollbacks_within_a_percentage_are_tolerated(flow: Flow) -> None:
    only = services("bad-a", "bad-b", "svc-c", "svc-d")
    batches = [only[0:2], only[2:4]]

    result = run(flow, [wave_of(only, max_parallel=2, max_failures="50%")], [wave_mocks(batches)])

    assert result.status == "COMPLETED", result.reason
    # 50% of 4 tolerates 2: both rolled back in the first batch, and the second still runs.
    assert batches_run(wave_run(result, 1)) == [["bad-a", "bad-b"], ["svc-c", "svc-d"]]
    one = summary(result, 1)
    assert (one["rolledBack"], one["halt"], one["batches"]) == (["bad-a", "bad-b"], False, 2)
    assert scopes(result.output["finalized"]) == ["svc-c", "svc-d"]


def test_rollbacks_beyond_a_percentage_halt_naming_the_wave_and_the_services(flow: Flow) -> None:
    first = services("svc-a")
    second = services("bad-b", "bad-c", "svc-d", "svc-e")

    result = run(
        flow,
        [wave_of(first), wave_of(second, max_parallel=2, max_failures="25%")],
        [wave_mocks([first]), wave_mocks([second[0:2]])],
    )

    assert result.status == "FAILED"
    assert result.reason == (
        "wave 2 halted, 2 of 4 failed, more than max_failures 25% tolerates (1): "
        "bad-b, bad-c rolled back; svc-d, svc-e not started"
    )
    two = wave_run(result, 2)
    assert two.refs == wave_refs([2])
    assert batches_run(two) == [["bad-b", "bad-c"]]
    # Each deploy rolled itself back: the deploy's own SWITCH, not the rollout.
    assert {d.output["outcome"] for d in two.forked(deploys.fork)} == {"rolled_back"}
    assert result.output["haltedAt"] == 2
    assert [w["halt"] for w in result.output["waves"]] == [False, True]
    assert result.output["waves"][1] == summary(result, 2)


def test_a_deploy_that_fails_counts_against_max_failures_like_a_rollback(flow: Flow) -> None:
    doomed, fine = Deployment("svc-a"), Deployment("svc-b")
    later = services("svc-c")
    failing: dict[Any, Any] = {
        **doomed.deploy_mocks(),
        create_infrastructure: fails(status_code=422, terminal=True),
        deploy_failed_v1: doomed.failure_mocks(traffic_moved=False),
    }
    mocks = wave_mocks()
    mocks[at_iteration(deploys.fork, 1)] = [failing, fine.deploy_mocks()]

    result = run(
        flow,
        [wave_of([doomed, fine], max_failures=1), wave_of(later)],
        [mocks, wave_mocks([later])],
    )

    assert result.status == "COMPLETED", result.reason
    one = wave_run(result, 1)
    failed, finalized = one.forked(deploys.fork, 1)
    assert (failed.status, finalized.status) == ("FAILED", "COMPLETED")
    # The fork is optional (ForkJoinDynamicTaskMapper copies the flag to each forked task): the
    # failed deploy's task ends COMPLETED_WITH_ERRORS and the JOIN goes on.
    forked = [r for r in one.tasks if r.task is deploys.fork and r.fork_index is not None]
    assert [r.status for r in forked] == ["COMPLETED_WITH_ERRORS", "COMPLETED"]
    assert failed.failure is not None and failed.failure.status == "COMPLETED"
    first = summary(result, 1)
    assert first["rolledBack"] == ["svc-a"]
    assert first["reasons"] == {"svc-a": "the deploy failed before traffic moved"}
    assert scopes(first["finalized"]) == ["svc-b"]
    assert first["halt"] is False
    assert batches_run(wave_run(result, 2)) == [["svc-c"]]


# -- the canary -------------------------------------------------------------------------------


def test_the_canary_deploys_alone_before_the_rest_of_the_first_wave(flow: Flow) -> None:
    first = services("svc-a", "svc-b", "svc-c", "svc-d")
    batches = [first[0:1], first[1:3], first[3:]]  # the canary, then max_parallel 2
    second = services("svc-e", "svc-f")

    result = run(
        flow,
        [wave_of(first, max_parallel=2), wave_of(second, max_parallel=2)],
        [wave_mocks(batches), wave_mocks([second])],
        canary=True,
    )

    assert result.status == "COMPLETED", result.reason
    one = wave_run(result, 1)
    # The canary's deploy is joined (it finished: finalized) before the next batch is picked.
    assert one.refs == wave_refs([1, 2, 1])
    assert batches_run(one) == [["svc-a"], ["svc-b", "svc-c"], ["svc-d"]]
    (canary,) = one.forked(deploys.fork, 1)
    assert (canary.status, canary.output["outcome"]) == ("COMPLETED", "finalized")
    # Only the first wave has a canary.
    assert [wave_run(result, n).last(deploys.batch).input["canary"] for n in (1, 2)] == [
        True,
        False,
    ]
    assert batches_run(wave_run(result, 2)) == [["svc-e", "svc-f"]]
    assert scopes(result.output["finalized"]) == [d.scope for d in first + second]


def test_a_canary_that_rolls_back_halts_the_rollout_whatever_max_failures_allows(
    flow: Flow,
) -> None:
    first = services("bad-a", "svc-b", "svc-c")

    result = run(
        flow,
        [wave_of(first, max_failures=2), wave_of(services("svc-d"))],
        [wave_mocks([first[0:1]])],
        canary=True,
    )

    assert result.status == "FAILED"
    assert result.reason == (
        "wave 1 halted, the canary failed: bad-a rolled back; svc-b, svc-c not started"
    )
    one = wave_run(result, 1)
    assert one.refs == wave_refs([1])
    assert batches_run(one) == [["bad-a"]]
    tally = one.last(at_iteration(deploys.tally, 1)).output["result"]
    assert (tally["failures"], tally["allowed"], tally["exceeded"]) == (1, 2, True)
    assert result.refs == rollout_refs(1, tail=[roll_back.ref, rolled_back.ref, HALT.ref])


# -- rollback_completed -----------------------------------------------------------------------


def halting_in_wave_two() -> tuple[list[RolloutWave], list[dict[Any, Any]], list[Deployment]]:
    """Wave 1 finalizes two deploys, wave 2 one before a rollback halts it: the waves, their
    mocks, and the deploys finalized, in order."""
    first, second = services("svc-a", "svc-b"), services("svc-c", "bad-d")
    waves = [wave_of(first), wave_of(second, max_failures=0)]
    return waves, [wave_mocks([first]), wave_mocks([second])], [*first, second[0]]


def test_rollback_completed_rolls_back_every_deploy_the_rollout_finalized(flow: Flow) -> None:
    waves, mocks, finalized = halting_in_wave_two()

    result = run(flow, waves, mocks, rollback_completed=True, rolls_back=finalized)

    assert result.status == "FAILED"
    assert result.reason == (
        "wave 2 halted, 1 of 2 failed, more than max_failures 0 tolerates (0): bad-d rolled "
        "back; rolling back the deploys it had finalized: svc-a, svc-b, svc-c"
    )
    # The rollbacks ran, and ended, before the rollout stopped.
    rolling = [f"_{roll_back.ref}_{i}" for i in range(3)]  # the first fork of the rollout
    assert result.refs == rollout_refs(2, tail=[roll_back.ref, *rolling, rolled_back.ref, HALT.ref])
    deployed = {
        d.output["scope"]: d.workflow_id
        for n in (1, 2)
        for d in wave_run(result, n).forked(deploys.fork)
    }
    rollbacks = result.forked(roll_back)
    assert len(rollbacks) == 3
    for rollback, deployment in zip(rollbacks, finalized, strict=True):
        assert rollback.status == "COMPLETED", rollback.reason
        assert rollback.refs == refs(*rollback_deployment_v1.tasks)
        # Each step is told which deploy it undoes: the deploy's own execution id.
        for step in rollback.tasks:
            assert step.body["scope"] == deployment.scope, step.ref
            assert step.body["deploymentId"] == deployed[deployment.scope], step.ref
            assert step.body["infrastructureId"] == deployment.infrastructure_id, step.ref
    assert scopes(result.output["rolledBack"]) == ["svc-a", "svc-b", "svc-c"]
    assert scopes(result.output["finalized"]) == ["svc-a", "svc-b", "svc-c"]


def test_without_rollback_completed_a_halt_rolls_nothing_back(flow: Flow) -> None:
    waves, mocks, _ = halting_in_wave_two()

    result = run(flow, waves, mocks, rollback_completed=False)

    assert result.status == "FAILED"
    assert result.reason == (
        "wave 2 halted, 1 of 2 failed, more than max_failures 0 tolerates (0): bad-d rolled back"
    )
    # A dynamic fork over no items: joined at once, nothing started.
    assert result.refs == rollout_refs(2, tail=[roll_back.ref, rolled_back.ref, HALT.ref])
    assert result.forked(roll_back) == []
    assert result.last(roll_back).input["forkTaskInputs"] == []
    assert result.output["rolledBack"] == []
    assert scopes(result.output["finalized"]) == ["svc-a", "svc-b", "svc-c"]


def test_a_rollout_that_does_not_halt_rolls_nothing_back(flow: Flow) -> None:
    only = services("svc-a")

    result = run(flow, [wave_of(only)], [wave_mocks([only])], rollback_completed=True)

    assert result.status == "COMPLETED", result.reason
    assert result.refs == rollout_refs(1)
    never_started(result, roll_back, HALT)
    assert result.last(rollout_tally).output["result"]["rollBack"] == []

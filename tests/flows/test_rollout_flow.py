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

from definitions.deploy_simple import create_infrastructure
from definitions.rollback_deployment import rollback_deployment_v1
from definitions.rollout import (
    RolloutInput,
    halted,
    prepare_wave,
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
from deploy_dsl.testing import Flow, FlowResult, Mock, at_iteration, completes, find_task
from tests.flows.deployments import Deployment, fork_mocks, forked_refs, refs

HALT = find_task(rollout_v1, "halt_rollout")
# The gate's SWITCH over its verdict, and the rejection's end of the wave.
GATE_DECISION = find_task(rollout_wave_v1, f"{gate.ref}_decision")
WAVE_NOT_APPROVED = find_task(rollout_wave_v1, "wave_not_approved")


# -- building a rollout ---------------------------------------------------------------------------


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


# -- reading what ran -----------------------------------------------------------------------------


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


def never_started(result: FlowResult, *tasks: Task) -> None:
    for task in tasks:
        assert not result.ran(task), f"{task.ref} ran in {result.workflow}: {result.refs}"


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

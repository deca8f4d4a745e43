"""pipeline_simple_v1 on the real engine: the DO_WHILE over waves, the dynamic fork of deploys,
the JOIN, the wave summary's script and the halt SWITCH, with every deploy's steps mocked."""

from __future__ import annotations

from collections.abc import Sequence

from definitions.deploy_simple import create_infrastructure
from definitions.pipeline_simple import (
    deploy_wave,
    halt_on_rollback,
    join_wave,
    pipeline_simple_v1,
    prepare_wave,
    run_waves,
    summarize_wave,
)
from deploy_dsl.dsl import Task
from deploy_dsl.testing import Flow, FlowResult, at_iteration, find_task
from tests.flows.deployments import Deployment, forked_refs, pipeline_input, wave_mocks

HALT = find_task(pipeline_simple_v1, "halt_pipeline")
WAVE_BODY: Sequence[Task] = run_waves.body


def run(
    flow: Flow,
    waves: list[list[Deployment]],
    *,
    halt: bool,
    unhealthy: frozenset[str] = frozenset(),
) -> FlowResult:
    return flow.run(
        pipeline_simple_v1, pipeline_input(waves, halt=halt), wave_mocks(waves, unhealthy)
    )


def wave_refs(number: int, forked: int, *, halted: bool = False) -> list[str]:
    """The references one wave runs: the loop body, with the deploys after the fork."""
    refs = []
    for task in WAVE_BODY:
        refs.append(f"{task.ref}__{number}")
        if task is deploy_wave:
            refs += forked_refs(deploy_wave, forked, number)
    return refs + ([f"{HALT.ref}__{number}"] if halted else [])


def summary(result: FlowResult, wave: int) -> dict[str, object]:
    found: dict[str, object] = result.last(at_iteration(summarize_wave, wave)).output["result"]
    return found


def test_one_wave_deploys_its_services_in_parallel(flow: Flow) -> None:
    waves = [[Deployment("svc-a"), Deployment("svc-b")]]

    result = run(flow, waves, halt=True)

    assert result.status == "COMPLETED", result.reason
    assert result.refs == [run_waves.ref, *wave_refs(1, forked=2)]
    deploys = result.forked(deploy_wave, iteration=1)
    assert [d.last(create_infrastructure).body["scope"] for d in deploys] == ["svc-a", "svc-b"]
    assert {d.output["outcome"] for d in deploys} == {"finalized"}
    assert summary(result, 1) == {
        "wave": 1,
        "finalized": ["svc-a", "svc-b"],
        "rolledBack": [],
        "reasons": {},
        "halt": False,
        "reason": None,
    }
    assert result.output == {"waves": 1, "lastWave": summary(result, 1)}


def test_three_waves_run_in_order(flow: Flow) -> None:
    waves = [
        [Deployment("svc-a")],
        [Deployment("svc-b"), Deployment("svc-c")],
        [Deployment("svc-d")],
    ]

    result = run(flow, waves, halt=True)

    assert result.status == "COMPLETED", result.reason
    assert result.refs == [
        run_waves.ref,
        *wave_refs(1, forked=1),
        *wave_refs(2, forked=2),
        *wave_refs(3, forked=1),
    ]
    for number, wave in enumerate(waves, start=1):
        asked = [d.scope for d in wave]
        assert result.last(at_iteration(prepare_wave, number)).output["result"] == [
            d.input.model_dump() for d in wave
        ]
        assert [d.output["scope"] for d in result.forked(deploy_wave, number)] == asked
        assert summary(result, number)["finalized"] == asked
    assert result.output["waves"] == 3


def test_a_rollback_in_wave_two_halts_the_pipeline_naming_the_services(flow: Flow) -> None:
    waves = [
        [Deployment("svc-a")],
        [Deployment("svc-b"), Deployment("bad-c"), Deployment("bad-d")],
        [Deployment("svc-e")],
    ]

    result = run(flow, waves, halt=True, unhealthy=frozenset({"bad-c", "bad-d"}))

    assert result.status == "FAILED"
    assert result.reason == "wave 2 rolled back: bad-c, bad-d"
    assert result.refs == [
        run_waves.ref,
        *wave_refs(1, forked=1),
        *wave_refs(2, forked=3, halted=True),
    ]
    assert not result.ran(at_iteration(prepare_wave, 3))
    assert result.last(at_iteration(halt_on_rollback, 2)).output["selectedCase"] == "true"
    assert result.output["haltedAfterWave"] == 2
    assert result.output["summary"] == summary(result, 2)
    assert summary(result, 2)["rolledBack"] == ["bad-c", "bad-d"]
    assert summary(result, 2)["finalized"] == ["svc-b"]


def test_a_rollback_in_wave_two_without_halting_runs_every_wave(flow: Flow) -> None:
    waves = [
        [Deployment("svc-a")],
        [Deployment("svc-b"), Deployment("bad-c")],
        [Deployment("svc-e")],
    ]

    result = run(flow, waves, halt=False, unhealthy=frozenset({"bad-c"}))

    assert result.status == "COMPLETED", result.reason
    assert result.refs == [
        run_waves.ref,
        *wave_refs(1, forked=1),
        *wave_refs(2, forked=2),
        *wave_refs(3, forked=1),
    ]
    assert summary(result, 2) == {
        "wave": 2,
        "finalized": ["svc-b"],
        "rolledBack": ["bad-c"],
        "reasons": {"bad-c": "the health check failed; rolled back"},
        "halt": False,
        "reason": None,
    }
    assert summary(result, 3)["finalized"] == ["svc-e"]
    # The JOIN hands the summary every deploy's output, keyed by the forked task.
    joined = result.last(at_iteration(join_wave, 2)).output
    assert sorted(out["outcome"] for out in joined.values()) == ["finalized", "rolled_back"]
    assert result.output["waves"] == 3

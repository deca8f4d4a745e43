"""The wave summary's script (summarize_wave, graaljs) run by the engine on its own, on JOIN
outputs a pipeline cannot easily produce: a deploy without an outcome must count as rolled
back, so that it never lets the next wave start."""

from __future__ import annotations

from typing import Any

from definitions.pipeline_simple import WaveSummary, summarize_wave
from deploy_dsl.testing import Flow


def summarize(flow: Flow, results: dict[str, Any], *, halt: bool, wave: int = 1) -> WaveSummary:
    run = flow.run_task(summarize_wave, {"results": results, "wave": wave, "haltOnRollback": halt})
    assert run.status == "COMPLETED", run.reason
    return WaveSummary.model_validate(run.output["result"])


def test_a_wave_without_rollbacks_lets_the_next_start(flow: Flow) -> None:
    results = {
        "_deploy_wave_0__2": {"scope": "svc-b", "outcome": "finalized"},
        "_deploy_wave_1__2": {"scope": "svc-a", "outcome": "finalized"},
    }

    got = summarize(flow, results, halt=True, wave=2)

    assert got == WaveSummary(
        wave=2, finalized=["svc-a", "svc-b"], rolledBack=[], reasons={}, halt=False, reason=None
    )


def test_a_deploy_without_an_outcome_counts_as_rolled_back(flow: Flow) -> None:
    results = {
        "_deploy_wave_0__1": {"scope": "svc-a", "outcome": "finalized"},
        "_deploy_wave_1__1": {"scope": "svc-b"},  # no outcome
        "_deploy_wave_2__1": None,  # no output at all: named by its task
    }

    got = summarize(flow, results, halt=True)

    assert got.finalized == ["svc-a"]
    assert got.rolledBack == ["_deploy_wave_2__1", "svc-b"]
    assert got.reasons == {
        "_deploy_wave_2__1": "the deploy failed before traffic moved",
        "svc-b": "the deploy failed before traffic moved",
    }
    assert got.halt is True
    assert got.reason == "wave 1 rolled back: _deploy_wave_2__1, svc-b"


def test_without_halting_a_rollback_is_reported_but_does_not_halt(flow: Flow) -> None:
    results = {"_deploy_wave_0__1": {"scope": "bad-a", "outcome": "rolled_back"}}

    got = summarize(flow, results, halt=False)

    assert got.rolledBack == ["bad-a"] and got.halt is False and got.reason is None


def test_each_rollback_says_why(flow: Flow) -> None:
    results = {
        "_deploy_wave_0__1": {"scope": "bad-a", "outcome": "rolled_back", "status": "failure"},
        "_deploy_wave_1__1": {"scope": "bad-b", "outcome": "rolled_back", "status": None},
    }

    got = summarize(flow, results, halt=True)

    assert got.reasons == {
        "bad-a": "the health check failed; rolled back",
        "bad-b": "the deploy failed after traffic moved; rolled back by deploy_failed_v1",
    }

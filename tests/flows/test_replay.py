"""Replays on the real engine: every committed recording of a real execution (tests/recordings/,
made by `make recordings`) replays the same against the definitions; changed definitions
diverge where they change the path, and say what each side did."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from definitions.common import worker_step
from definitions.deploy_failed import deploy_failed_v1
from definitions.deploy_simple import (
    decide_outcome,
    deploy_simple_v1,
    effective_status,
    step_body,
    swap_traffic,
    wait_infrastructure_created,
)
from definitions.taskdefs import PROVISIONING_WAIT
from deploy_dsl.client.recording import parse_recording
from deploy_dsl.dsl import AnyWorkflow, Switch
from deploy_dsl.testing import Flow, FlowRunner, in_progress, replay, times_out
from deploy_dsl.testing.replaying import replayed_execution
from tests.conftest import REPO_ROOT
from tests.flows.deployments import FINALIZE, ROLLBACK, Deployment

RECORDINGS = REPO_ROOT / "tests" / "recordings"
FINALIZED = RECORDINGS / "deploy_finalized.json"
ROLLED_BACK = RECORDINGS / "deploy_rolled_back.json"
COMPENSATED = RECORDINGS / "deploy_failed_compensated.json"


@pytest.mark.parametrize(
    "path", sorted(RECORDINGS.glob("*.json")), ids=lambda path: Path(path).stem
)
def test_a_recorded_execution_replays_the_same(flow: Flow, path: Path) -> None:
    result = flow.replay(path)

    assert result.matches, "\n".join(result.explain())
    assert result.replayed is not None
    assert result.replayed_outcome == result.recorded_outcome


def variant(
    *, tasks: list[object] | None = None, output: dict[str, object] | None = None
) -> AnyWorkflow:
    """deploy_simple_v1 as a change under review would have it."""
    changed = copy.copy(deploy_simple_v1)
    if tasks is not None:
        changed.tasks = list(tasks)  # type: ignore[arg-type]
    if output is not None:
        changed.output = output
    return changed


def with_switch(cases_key: str) -> AnyWorkflow:
    switch = Switch(
        "decide_outcome",
        value=effective_status.output.response.body.status,
        cases={cases_key: decide_outcome.cases["success"]},
        default=decide_outcome.default,
    )
    return variant(tasks=[*deploy_simple_v1.tasks[:-1], switch])


def test_a_changed_case_key_diverges_at_the_switch_for_finalized_deploys(flow: Flow) -> None:
    changed = with_switch("healthy")

    finalized = flow.replay(FINALIZED, changed)
    rolled_back = flow.replay(ROLLED_BACK, changed)

    assert not finalized.matches
    assert finalized.divergence is not None
    assert finalized.divergence.where == "deploy_simple_v1 > decide_outcome"
    assert finalized.divergence.recorded == (
        f"decide_outcome took case 'success', then {FINALIZE.ref}"
    )
    assert finalized.divergence.replayed == (
        f"decide_outcome takes the default case, then {ROLLBACK.ref}"
    )
    assert finalized.recorded_outcome.text() == "COMPLETED, outcome finalized"
    # The rollback's steps never ran in the recording: nothing answers them, no guess.
    assert finalized.replayed_outcome.status is None
    assert finalized.replayed_outcome.stopped == (
        "stopped at deploy_simple_v1 > rollback > restore_previous_traffic, a task the "
        "recording never ran (no recorded answer)"
    )
    assert rolled_back.matches, "\n".join(rolled_back.explain())


def test_a_task_the_recording_does_not_have_is_named_not_answered(flow: Flow) -> None:
    notify = worker_step("update_monitoring", step_body, ref="notify_team")
    changed = variant(tasks=[*deploy_simple_v1.tasks[:-1], notify, deploy_simple_v1.tasks[-1]])

    result = flow.replay(ROLLED_BACK, changed)

    assert result.divergence is not None
    assert result.divergence.where == "deploy_simple_v1 > decide_outcome"
    assert result.divergence.recorded == "ran decide_outcome (SWITCH, COMPLETED) next"
    assert result.divergence.replayed == "runs notify_team (HTTP) next"
    assert result.divergence.unrecorded == "notify_team"
    assert result.replayed_outcome.stopped is not None
    assert "notify_team" in result.replayed_outcome.stopped


def test_the_same_path_to_another_outcome_is_a_difference(flow: Flow) -> None:
    changed = variant(output={**deploy_simple_v1.output, "outcome": "done"})

    result = flow.replay(FINALIZED, changed)

    assert result.divergence is None
    assert not result.matches
    assert result.summary() == "same path, another outcome"
    assert result.replayed_outcome.text() == "COMPLETED, outcome done"


def test_an_input_the_new_model_refuses_is_reported_not_run(flow: Flow) -> None:
    from pydantic import BaseModel

    class Stricter(BaseModel):
        scope: str
        version: str
        env: str
        ticket: str  # new and required: old executions never had it

    changed = variant()
    changed.input_model = Stricter

    result = flow.replay(FINALIZED, changed)

    assert result.refused is not None and "ticket" in result.refused
    assert result.replayed is None and not result.matches


def test_fewer_retries_fail_the_deploy_sooner(flow: Flow) -> None:
    """The recording's check failed 11 times (retryCount 10); with 2 retries the deploy fails
    at the third attempt, and the failure workflow still rolls it back."""
    taskdefs = dict(flow.runner.taskdefs)
    taskdefs["effective_status"] = {**taskdefs["effective_status"], "retryCount": 2}
    runner = FlowRunner(flow.runner.connection, taskdefs)
    recording = parse_recording(COMPENSATED.read_text("utf-8"), COMPENSATED.name)

    result = replay(runner, deploy_simple_v1, recording)

    assert result.divergence is not None
    assert result.divergence.where == "deploy_simple_v1 > effective_status"
    assert result.divergence.recorded == ("went on to effective_status (retry 3) (HTTP, FAILED)")
    assert result.divergence.replayed == "runs nothing more on this path"
    assert result.replayed_outcome.text() == result.recorded_outcome.text()


def test_the_replay_answers_what_the_worker_answered_then(flow: Flow) -> None:
    """The recording's answers are the mocks: swap_traffic's answer in the replay is the one
    the worker gave when the deploy really ran, to the byte."""
    recording = parse_recording(FINALIZED.read_text("utf-8"), FINALIZED.name)
    level_answers = [t.output for t in recording.tasks if t.ref == swap_traffic.ref]

    result = flow.replay(FINALIZED)

    assert result.replayed is not None
    replayed = [t.output for t in result.replayed.tasks if t.ref == swap_traffic.ref]
    assert replayed == level_answers


def test_attempts_that_timed_out_replay_as_timeouts(flow: Flow) -> None:
    """A run whose provisioning wait times out on every attempt, then fails the deploy (a flow
    test's run, in the recording's form): its replay times out the same attempts."""
    service = Deployment("svc-slow")
    assert PROVISIONING_WAIT.name == wait_infrastructure_created.name
    retry = PROVISIONING_WAIT.retry
    assert retry is not None and retry.count is not None
    attempts = retry.count + 1
    mocks = service.deploy_mocks("success")
    mocks[wait_infrastructure_created] = [
        in_progress(body=service.not_ready()),
        times_out(),
    ] * attempts
    mocks[deploy_failed_v1] = service.failure_mocks(traffic_moved=False)
    ran = flow.run(deploy_simple_v1, service.input, mocks)
    assert ran.status == "TIMED_OUT", ran.reason
    recording = replayed_execution(ran, deploy_simple_v1).model_copy(
        update={"input": service.input.model_dump(mode="json")}
    )
    assert [t.status for t in recording.tasks if t.ref == wait_infrastructure_created.ref] == [
        "TIMED_OUT"
    ] * attempts

    result = replay(flow.runner, deploy_simple_v1, recording)

    assert result.matches, "\n".join(result.explain())
    assert result.replayed_outcome.status == "TIMED_OUT"

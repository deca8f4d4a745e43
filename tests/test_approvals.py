"""Finding the approval gate an execution waits on, deciding it, and how it is shown: over
recorded executions (tests/executions.py); tests/e2e/test_rollout.py does it on the server."""

from __future__ import annotations

from typing import Any

import pytest

from deploy_dsl.client.approvals import NoGateWaiting, decide, gates_in
from deploy_dsl.client.timeline import approval_lines
from deploy_dsl.client.tree import child_label, load_tree
from tests.executions import Recorded, execution, sub_workflow, task


def gate_wait(ref: str = "approve_wave", **inputs: Any) -> dict[str, Any]:
    data = {"duration": "30m", "approval": {"gate": ref, "subject": "wave 2 (eu)"}, **inputs}
    return task(ref, "WAIT", "IN_PROGRESS", start=10_000, end=None, inputData=data)


def rollout(*wave_tasks: dict[str, Any], status: str = "RUNNING") -> Recorded:
    """A rollout running wave 2, whose wave execution holds `wave_tasks`."""
    return Recorded(
        execution(
            "root",
            "rollout_v1",
            [
                sub_workflow("wave__1", "w1", {"label": "wave 1"}),
                sub_workflow("wave__2", "w2", {"label": "wave 2 (eu)"}, status="IN_PROGRESS"),
            ],
            status,
        ),
        execution("w1", "rollout_wave_v1", [], "COMPLETED"),
        execution("w2", "rollout_wave_v1", list(wave_tasks), status),
    )


class FakeApi:
    """Imitates ConductorApi's execution() and complete_task() over recorded executions; a
    completion writes the output into the recorded task, as the server does."""

    def __init__(self, recorded: Recorded, *, drops: bool = False) -> None:
        self.recorded = recorded
        self.completed: list[tuple[str, str, dict[str, Any]]] = []
        self.drops = drops  # the task had already ended: the server ignores the update

    def execution(self, workflow_id: str) -> dict[str, Any]:
        return self.recorded(workflow_id)

    def complete_task(self, workflow_id: str, task_id: str, output: dict[str, Any]) -> None:
        self.completed.append((workflow_id, task_id, output))
        if self.drops:
            return
        for found in self.recorded.executions[workflow_id]["tasks"]:
            if found["taskId"] == task_id:
                found.update(status="COMPLETED", outputData=output)


def test_a_gate_in_a_running_sub_workflow_is_found() -> None:
    recorded = rollout(gate_wait())
    (gate,) = gates_in(load_tree(recorded, "root", running_only=True))
    assert (gate.gate, gate.title, gate.workflow_id, gate.path) == (
        "approve_wave",
        "wave 2 (eu)",
        "w2",
        ("wave 2 (eu)",),
    )
    assert (gate.task_id, gate.timeout, gate.since_ms) == ("task-approve_wave", "30m", 10_000)
    # Only the running wave is read: the finished one cannot hold a waiting gate.
    assert recorded.fetched == ["root", "w2"]


def test_a_plain_wait_or_a_finished_gate_is_not_a_gate_waiting() -> None:
    plain = task("pause", "WAIT", "IN_PROGRESS", inputData={"duration": "1m"})
    done = {**gate_wait(), "status": "COMPLETED"}
    assert gates_in(load_tree(rollout(plain, done), "root")) == []


def test_approve_completes_the_gate_with_the_decision() -> None:
    api = FakeApi(rollout(gate_wait()))
    gate = decide(api, "root", approved=True, by="alice", reason="ok")
    assert gate.title == "wave 2 (eu)"
    assert api.completed == [
        ("w2", "task-approve_wave", {"approved": True, "by": "alice", "reason": "ok"})
    ]


def test_with_no_gate_waiting_nothing_is_completed() -> None:
    api = FakeApi(rollout(task("deploys", "DO_WHILE", "IN_PROGRESS")))
    with pytest.raises(NoGateWaiting, match=r"^no approval gate is waiting in rollout_v1 root "):
        decide(api, "root", approved=True, by="a", reason=None)
    assert api.completed == []


def test_several_gates_need_a_choice() -> None:
    api = FakeApi(rollout(gate_wait("first"), gate_wait("second")))
    with pytest.raises(NoGateWaiting, match=r"2 approval gates .* \(first, second\): pick one"):
        decide(api, "root", approved=False, by="a", reason="no")
    gate = decide(api, "root", approved=False, by="a", reason="no", gate="second")
    assert gate.gate == "second"
    with pytest.raises(
        NoGateWaiting,
        match=r"^no approval gate named 'third' is waiting in rollout_v1 root; waiting: first "
        r"\(wave 2 \(eu\)\) in rollout_wave_v1 w2$",
    ):
        decide(api, "root", approved=False, by="a", reason="no", gate="third")


@pytest.mark.parametrize("name", ["approve_wave", "eu", "EU", "wave 2", "wave 2 (eu)"])
def test_a_gate_is_named_by_its_reference_its_wave_or_its_label(name: str) -> None:
    api = FakeApi(rollout(gate_wait()))
    gate = decide(api, "root", approved=True, by="a", reason=None, gate=name)
    assert gate.gate == "approve_wave"


def test_a_gate_in_a_loop_is_named_without_its_iteration() -> None:
    api = FakeApi(rollout(gate_wait("approve__3")))
    assert decide(api, "root", approved=True, by="a", reason=None, gate="approve").gate == (
        "approve__3"
    )


@pytest.mark.parametrize("name", ["2 (e", "us", "approve", "wave 3"])
def test_a_name_that_is_not_a_whole_label_or_word_matches_nothing(name: str) -> None:
    api = FakeApi(rollout(gate_wait()))
    with pytest.raises(NoGateWaiting, match="waiting: approve_wave"):
        decide(api, "root", approved=True, by="a", reason=None, gate=name)
    assert api.completed == []


def test_a_decision_the_timeout_beat_is_reported_not_claimed() -> None:
    api = FakeApi(rollout(gate_wait()), drops=True)
    with pytest.raises(NoGateWaiting, match="the gate ended before the decision reached it"):
        decide(api, "root", approved=True, by="a", reason=None)


def test_the_lines_say_what_waits_and_how_to_decide_it() -> None:
    (gate,) = gates_in(load_tree(rollout(gate_wait()), "root"))
    assert approval_lines([gate], "root", now_ms=25_500) == [
        "waiting for approval: wave 2 (eu) (for 15s, times out after 30m; gate approve_wave in "
        "rollout_wave_v1 w2)",
        "  approve: deploy-dsl approve root",
        "  reject:  deploy-dsl reject root --reason TEXT",
    ]


def test_with_several_gates_the_commands_name_each() -> None:
    untimed = gate_wait("second", duration=None)
    gates = gates_in(load_tree(rollout(gate_wait("first"), untimed), "root"))
    lines = approval_lines(gates, "root", now_ms=10_000)
    assert "  approve: deploy-dsl approve root --gate first" in lines
    assert "  reject:  deploy-dsl reject root --gate second --reason TEXT" in lines
    assert "(for 0s, no timeout; gate second" in lines[3]


@pytest.mark.parametrize(
    ("workflow_input", "parent", "label"),
    [
        ({"label": "wave 1 (eu)", "scope": "x"}, "rollout_v1", "wave 1 (eu)"),
        ({"scope": "svc-a", "version": "1"}, "wave 1", "svc-a"),
        # A deploy's finalize has the deploy's scope: it is named by its task instead.
        ({"scope": "svc-a"}, "svc-a", "finalize"),
        ({}, "x", "finalize"),
    ],
)
def test_a_sub_workflow_is_named_by_its_input(
    workflow_input: dict[str, Any], parent: str, label: str
) -> None:
    started = sub_workflow("finalize__3", "c", workflow_input)
    assert child_label(started, parent) == label

"""A rollout read as waves, from executions recorded on the real server."""

from __future__ import annotations

from deploy_dsl.client.approvals import gates_in
from deploy_dsl.dashboard.waves import waves
from tests.dashboard.recorded import tree_of


def test_a_rollout_waiting_at_its_gate() -> None:
    tree = tree_of("rollout_waiting")
    gates = gates_in(tree)
    found = waves(tree, gates)
    assert found is not None
    first, second = found
    assert (first.label, first.state, second.label, second.state) == (
        "wave 1 (staging)", "done", "wave 2 (production)", "waiting for approval"
    )  # fmt: skip
    states = {s.scope: (s.state, s.reason) for s in first.services}
    assert states == {
        "svc-a": ("finalized", ""),
        "bad-b": ("rolled back", "the health check failed; rolled back"),
    }
    assert all(s.workflow_id for s in first.services)
    assert second.gates == tuple(gates) and len(gates) == 1
    assert {(s.scope, s.state, s.reason) for s in second.services} == {
        ("svc-c", "not started", "waits for the wave's approval"),
        ("svc-d", "not started", "waits for the wave's approval"),
    }
    assert first.workflow_id and second.workflow_id == gates[0].workflow_id


def test_an_execution_without_waves_has_none() -> None:
    assert waves(tree_of("deploy_rolled_back"), []) is None

"""What `--flow-results` records of a flow test's run: the same for runs that behaved the same,
so the server's ids and its clock's readings are named, and nothing else is touched."""

from __future__ import annotations

from deploy_dsl.testing.result import FlowResult

START, END = 1_796_624_207_000, 1_796_624_209_500


def _result(workflow_id: str, at: int, started: int) -> FlowResult:
    output = {"measurements": [{"number": 1, "at": at, "passed": True}], "limit": END + 1}
    return FlowResult(
        "canary_v1", workflow_id, "COMPLETED", None, output, (), (), clock=(started, END)
    )


def test_two_runs_that_behaved_the_same_have_one_fingerprint() -> None:
    first = _result("id-1", START + 120, START).fingerprint()
    second = _result("id-2", START + 480, START + 5).fingerprint()
    assert first == second
    measured = first["output"]["measurements"][0]
    assert measured == {"number": 1, "at": "<server time>", "passed": True}
    assert first["output"]["limit"] == END + 1  # outside the execution: a value, kept
    assert first["id"] == "<workflow canary_v1>"


def test_a_different_value_still_shows() -> None:
    first = _result("id-1", START + 120, START).fingerprint()
    later = _result("id-1", END + 10, START).fingerprint()  # after the execution ended
    assert first != later

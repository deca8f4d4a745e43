"""How an execution reads in a terminal, and what its end means to a script: over recorded
executions (tests/executions.py); tests/e2e/test_operations.py checks the exit codes end to end."""

from __future__ import annotations

from typing import Any

import pytest

from deploy_dsl.client.outcome import exit_code
from deploy_dsl.client.timeline import finished_tasks, task_line
from tests.executions import execution, task


def _loop(ref: str, *body: str) -> dict[str, Any]:
    """A DO_WHILE task as the server returns it: its definition's body in `workflowTask`."""
    definition = {"loopOver": [{"taskReferenceName": name} for name in body]}
    return task(ref, "DO_WHILE", workflowTask=definition)


def test_a_loop_comes_after_the_tasks_of_its_last_iteration() -> None:
    # The server numbers the DO_WHILE (seq) before the tasks it runs, and ends it after them.
    tasks = [
        task("prepare"),
        _loop("waves", "deploy", "tally"),
        task("deploy__1"),
        task("tally__1"),
        task("deploy__2"),
        task("tally__2"),
        task("after"),
    ]
    refs = [t["referenceTaskName"] for t in finished_tasks(execution("w", "p", tasks))]
    assert refs == ["prepare", "deploy__1", "tally__1", "deploy__2", "tally__2", "waves", "after"]


def test_nested_loops_end_inner_first() -> None:
    outer = task("outer", "DO_WHILE", workflowTask={"loopOver": [
        {"taskReferenceName": "inner", "loopOver": [{"taskReferenceName": "step"}]}
    ]})  # fmt: skip
    tasks = [outer, _loop("inner__1", "step"), task("step__1"), task("step__2")]
    refs = [t["referenceTaskName"] for t in finished_tasks(execution("w", "p", tasks))]
    assert refs == ["step__1", "step__2", "inner__1", "outer"]


def test_a_running_loop_is_not_shown_and_a_loop_without_its_definition_keeps_its_place() -> None:
    tasks = [task("waves", "DO_WHILE", "IN_PROGRESS"), task("deploy__1"), task("bare", "DO_WHILE")]
    refs = [t["referenceTaskName"] for t in finished_tasks(execution("w", "p", tasks))]
    assert refs == ["deploy__1", "bare"]


def test_a_failure_reason_is_printed_whole() -> None:
    reason = "HTTP 503 from http://worker/swap: " + "x" * 200 + "\nsecond line"
    line = task_line(task("swap", status="FAILED", reasonForIncompletion=reason))
    first, second, third = line.splitlines()
    assert first.startswith("  swap ") and "FAILED" in first
    assert second == "      reason: HTTP 503 from http://worker/swap: " + "x" * 200
    assert third == "        second line"
    assert "reason" not in task_line(task("ok", reasonForIncompletion="ignored"))


@pytest.mark.parametrize(
    ("status", "output", "rolled_back_ok", "code"),
    [
        ("COMPLETED", {"outcome": "finalized"}, False, 0),
        ("COMPLETED", {}, False, 0),
        ("COMPLETED", {"outcome": "rolled_back"}, False, 3),
        ("COMPLETED", {"outcome": "rolled_back"}, True, 0),
        ("RUNNING", {}, False, 2),
        ("PAUSED", {}, False, 2),
        ("FAILED", {"outcome": "rolled_back"}, True, 1),
        ("TERMINATED", {}, False, 1),
        ("TIMED_OUT", {}, False, 1),
    ],
)
def test_exit_codes(status: str, output: dict[str, Any], rolled_back_ok: bool, code: int) -> None:
    ended = {"status": status, "output": output}
    assert exit_code(ended, rolled_back_ok=rolled_back_ok) == code

"""The field-level diff and the server defaults table (pure: no server)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from deploy_dsl.client.defaults import TASK_DEFAULTS, TASKDEF_DEFAULTS, WORKFLOW_DEFAULTS
from deploy_dsl.client.diff import ABSENT, Change, taskdef_changes, workflow_changes
from tests.conftest import REPO_ROOT

MEASURED = json.loads((REPO_ROOT / "tests/data/conductor_3.32.3_defaults.json").read_text())


def _http(ref: str, uri: str) -> dict[str, Any]:
    return {
        "name": ref,
        "taskReferenceName": ref,
        "type": "HTTP",
        "inputParameters": {"http_request": {"uri": uri, "method": "POST"}},
    }


def _workflow(*tasks: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "name": "w",
        "version": 1,
        "ownerEmail": "o@example.com",
        "tasks": list(tasks),
        **fields,
    }


def _held(desired: dict[str, Any]) -> dict[str, Any]:
    """What the server reads back for `desired`: its defaults on every task, its bookkeeping."""
    held = copy.deepcopy(desired)
    held.update(
        {
            "createTime": 0,
            "updateTime": 1796158236129,
            **WORKFLOW_DEFAULTS,
            "inputParameters": [],
            "metadata": {},
            "maskedFields": [],
        }
    )
    for task in held["tasks"]:
        for key, value in TASK_DEFAULTS.items():
            task.setdefault(key, value)
        for key, empty in (
            ("decisionCases", {}),
            ("defaultCase", []),
            ("forkTasks", []),
            ("joinOn", []),
            ("loopOver", []),
            ("onStateChange", {}),
        ):
            task.setdefault(key, empty)
    return held


# -- the defaults table against what a 3.32.3 server read back ---------------------------------


@pytest.mark.parametrize("kind", ["workflow", "taskdef"])
def test_a_minimal_definition_reads_back_unchanged(kind: str) -> None:
    measured = MEASURED[kind]
    changes = workflow_changes if kind == "workflow" else taskdef_changes
    assert changes(measured["sent"], measured["read_back"]) == []


def test_the_table_holds_every_non_empty_value_the_server_filled_in() -> None:
    taskdef = MEASURED["taskdef"]
    filled = {
        k: v
        for k, v in taskdef["read_back"].items()
        if k not in taskdef["sent"]
        and v not in ({}, [], None, "")
        and k not in ("createTime", "updateTime")
    }
    assert filled == TASKDEF_DEFAULTS
    workflow = MEASURED["workflow"]["read_back"]
    assert {k: workflow[k] for k in WORKFLOW_DEFAULTS} == WORKFLOW_DEFAULTS
    for task in workflow["tasks"]:
        assert {k: task[k] for k in TASK_DEFAULTS if k != "type"} == {
            k: v for k, v in TASK_DEFAULTS.items() if k != "type"
        }


def test_a_value_the_server_fills_in_differently_is_drift() -> None:
    read_back = copy.deepcopy(MEASURED["taskdef"]["read_back"])
    read_back["pollTimeoutSeconds"] = 15  # set by hand on the server
    read_back["retryDelaySeconds"] = 5
    changes = taskdef_changes(MEASURED["taskdef"]["sent"], read_back)
    assert changes == [
        Change("retryDelaySeconds", 5, 60, drift=True),
        Change("pollTimeoutSeconds", 15, ABSENT, drift=True),
    ]
    assert (
        changes[0].text()
        == "retryDelaySeconds: 5 -> 60 (server default)  [drift: set on the server]"
    )
    assert changes[1].text() == "pollTimeoutSeconds: 15 -> (unset)  [drift: set on the server]"


# -- addressing by task reference ---------------------------------------------------------------


def test_a_changed_input_is_addressed_by_task_reference() -> None:
    desired = _workflow(_http("create", "http://w/create"), _http("swap_traffic", "http://w/b"))
    held = _held(_workflow(_http("create", "http://w/create"), _http("swap_traffic", "http://w/a")))
    (change,) = workflow_changes(desired, held)
    assert change.path == "tasks[swap_traffic].inputParameters.http_request.uri"
    assert change.text() == (
        'tasks[swap_traffic].inputParameters.http_request.uri: "http://w/a" -> "http://w/b"'
    )
    assert not change.drift


def test_an_inserted_task_is_one_change_not_a_shift_of_every_later_one() -> None:
    first, last = _http("first", "http://w/1"), _http("last", "http://w/2")
    added = {"name": "note", "taskReferenceName": "note", "type": "SET_VARIABLE"}
    changes = workflow_changes(_workflow(first, added, last), _held(_workflow(first, last)))
    assert [c.text() for c in changes] == ["tasks[note]: added (SET_VARIABLE task)"]


def test_removed_and_reordered_tasks() -> None:
    a, b, c = (_http(ref, f"http://w/{ref}") for ref in "abc")
    changes = workflow_changes(_workflow(b, a), _held(_workflow(a, b, c)))
    assert [x.text() for x in changes] == [
        "tasks[c]: removed (HTTP task)",
        'tasks (order): ["a", "b"] -> ["b", "a"]',
    ]


def test_nested_tasks_are_addressed_through_their_case() -> None:
    def switch(uri: str) -> dict[str, Any]:
        return {
            "name": "decide",
            "taskReferenceName": "decide",
            "type": "SWITCH",
            "evaluatorType": "value-param",
            "expression": "s",
            "inputParameters": {"s": "x"},
            "decisionCases": {"ok": [_http("finish", uri)]},
            "defaultCase": [],
        }

    changes = workflow_changes(
        _workflow(switch("http://w/new")), _held(_workflow(switch("http://w/old")))
    )
    assert [c.path for c in changes] == [
        "tasks[decide].decisionCases.ok[finish].inputParameters.http_request.uri"
    ]


def test_fields_the_server_fills_in_are_not_changes_but_a_hand_edit_is() -> None:
    desired = _workflow(_http("call", "http://w/call"))
    held = _held(desired)
    assert workflow_changes(desired, held) == []
    held["tasks"][0]["optional"] = True  # someone ticked "optional" in the UI
    held["timeoutSeconds"] = 60
    changes = workflow_changes(desired, held)
    assert changes == [
        Change("tasks[call].optional", True, False, drift=True),
        Change("timeoutSeconds", 60, 0, drift=True),
    ]


def test_a_stated_field_is_a_change_not_drift() -> None:
    desired = _workflow(_http("call", "http://w/call"), description="new words")
    held = _held({**desired, "description": "old words"})
    assert workflow_changes(desired, held) == [Change("description", "old words", "new words")]


def test_true_is_not_one() -> None:
    desired = _workflow(_http("call", "http://w/call"), variables={"flag": True})
    held = _held({**desired, "variables": {"flag": 1}})
    assert workflow_changes(desired, held) == [Change("variables.flag", 1, True)]


def test_tasks_without_unique_references_are_compared_by_position() -> None:
    twin = {"name": "t", "taskReferenceName": "same", "type": "SET_VARIABLE"}
    other = {**twin, "inputParameters": {"a": 1}}
    changes = workflow_changes(_workflow(twin, other), _held(_workflow(twin, twin)))
    assert [c.path for c in changes] == ["tasks[1].inputParameters"]


def test_long_values_are_shortened_in_text_only() -> None:
    long = "x" * 300
    change = Change("description", "short", long)
    assert len(change.text()) < 130 and change.text().endswith("…")
    assert change.to_json() == {"path": "description", "from": "short", "to": long, "drift": False}

"""Schedules and event handlers: the builders, their wire forms, their plan and registration
(pure: no server; the measured read-backs are in tests/data/conductor_3.32.3_defaults.json).
The build-time findings are tests/invalid/{schedule_cron,trigger_target,event_queue,
action_task,duplicate_trigger}.py; the real server's side is tests/e2e/test_triggers.py."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from deploy_dsl.client.diff import event_handler_changes, schedule_changes
from deploy_dsl.client.ownership import Ownership
from deploy_dsl.client.plan import Plan, Triggers, make_plan
from deploy_dsl.client.registration import apply
from deploy_dsl.dsl import (
    ApprovalGate,
    CompleteTask,
    EventHandler,
    Schedule,
    Terminate,
    Workflow,
    payload,
)
from deploy_dsl.errors import DefinitionError
from deploy_dsl.trigger_wire import EventHandlerDef, WorkflowSchedule
from deploy_dsl.wire import dump
from tests.conftest import REPO_ROOT

MEASURED = json.loads((REPO_ROOT / "tests/data/conductor_3.32.3_defaults.json").read_text())
OWNER = "team@example.com"


class Release(BaseModel):
    scope: str
    notes: str | None = None


gate = ApprovalGate("approve")
release = Workflow(
    "release",
    version=2,
    owner_email=OWNER,
    input=Release,
    tasks=[*gate.tasks(on_reject=[Terminate("stop", status="FAILED")])],
)


def _schedule(name: str = "nightly", **kwargs: Any) -> WorkflowSchedule:
    given = {"cron": "0 0 2 * * *", "workflow": release, "input": Release(scope="svc-a")}
    return Schedule(name, **{**given, **kwargs}).to_wire()


def _handler(name: str = "approvals") -> EventHandlerDef:
    action = CompleteTask(workflow=release, task=gate, workflow_id=payload("workflowId"),
                          output={"approved": True, "by": payload("by")})  # fmt: skip
    return EventHandler(name, event="conductor:bot:approvals", actions=[action]).to_wire()


# -- builders and wire forms --------------------------------------------------------------------


def test_a_schedule_compiles_to_what_the_scheduler_takes() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    wire = _schedule(zone="Europe/Berlin", paused=True, start=start, correlation_id="nightly")
    assert dump(wire) == {
        "name": "nightly",
        "cronExpression": "0 0 2 * * *",
        "zoneId": "Europe/Berlin",
        "paused": True,
        "runCatchupScheduleInstances": False,
        "scheduleStartTime": 1893456000000,
        "startWorkflowRequest": {
            "name": "release",
            "version": 2,
            "correlationId": "nightly",
            "input": {"scope": "svc-a"},  # None fields left out, as the server does
        },
    }


def test_an_event_handler_compiles_with_snake_case_action_keys() -> None:
    assert dump(_handler()) == {
        "name": "approvals",
        "event": "conductor:bot:approvals",
        "active": True,
        "actions": [
            {
                "action": "complete_task",
                "complete_task": {
                    "workflowId": "${workflowId}",
                    "taskRefName": "approve",
                    "output": {"approved": True, "by": "${by}"},
                },
            }
        ],
    }


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Schedule("", cron="@daily", workflow=release), "a Schedule needs a name"),
        (
            lambda: Schedule("s", cron="@daily", workflow="release"),  # type: ignore[arg-type]
            "Schedule 's': workflow must be Workflow or ExternalWorkflow, got str 'release'",
        ),
        (
            lambda: Schedule("s", cron="@daily", workflow=release, start=datetime(2030, 1, 1)),
            "Schedule 's': start must be timezone-aware",
        ),
        (
            lambda: EventHandler("h", event="conductor:a:b", actions=[]),
            "EventHandler 'h': needs at least one action",
        ),
        (lambda: payload("${x}"), "payload path '${x}' must be a non-empty JSON path"),
    ],
)
def test_a_wrong_argument_is_an_error_at_the_line(build: Any, message: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(message)):
        build()


# -- the diff against what the server reads back ------------------------------------------------


@pytest.mark.parametrize("kind", ["schedule", "event_handler"])
def test_a_minimal_definition_reads_back_unchanged(kind: str) -> None:
    measured = MEASURED[kind]
    changes = schedule_changes if kind == "schedule" else event_handler_changes
    assert changes(measured["sent"], measured["read_back"]) == []


def test_a_schedule_resumed_on_the_server_is_drift() -> None:
    wire = dump(_schedule(paused=True))
    held = {**copy.deepcopy(wire), "paused": False, "createTime": 1, "updatedTime": 2}
    (change,) = schedule_changes(wire, held)
    assert change.text() == "paused: false -> true"
    changed = {**held, "paused": True, "cronExpression": "0 0 3 * * *"}
    assert [c.path for c in schedule_changes(wire, changed)] == ["cronExpression"]


def test_an_action_is_compared_field_by_field() -> None:
    wire = dump(_handler())
    held = copy.deepcopy(wire)
    held["actions"][0]["complete_task"]["output"]["by"] = "someone"
    held["actions"][0]["expandInlineJSON"] = False  # the server's default
    (change,) = event_handler_changes(wire, held)
    assert change.path == "actions[0].complete_task.output.by"


# -- the plan and its application ---------------------------------------------------------------


def _plan(
    schedules: list[WorkflowSchedule],
    handlers: list[EventHandlerDef],
    held_schedules: list[dict[str, Any]] | None,
    held_handlers: list[dict[str, Any]],
    ownership: Ownership | None = None,
) -> Plan:
    workflow = release.compile().definition
    return make_plan(
        "http://server/api",
        [workflow],
        [],
        [{**dump(workflow), "createTime": 1}],
        [],
        ownership=ownership,
        triggers=Triggers(schedules, handlers, held_schedules, held_handlers),
    )


def test_schedules_and_handlers_are_planned_like_definitions() -> None:
    held = dump(_schedule())
    current = _plan([_schedule(), _schedule("hourly", cron="@hourly")], [_handler()], [held], [])
    assert [(e.label, e.action) for e in current.code_entries] == [
        ("workflow release v2", "unchanged"),
        ("schedule nightly", "unchanged"),
        ("schedule hourly", "create"),
        ("event handler approvals", "create"),
    ]
    assert current.refusals() == []


def test_what_the_project_no_longer_defines_is_found_by_what_it_starts_or_its_prefix() -> None:
    theirs = dump(_schedule("theirs"))
    theirs["startWorkflowRequest"]["name"] = "other_team_job"
    handler = dump(_handler("platform_approvals"))  # starts nothing: only a prefix tells
    held = [dump(_schedule("old")), theirs]
    current = _plan([], [], held, [handler])
    assert [e.label for e in current.extras] == ["schedule old"]
    owned = Ownership(frozenset({OWNER}), ("platform_",))
    current = _plan([], [], held, [handler], ownership=owned)
    assert [e.label for e in current.to_prune()] == [
        "schedule old",
        "event handler platform_approvals",
    ]


def test_another_owners_schedule_of_the_same_name_is_not_overwritten() -> None:
    theirs = dump(_schedule())
    theirs["startWorkflowRequest"]["name"] = "other_team_job"
    current = _plan([_schedule()], [], [theirs], [])
    (refusal,) = current.refusals()
    assert refusal.startswith("schedule nightly on the server is another owner's")
    assert current.refusals(allow_overwrite=True) == []


def test_a_server_without_the_scheduler_cannot_take_schedules() -> None:
    current = _plan([_schedule()], [], None, [])
    (problem,) = current.problems
    assert problem.startswith("the server has no schedule API (it answered 404)")
    assert _plan([], [], None, []).problems == []


def test_a_schedule_of_a_workflow_nothing_provides_is_a_problem() -> None:
    schedule = _schedule()
    schedule.start_workflow_request.name = "missing"
    (problem,) = _plan([schedule], [], [], []).problems
    assert problem == (
        "schedule nightly starts workflow missing v2, which is neither registered on the server "
        "nor defined in the definitions"
    )


class TriggerRegistry:
    """Records what registration sends; answers like an empty 3.32.3 server."""

    url = "http://fake/api"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def workflow_defs(self) -> list[dict[str, Any]]:
        return []

    def task_defs(self) -> list[dict[str, Any]]:
        return []

    def schedules(self) -> list[dict[str, Any]] | None:
        return []

    def event_handlers(self) -> list[dict[str, Any]]:
        return []

    def put_workflows(self, definitions: list[dict[str, Any]]) -> dict[str, Any]:
        self.sent += [f"workflow {d['name']}" for d in definitions]
        return {}

    def post_taskdefs(self, definitions: list[dict[str, Any]]) -> None:
        self.sent += [f"taskdef {d['name']}" for d in definitions]

    def save_schedule(self, definition: dict[str, Any]) -> None:
        self.sent.append(f"schedule {definition['name']}")

    def save_event_handler(self, definition: dict[str, Any], *, exists: bool) -> None:
        self.sent.append(f"{'PUT' if exists else 'POST'} event handler {definition['name']}")

    def delete_workflow_def(self, name: str, version: int) -> None:
        self.sent.append(f"delete workflow {name} v{version}")

    def delete_taskdef(self, name: str) -> None:
        self.sent.append(f"delete taskdef {name}")

    def delete_schedule(self, name: str) -> None:
        self.sent.append(f"delete schedule {name}")

    def delete_event_handler(self, name: str) -> None:
        self.sent.append(f"delete event handler {name}")


def test_register_sends_workflows_before_what_starts_them_and_prunes_in_reverse() -> None:
    changed = dump(_handler())
    changed["active"] = False
    old = dump(_schedule("old"))
    current = make_plan(
        "http://fake/api",
        [release.compile().definition],
        [],
        [{"name": "gone", "version": 1, "ownerEmail": OWNER, "tasks": []}],
        [],
        triggers=Triggers([_schedule()], [_handler()], [old], [changed]),
    )
    registry = TriggerRegistry()
    outcomes: list[str] = []
    apply(registry, current, lambda e, o: outcomes.append(f"{e.label} {o}"), prune=True)
    assert registry.sent == [
        "workflow release",
        "schedule nightly",
        "PUT event handler approvals",
        "delete schedule old",
        "delete workflow gone v1",
    ]
    assert outcomes[-2:] == ["schedule old deleted", "workflow gone v1 deleted"]


def test_the_repositorys_triggers_are_in_build() -> None:
    schedules = json.loads((REPO_ROOT / "build/schedules.json").read_text())
    handlers = json.loads((REPO_ROOT / "build/event_handlers.json").read_text())
    assert [s["name"] for s in schedules] == ["platform_nightly_rollout"]
    assert schedules[0]["paused"] is True
    assert [h["name"] for h in handlers] == ["platform_rollout_approvals"]

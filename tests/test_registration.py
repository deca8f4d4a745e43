"""The plan and its application (pure: the registry is a recording stand-in, no server).

`FakeRegistry` imitates the few ConductorApi calls registration makes, answering the way a
3.32.3 server does (bulk errors by name); it records what would have been sent.
"""

from __future__ import annotations

from typing import Any

import pytest

from deploy_dsl.client.defaults import TASK_DEFAULTS, TASKDEF_DEFAULTS
from deploy_dsl.client.ownership import Ownership
from deploy_dsl.client.plan import Entry, Plan, make_plan
from deploy_dsl.client.registration import RegistrationFailed, RegistrationRefused, apply
from deploy_dsl.wire import TaskDef, WorkflowDef, dump

OWNER = "team@example.com"


def _workflow(
    name: str,
    version: int = 1,
    calls: tuple[str, int] | None = None,
    description: str | None = None,
    simple: str | None = None,
) -> WorkflowDef:
    task: dict[str, Any] = {"name": "t", "taskReferenceName": "t", "type": "SET_VARIABLE"}
    if calls:
        task = {
            "name": calls[0],
            "taskReferenceName": "call",
            "type": "SUB_WORKFLOW",
            "subWorkflowParam": {"name": calls[0], "version": calls[1]},
        }
    if simple:
        task = {"name": simple, "taskReferenceName": "work", "type": "SIMPLE"}
    body = {"name": name, "version": version, "ownerEmail": OWNER, "tasks": [task]}
    if description:
        body["description"] = description
    return WorkflowDef.model_validate(body)


def _held(model: WorkflowDef | TaskDef, **changed: Any) -> dict[str, Any]:
    """As the server reads it back: bookkeeping and defaults added."""
    body = {**dump(model), "createTime": 1, "updateTime": 2, **changed}
    if isinstance(model, TaskDef):
        return {**TASKDEF_DEFAULTS, **body}
    body["tasks"] = [{**TASK_DEFAULTS, **t, "optional": False} for t in body["tasks"]]
    return body


def _plan(
    workflows: list[WorkflowDef],
    taskdefs: list[TaskDef],
    held_workflows: list[Any],
    held_taskdefs: list[Any],
    **kwargs: Any,
) -> Plan:
    return make_plan(
        "http://server/api", workflows, taskdefs, held_workflows, held_taskdefs, **kwargs
    )


def _actions(plan: Plan) -> list[tuple[str, str]]:
    return [(e.label, e.action) for e in plan.entries]


def test_callees_are_planned_before_callers() -> None:
    workflows = [
        _workflow("pipeline", calls=("deploy", 1)),
        _workflow("deploy", calls=("finish", 1)),
        _workflow("finish"),
    ]
    current = _plan(workflows, [], [], [])
    assert [e.name for e in current.workflows] == ["finish", "deploy", "pipeline"]
    assert {e.action for e in current.workflows} == {"create"}
    assert current.problems == []


def test_create_update_unchanged_against_every_held_version() -> None:
    v1, v2 = _workflow("w", 1), _workflow("w", 2)
    a, b = TaskDef(name="a", ownerEmail=OWNER, retryCount=1), TaskDef(name="b", ownerEmail=OWNER)
    held = [_held(v1)]
    current = _plan([v1, v2], [a, b], held, [_held(a), _held(b, retryCount=7)])
    assert _actions(current) == [
        ("taskdef a", "unchanged"),
        ("taskdef b", "update"),
        ("workflow w v1", "unchanged"),
        ("workflow w v2", "create"),
    ]
    (change,) = current.taskdefs[1].changes
    assert (change.path, change.old, change.new, change.drift) == ("retryCount", 7, 3, True)
    assert current.has_changes()
    assert current.refusals() == []  # task definitions are not versioned: updated in place


def test_a_changed_registered_version_is_refused_unless_overwrite_is_allowed() -> None:
    held = [_held(_workflow("w", 1)), _held(_workflow("w", 2))]
    current = _plan([_workflow("w", 1, description="changed")], [], held, [])
    (entry,) = current.workflows
    assert entry.action == "update" and entry.rewrites_version
    assert [c.path for c in entry.changes] == ["description"]
    assert current.refusals() == [
        "workflow w v1 is registered with other content (1 field(s) differ): "
        "bump the version to 3, or pass --allow-overwrite"
    ]
    assert current.refusals(allow_overwrite=True) == []


def test_missing_references_are_problems() -> None:
    workflows = [_workflow("caller", calls=("elsewhere", 2)), _workflow("worker", simple="job")]
    current = _plan(
        workflows,
        [],
        [_held(_workflow("elsewhere", 1))],
        [],
        externals=[("elsewhere", 2), ("registered", 4)],
    )
    assert current.problems == [
        "ExternalWorkflow elsewhere v2 is neither registered on the server nor defined in the "
        "definitions",
        "ExternalWorkflow registered v4 is neither registered on the server nor defined in the "
        "definitions",
        "workflow caller v1 calls workflow elsewhere v2, which is neither registered on the "
        "server nor defined in the definitions",
    ]
    provided = _plan(
        workflows,
        [TaskDef(name="job")],
        [_held(_workflow("elsewhere", 2))],
        [],
        externals=[("elsewhere", 2)],
    )
    assert provided.problems == []


def test_only_owned_definitions_are_listed_as_not_in_the_code() -> None:
    ours = _workflow("w")
    held_workflows = [
        _held(ours),
        _held(_workflow("w", 0)),  # an older version of a workflow the code has: kept
        _held(_workflow("gone")),  # ours by owner email
        _held(_workflow("theirs"), ownerEmail="other@example.com"),
        _held(_workflow("app_legacy"), ownerEmail="other@example.com"),  # ours by prefix
    ]
    held_taskdefs = [
        _held(TaskDef(name="old", ownerEmail=OWNER)),
        _held(TaskDef(name="t", ownerEmail=OWNER)),  # still used by w's task
        _held(TaskDef(name="foreign", ownerEmail="other@example.com")),
    ]
    by_email = _plan([ours], [], held_workflows, held_taskdefs)
    assert [(e.label, e.action, e.prunable) for e in by_email.extras] == [
        ("workflow gone v1", "not_in_code", True),
        ("workflow w v0", "other_version", False),
        ("taskdef old", "not_in_code", True),
        ("taskdef t", "not_in_code", False),
    ]
    assert by_email.extras[3].used_by == ("workflow w v1",)
    assert [e.label for e in by_email.to_prune()] == ["workflow gone v1", "taskdef old"]
    assert not by_email.has_changes() and by_email.has_changes(prune=True)

    by_prefix = _plan(
        [ours], [], held_workflows, held_taskdefs, ownership=Ownership(name_prefixes=("app_",))
    )
    assert [e.label for e in by_prefix.to_prune()] == ["workflow app_legacy v1"]


def test_ownership_by_email_or_prefix() -> None:
    owner = Ownership(frozenset({OWNER}), ("app_",))
    assert owner.owns({"name": "x", "ownerEmail": OWNER})
    assert owner.owns({"name": "app_x", "ownerEmail": "other@example.com"})
    assert not owner.owns({"name": "x", "ownerEmail": "other@example.com"})
    assert not owner.owns({"name": "x"})
    assert not Ownership().owns({"name": "x", "ownerEmail": None})
    derived = Ownership.of_definitions([{"ownerEmail": OWNER}, {"name": "no email"}])
    assert derived == Ownership(frozenset({OWNER}))


class FakeRegistry:
    """Records requests; refuses the workflows named in `refuse` the way the server's bulk
    response reports them."""

    url = "http://fake/api"

    def __init__(self, refuse: set[str] | None = None) -> None:
        self.refuse = refuse or set()
        self.sent: list[tuple[str, list[str]]] = []

    def workflow_defs(self) -> list[dict[str, Any]]:
        return []

    def task_defs(self) -> list[dict[str, Any]]:
        return []

    def put_workflows(self, definitions: list[dict[str, Any]]) -> dict[str, Any]:
        self.sent.append(("workflows", [d["name"] for d in definitions]))
        return {"bulkErrorResults": {name: "refused" for name in self.refuse}}

    def post_taskdefs(self, definitions: list[dict[str, Any]]) -> None:
        self.sent.append(("taskdefs", [d["name"] for d in definitions]))

    def delete_workflow_def(self, name: str, version: int) -> None:
        self.sent.append(("delete workflow", [f"{name} v{version}"]))

    def delete_taskdef(self, name: str) -> None:
        self.sent.append(("delete taskdef", [name]))


def _record(outcomes: list[tuple[str, str]]) -> Any:
    return lambda entry, outcome: outcomes.append((entry.label, outcome))


def test_one_bulk_request_per_kind_and_nothing_for_unchanged() -> None:
    registry = FakeRegistry()
    a = TaskDef(name="a")
    current = _plan([_workflow("w")], [a], [], [_held(a)])
    outcomes: list[tuple[str, str]] = []
    apply(registry, current, _record(outcomes))
    assert registry.sent == [("workflows", ["w"])]
    assert outcomes == [("taskdef a", "unchanged"), ("workflow w v1", "created")]


def test_a_refused_plan_writes_nothing() -> None:
    registry = FakeRegistry()
    held = [_held(_workflow("w"))]
    current = _plan(
        [_workflow("w", description="new"), _workflow("x")], [TaskDef(name="a")], held, []
    )
    with pytest.raises(RegistrationRefused, match="bump the version to 2"):
        apply(registry, current, _record([]))
    assert registry.sent == []
    apply(registry, current, _record([]), allow_overwrite=True)
    assert registry.sent == [("taskdefs", ["a"]), ("workflows", ["w", "x"])]


def test_prune_deletes_workflows_before_task_definitions_and_only_when_asked() -> None:
    held_workflows = [_held(_workflow("gone", 1)), _held(_workflow("gone", 2))]
    held_taskdefs = [_held(TaskDef(name="old", ownerEmail=OWNER))]
    current = _plan([_workflow("w")], [], held_workflows, held_taskdefs)
    registry = FakeRegistry()
    apply(registry, current, _record([]))
    assert registry.sent == [("workflows", ["w"])]
    registry = FakeRegistry()
    outcomes: list[tuple[str, str]] = []
    apply(registry, current, _record(outcomes), prune=True)
    assert registry.sent == [
        ("workflows", ["w"]),
        ("delete workflow", ["gone v1"]),
        ("delete workflow", ["gone v2"]),
        ("delete taskdef", ["old"]),
    ]
    assert outcomes[-3:] == [
        ("workflow gone v1", "deleted"),
        ("workflow gone v2", "deleted"),
        ("taskdef old", "deleted"),
    ]


def test_a_bulk_refusal_says_what_was_and_was_not_registered() -> None:
    registry = FakeRegistry(refuse={"bad"})
    current = _plan([_workflow("good"), _workflow("bad")], [TaskDef(name="a")], [], [])
    with pytest.raises(RegistrationFailed) as failure:
        apply(registry, current, _record([]))
    assert [i.label for i in failure.value.registered] == ["taskdef a", "workflow good v1"]
    assert [i.label for i in failure.value.not_registered] == ["workflow bad v1"]
    assert "bad: refused" in str(failure.value)


def test_entries_label_and_counts() -> None:
    entry = Entry("taskdef", "a", None, "unchanged")
    plan = Plan("http://s/api", [entry], [])
    assert plan.to_send("taskdef") == [] and entry.label == "taskdef a"
    assert plan.counts()["unchanged"] == 1

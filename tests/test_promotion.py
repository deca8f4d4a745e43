"""Promotion and comparison between two servers (pure: `Registry` below stands in for a 3.32.3
server, storing what it is sent as the server does, its defaults and bookkeeping added);
tests/e2e/cluster/test_between_environments.py promotes from the local server to the local
cluster."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from deploy_dsl.client.comparison import compare
from deploy_dsl.client.defaults import SCHEDULE_DEFAULTS, TASK_DEFAULTS, WORKFLOW_DEFAULTS
from deploy_dsl.client.inventory import NotRegistered, find, items, parse_key, read_held
from deploy_dsl.client.ownership import Ownership
from deploy_dsl.client.promotion import PromotionFailed, prepare, promote
from deploy_dsl.compiler import Compiled, compile_project
from deploy_dsl.dsl import Http, Schedule, SetVariable, TaskDef, WorkerEndpoint, Workflow
from deploy_dsl.project import Project
from deploy_dsl.task import CompileOptions

OWNER = "team@example.com"
OWNERSHIP = Ownership(frozenset({OWNER}))


def _project() -> Project:
    job = Workflow(
        "job",
        version=1,
        owner_email=OWNER,
        tasks=[
            Http("call", uri=WorkerEndpoint("call"), method="POST"),
            SetVariable("note", inputs={"a": 1}),
        ],
    )
    schedule = Schedule("nightly", cron="0 0 2 * * *", workflow=job, paused=True)
    return Project(
        workflows=[job], taskdefs=[TaskDef("call", owner_email=OWNER)], schedules=[schedule]
    )


def _compiled(worker: str = "http://worker-a") -> Compiled:
    return compile_project(_project(), CompileOptions(worker_base_url=worker))


class Registry:
    """What a server holds; writes are stored with the server's defaults and bookkeeping."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.workflows: dict[tuple[str, int], dict[str, Any]] = {}
        self.taskdefs: dict[str, dict[str, Any]] = {}
        self.scheduled: dict[str, dict[str, Any]] = {}
        self.writes = 0

    def workflow_defs(self) -> list[dict[str, Any]]:
        return copy.deepcopy(list(self.workflows.values()))

    def task_defs(self) -> list[dict[str, Any]]:
        return copy.deepcopy(list(self.taskdefs.values()))

    def schedules(self) -> list[dict[str, Any]] | None:
        return copy.deepcopy(list(self.scheduled.values()))

    def event_handlers(self) -> list[dict[str, Any]]:
        return []

    def put_workflows(self, definitions: list[dict[str, Any]]) -> dict[str, Any]:
        self.writes += 1
        for body in definitions:
            tasks = [{**TASK_DEFAULTS, **t} for t in body["tasks"]]
            stored = {**WORKFLOW_DEFAULTS, **body, "tasks": tasks, "createTime": self.writes}
            self.workflows[(body["name"], body["version"])] = stored
        return {}

    def post_taskdefs(self, definitions: list[dict[str, Any]]) -> None:
        self.writes += 1
        self.taskdefs.update({t["name"]: {**t, "createTime": self.writes} for t in definitions})

    def save_schedule(self, definition: dict[str, Any]) -> None:
        self.writes += 1
        self.scheduled[definition["name"]] = {**SCHEDULE_DEFAULTS, **definition, "updatedTime": 9}

    def save_event_handler(self, definition: dict[str, Any], *, exists: bool) -> None:
        raise AssertionError("no event handlers here")

    def delete_workflow_def(self, name: str, version: int) -> None:
        del self.workflows[(name, version)]

    def delete_taskdef(self, name: str) -> None:
        del self.taskdefs[name]

    def delete_schedule(self, name: str) -> None:
        del self.scheduled[name]

    def delete_event_handler(self, name: str) -> None:
        raise AssertionError("no event handlers here")


def _staging() -> Registry:
    """Staging, registered from the code with its own settings."""
    staging = Registry("http://staging/api")
    compiled = _compiled()
    staging.post_taskdefs(
        [t.model_dump(by_alias=True, exclude_none=True) for t in compiled.taskdefs]
    )
    staging.put_workflows(
        [w.model_dump(by_alias=True, exclude_none=True) for w in compiled.workflows]
    )
    for schedule in compiled.schedules:
        staging.save_schedule(schedule.model_dump(by_alias=True, exclude_none=True))
    return staging


def test_promotion_carries_the_source_bytes_and_the_target_then_holds_them() -> None:
    staging, production = _staging(), Registry("http://production/api")
    promotion = prepare(
        read_held(staging), read_held(production), _compiled(), _compiled(), ownership=OWNERSHIP
    )
    assert promotion.drift == [] and promotion.notes == []
    assert [(e.label, e.action) for e in promotion.plan.code_entries] == [
        ("taskdef call", "create"),
        ("workflow job v1", "create"),
        ("schedule nightly", "create"),
    ]
    outcomes: list[str] = []
    promote(production, promotion, lambda e, o: outcomes.append(o), allow_overwrite=False,
            ownership=OWNERSHIP)  # fmt: skip
    assert outcomes == ["created", "created", "created"]
    one, other = (items(read_held(r), OWNERSHIP) for r in (staging, production))
    assert compare(one, other) == ([], 3)


def test_a_source_that_differs_from_the_code_is_refused_unless_told() -> None:
    staging = _staging()
    staging.workflows[("job", 1)]["description"] = "edited by hand"
    promotion = prepare(
        read_held(staging), read_held(Registry("p")), _compiled(), _compiled(), ownership=OWNERSHIP
    )
    assert promotion.drift == ["the source's workflow job v1 differs from the code (description)"]
    (refusal,) = promotion.refusals(allow_drift=False, allow_overwrite=False)
    assert refusal.endswith("(--allow-drift)")
    assert promotion.refusals(allow_drift=True, allow_overwrite=False) == []
    # Told to, it carries what staging holds, the hand edit included.
    assert promotion.carried.workflows[0].description == "edited by hand"


def test_another_worker_url_on_the_target_is_named_and_the_source_bytes_kept() -> None:
    promotion = prepare(
        read_held(_staging()),
        read_held(Registry("p")),
        _compiled(),
        _compiled("http://worker-b"),
        ownership=OWNERSHIP,
    )
    (note,) = promotion.notes
    assert note.startswith(
        "workflow job v1: the target's settings compile it otherwise "
        "(tasks[call].inputParameters.http_request.uri: 'http://worker-b/call')"
    )
    task = promotion.carried.workflows[0].tasks[0]
    assert (task.input_parameters or {})["http_request"]["uri"] == "http://worker-a/call"


def test_a_target_that_does_not_keep_the_bytes_fails_the_promotion() -> None:
    class Forgetful(Registry):
        def save_schedule(self, definition: dict[str, Any]) -> None:
            super().save_schedule({**definition, "paused": False})

    production = Forgetful("http://production/api")
    promotion = prepare(
        read_held(_staging()), read_held(production), _compiled(), _compiled(), ownership=OWNERSHIP
    )
    with pytest.raises(PromotionFailed, match="does not hold the source's bytes: schedule nightly"):
        promote(production, promotion, lambda e, o: None, allow_overwrite=False,
                ownership=OWNERSHIP)  # fmt: skip


def test_find_and_keys() -> None:
    staging = _staging()
    staging.put_workflows([{"name": "job", "version": 2, "ownerEmail": OWNER, "tasks": []}])
    found = items(read_held(staging), OWNERSHIP)
    assert find(found, "job", None).version == 2
    assert find(found, "nightly", None).kind == "schedule"
    with pytest.raises(NotRegistered, match="workflow job v7 is not registered"):
        find(found, "job", 7)
    assert parse_key("job:2") == ("job", 2)
    assert parse_key("ns:job") == ("ns:job", None)

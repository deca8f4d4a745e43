"""The `${...}` of this project's workflows, as build/ holds them, against the typed schemas of
their definitions.

Every expression that walks a typed shape walks only fields, items and keys it declares. The
seed workflows (a fixed set) are typed throughout: no expression passes through an open shape.
A workflow may read open shapes on purpose (a SIMPLE task or a script with no declared
result, a secret): those are named, with what makes them open, as warnings, not failures, so
a valid workflow added to definitions/ never fails this file."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from deploy_dsl.expressions import WORKFLOW_FIELDS, expressions_in, schema_of, split_expression
from deploy_dsl.schemas import LEAF, ListOf, MapOf, Schema, is_open, model_schema
from deploy_dsl.task import Task
from deploy_dsl.workflow import Workflow, walk_tasks
from deploy_dsl.workspace.loader import load_project
from tests.conftest import REPO_ROOT

PROJECT = load_project()
SEED_WORKFLOWS = (
    "deploy_simple_v1", "deploy_failed_v1", "finalize_deployment_v1", "pipeline_simple_v1",
    "rollback_deployment_v1", "rollout_v1", "rollout_wave_v1",
)  # fmt: skip
TASK_LEAVES = frozenset({"status", "taskId", "taskType", "referenceTaskName", "retryCount"})


def _expressions(definition: dict[str, Any]) -> Iterator[str]:
    yield from expressions_in(definition.get("outputParameters") or {})
    stack = list(definition["tasks"])
    while stack:
        task = stack.pop()
        yield from expressions_in(task.get("inputParameters") or {})
        for case in (task.get("decisionCases") or {}).values():
            stack.extend(case)
        stack.extend(task.get("defaultCase") or [])
        for branch in task.get("forkTasks") or []:
            stack.extend(branch)
        stack.extend(task.get("loopOver") or [])


def _root(workflow: Workflow, tasks: Mapping[str, Task], segments: list[str]) -> Schema:
    root = segments[0]
    if root == "workflow":
        fields = dict(WORKFLOW_FIELDS)
        if workflow.input_model is not None:
            fields["input"] = model_schema(workflow.input_model)
        if workflow.variables_model is not None:
            fields["variables"] = model_schema(workflow.variables_model)
        return fields
    task = tasks[root]
    return {"output": task.output_fields(), "input": schema_of(task.input)} | dict.fromkeys(
        TASK_LEAVES, LEAF
    )


def open_at(workflow: Workflow, body: str) -> str | None:
    """Where the path leaves the typed shapes, or None if it resolves through them to its end."""
    tasks = {task.ref: task for task in walk_tasks(workflow.tasks)}
    segments = split_expression(body)
    schema = _root(workflow, tasks, segments)
    walked = segments[0]
    for segment in segments[1:]:
        if is_open(schema):
            return f"{walked} is open"
        if isinstance(schema, MapOf):
            schema = schema.item
        elif isinstance(schema, ListOf):
            if not segment.isdigit():
                return f"{walked} is a list, not indexed"
            schema = schema.item
        elif isinstance(schema, Mapping):
            if segment not in schema:
                return f"{walked} has no field {segment!r}"
            schema = schema[segment]
        walked = f"{walked}.{segment}"
    return f"{walked} is open" if is_open(schema) else None


def _problems(workflow: Workflow) -> tuple[list[str], list[str]]:
    """(expressions that leave a typed schema, expressions that pass through an open one)."""
    path = REPO_ROOT / "build" / "workflows" / f"{workflow.name}.json"
    bodies = sorted(set(_expressions(json.loads(path.read_text(encoding="utf-8")))))
    assert bodies, f"{workflow.name} has no expressions to check"
    wrong, open_ = [], []
    for body in bodies:
        where = open_at(workflow, body)
        if where is not None:
            (open_ if where.endswith(" is open") else wrong).append(f"${{{body}}}: {where}")
    return wrong, [f"{item} ({why_open(workflow, item)})" for item in open_]


def why_open(workflow: Workflow, problem: str) -> str:
    """What makes the shape open: the task (its type, no declared result) or the root."""
    root = problem.split("{", 1)[1].split(".", 1)[0]
    tasks = {task.ref: task for task in walk_tasks(workflow.tasks)}
    if root in tasks:
        task = tasks[root]
        return f"{task.task_type} {task.ref!r} declares no model of its output"
    return f"{root} is not typed by the definition"


@pytest.mark.parametrize("workflow", PROJECT.workflows, ids=lambda w: w.name)
def test_no_expression_leaves_a_typed_schema(workflow: Workflow) -> None:
    wrong, open_ = _problems(workflow)
    assert not wrong, "\n".join(wrong)
    for item in open_:
        warnings.warn(f"{workflow.name}: {item}", stacklevel=1)


@pytest.mark.parametrize("name", SEED_WORKFLOWS)
def test_the_seed_workflows_are_typed_throughout(name: str) -> None:
    wrong, open_ = _problems(PROJECT.workflow(name))
    assert not wrong and not open_, "\n".join(wrong + open_)


def test_the_check_finds_an_open_path() -> None:
    pipeline = PROJECT.workflow("pipeline_simple_v1")
    assert open_at(pipeline, "run_waves.output.iteration") is None
    assert open_at(pipeline, "summarize_wave.output.result.halt") is None
    # A script with no declared result is open; a misspelt field leaves the schema.
    assert open_at(pipeline, "summarize_wave.output.result.hlat") is not None
    deploy = PROJECT.workflow("deploy_simple_v1")
    assert open_at(deploy, "create_infrastructure.output.response.body.infrastructureId") is None
    # Headers are a mapping of values nobody typed.
    assert open_at(deploy, "create_infrastructure.output.response.headers.x") == (
        "create_infrastructure.output.response.headers.x is open"
    )

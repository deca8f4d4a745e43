"""START_WORKFLOW: starts another workflow and goes on without waiting for it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Unpack

from pydantic import BaseModel

from deploy_dsl.arguments import require
from deploy_dsl.checking import Placement, WorkflowScope, require_input
from deploy_dsl.contracts import body_problems
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref
from deploy_dsl.findings import Code, Problem
from deploy_dsl.kind import (
    Importing,
    ImportPlan,
    Kind,
    Planned,
    Snippet,
    WorkflowCall,
    call_detail,
)
from deploy_dsl.kinds.sub_workflow import (
    IdempotencyStrategy,
    WorkflowTarget,
    example_callee,
    fixed_version,
    idempotency_arguments,
    idempotency_fields,
)
from deploy_dsl.schemas import LEAF, Schema
from deploy_dsl.task import CompileOptions, Task, TaskOptions
from deploy_dsl.wire import WorkflowTask

__all__ = ["KIND", "StartWorkflow", "StartedWorkflow"]

_REQUEST_KEYS = frozenset(
    {"name", "version", "input", "correlationId", "idempotencyKey", "idempotencyStrategy",
     "priority", "taskToDomain"}
)  # fmt: skip


class StartedWorkflow:
    """A START_WORKFLOW's `output` as the type checker sees it. Never instantiated."""

    workflowId: str


class StartWorkflow(Task[StartedWorkflow]):
    """Starts another workflow and goes on at once (START_WORKFLOW).

    The new execution is not a child; `output.workflowId` names it.

    Without `workflow` the builder writes no request: the inputs carry `startWorkflow` (as one
    reference, say).

    Args:
        ref: the task reference name (see Task).
        workflow: the workflow to start (a Workflow or ExternalWorkflow).
        start_input: the started workflow's input (startWorkflow.input); checked against its
            input model when it has one.
        latest: start whatever version is newest when the task runs, not `workflow.version`.
        correlation_id: the new execution's correlationId (the caller's by default).
        idempotency_key: idempotencyKey: a second start with the same key is handled by
            `idempotency_strategy`.
        idempotency_strategy: `FAIL`, `RETURN_EXISTING` or `FAIL_ON_RUNNING`.
        priority: the execution's priority (0-99), or a reference.
        task_to_domain: taskToDomain for its tasks (the caller's by default).
        **options: TaskOptions.
    """

    type = "START_WORKFLOW"
    output_schema: ClassVar[Schema] = {"workflowId": LEAF}

    def __init__(
        self,
        ref: str,
        *,
        workflow: WorkflowTarget | None = None,
        start_input: Mapping[str, Any] | None = None,
        latest: bool = False,
        correlation_id: str | Ref | None = None,
        idempotency_key: str | Ref | None = None,
        idempotency_strategy: IdempotencyStrategy | None = None,
        priority: int | str | Ref | None = None,
        task_to_domain: Mapping[str, str] | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        owner = f"StartWorkflow {ref!r}"
        if workflow is not None:
            require(owner, "workflow.name", getattr(workflow, "name", None), str)
        elif start_input is not None or correlation_id is not None or latest:
            raise DefinitionError(f"{owner}: the start's fields need workflow=")
        require(owner, "start_input", start_input, Mapping, optional=True)
        require(owner, "latest", latest, bool)
        # startWorkflow is one of the task's inputs: the server resolves references in it.
        require(owner, "correlation_id", correlation_id, str, Ref, optional=True)
        require(owner, "idempotency_key", idempotency_key, str, Ref, optional=True)
        require(owner, "priority", priority, int, str, Ref, optional=True)
        require(owner, "task_to_domain", task_to_domain, Mapping, optional=True)
        self.workflow = workflow
        self.start_input = dict(start_input) if start_input is not None else None
        self.latest = latest
        self.correlation_id = correlation_id
        self.start_options = idempotency_fields(
            idempotency_key, idempotency_strategy, priority, task_to_domain
        )

    def problems(self) -> Iterator[Problem]:
        model: type[BaseModel] | None = getattr(self.workflow, "input_model", None)
        if model is None or self.workflow is None:
            return
        what = f"the input of {self.workflow.name}"
        yield from body_problems(model, self.start_input or {}, what, Code.SUB_WORKFLOW_INPUT)

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        if self.workflow is None:
            return self.inputs
        request: dict[str, Any] = {"name": self.workflow.name}
        if not self.latest:
            request["version"] = self.workflow.version
        if self.start_input is not None:
            request["input"] = self.start_input
        if self.correlation_id is not None:
            request["correlationId"] = self.correlation_id
        request.update(self.start_options)
        return {"startWorkflow": request, **self.inputs}


def _check(scope: WorkflowScope, placement: Placement) -> None:
    require_input(scope, placement, "startWorkflow", run_time_only=True)


def _calls(task: WorkflowTask) -> Iterator[WorkflowCall]:
    start = (task.input_parameters or {}).get("startWorkflow")
    if not isinstance(start, dict):
        return
    name = start.get("name")
    if isinstance(name, str) and "${" not in name:
        yield WorkflowCall(name, fixed_version(start.get("version")), "started")


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    start = inputs.get("startWorkflow")
    if isinstance(start, str):  # the whole request from a reference: the inputs carry it
        return ImportPlan(StartWorkflow)
    if not isinstance(start, dict) or not start.keys() <= _REQUEST_KEYS:
        return "startWorkflow has fields the StartWorkflow builder does not write"
    name, version = start.get("name"), start.get("version")
    if not isinstance(name, str) or "${" in name:
        return "the started workflow's name is computed at run time (no builder for that)"
    if version is not None and type(version) is not int:
        return f"startWorkflow.version {version!r} is not a number"
    kwargs: list[tuple[str, Snippet]] = [("workflow", code.workflow(name, version))]
    if version is None:
        kwargs.append(("latest", code.literal(True)))
    if isinstance(start.get("input"), dict):
        kwargs.append(("start_input", code.value(start["input"])))
    elif "input" in start:
        return "startWorkflow.input is not an object"
    if isinstance(start.get("correlationId"), str):
        kwargs.append(("correlation_id", code.value(start["correlationId"])))
    elif "correlationId" in start:
        return "startWorkflow.correlationId is not a string"
    options = idempotency_arguments(start, code)
    if options is None:
        return "startWorkflow has a start option of an unexpected type"
    return ImportPlan(StartWorkflow, [*kwargs, *options], owned_inputs=frozenset({"startWorkflow"}))


KIND = Kind(
    type="START_WORKFLOW",
    builder=StartWorkflow,
    summary="Starts another workflow and goes on without waiting for it.",
    example=lambda: [
        StartWorkflow("kick_off", workflow=example_callee(), start_input={"scope": "svc-a"})
    ],
    plan=_plan,
    check=_check,
    detail=call_detail(_calls),
    calls=_calls,
    shape="subroutine",
    flow="stand_in",
)

"""SUB_WORKFLOW: starts another workflow and waits for it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal, Protocol, Unpack

from pydantic import BaseModel
from typing_extensions import TypeVar

from deploy_dsl.arguments import require
from deploy_dsl.checking import Placement, WorkflowScope, fails
from deploy_dsl.contracts import body_problems
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref, Shape, render
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
from deploy_dsl.kinds.noop import Noop
from deploy_dsl.schemas import ANY, Schema
from deploy_dsl.task import CompileOptions, Task, TaskOptions
from deploy_dsl.wire import WorkflowTask, dump

__all__ = [
    "KIND",
    "IdempotencyStrategy",
    "SubWorkflow",
    "WorkflowTarget",
    "example_callee",
    "fixed_version",
    "idempotency_arguments",
    "idempotency_fields",
]

IdempotencyStrategy = Literal["FAIL", "RETURN_EXISTING", "FAIL_ON_RUNNING"]
# What a caller reads from a workflow's output, to the type checker: its output model. A bare
# WorkflowTarget is any workflow.
CalleeOutput = TypeVar("CalleeOutput", covariant=True, default=object)


class WorkflowTarget(Protocol[CalleeOutput]):
    """Anything with a workflow's name and version: a Workflow or an ExternalWorkflow.

    Its input model, if it has one, checks what callers pass; its output schema types what
    they read back, and its output model what the type checker sees them read.
    """

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def input_model(self) -> type[BaseModel] | None: ...

    @property
    def output_schema(self) -> Schema: ...

    @property
    def output_model(self) -> type[CalleeOutput] | None: ...


class SubWorkflow(Task[Shape]):
    """Starts another workflow and waits for it; its output is the child's output.

    To the type checker its output is the child's output model where it declares one
    (Workflow's `output_model`), else Ref, open.

    Args:
        ref: the task reference name (see Task).
        workflow: the workflow to start (a Workflow or ExternalWorkflow); its name is the
            task's name unless `name=` says otherwise. Or a reference (or `${...}` string)
            holding the name, resolved when the task runs: then give `version=` (the server
            looks the name up as written when the parent starts) and `name=`.
        version: the version to start when `workflow` is a name resolved at run time.
        latest: start whatever version is newest when the task runs, not `workflow.version`.
        definition: the child's definition inline (subWorkflowParam.workflowDefinition): a
            Workflow, compiled into the task, or its JSON. The server runs it without looking
            anything up by name; nothing needs registering.
        idempotency_key: idempotencyKey: a second start with the same key is handled by
            `idempotency_strategy`.
        idempotency_strategy: `FAIL`, `RETURN_EXISTING` or `FAIL_ON_RUNNING`.
        priority: the child's priority (0-99), or a reference.
        task_to_domain: taskToDomain for the child's tasks.
        **options: TaskOptions (`inputs` are the child's input).
    """

    type = "SUB_WORKFLOW"

    def __init__(
        self,
        ref: str,
        *,
        workflow: WorkflowTarget[Shape] | Ref | str | None = None,
        version: int | None = None,
        latest: bool = False,
        definition: Any = None,
        idempotency_key: str | None = None,
        idempotency_strategy: IdempotencyStrategy | None = None,
        priority: int | str | None = None,
        task_to_domain: Mapping[str, str] | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        target = None if isinstance(workflow, Ref | str) else workflow
        computed = target is None and workflow is not None
        target_name = getattr(target, "name", None)
        if isinstance(target_name, str) and "name" not in options:
            options["name"] = target_name
        super().__init__(ref, **options)
        owner = f"SubWorkflow {ref!r}"
        if workflow is None and definition is None:
            raise DefinitionError(f"{owner}: give workflow= (or the child inline: definition=)")
        if computed and version is None:
            raise DefinitionError(
                f"{owner}: a workflow name resolved at run time needs version=: the server "
                "looks the name up as written when the parent starts"
            )
        if version is not None and not computed:
            raise DefinitionError(f"{owner}: version= is for a name resolved at run time")
        if target is not None:
            require(owner, "workflow.name", getattr(target, "name", None), str)
        require(owner, "version", version, int, optional=True)
        require(owner, "latest", latest, bool)
        require(owner, "idempotency_key", idempotency_key, str, optional=True)
        require(owner, "priority", priority, int, str, optional=True)
        require(owner, "task_to_domain", task_to_domain, Mapping, optional=True)
        self.workflow = target
        self.computed_name = str(workflow) if computed else None
        self.computed_version = version
        # Without a version the server starts whatever version is newest when the task runs.
        self.latest = latest
        self.definition = definition
        self.idempotency = idempotency_fields(
            idempotency_key, idempotency_strategy, priority, task_to_domain
        )

    def output_fields(self) -> Schema:
        schema: Schema = getattr(self.workflow, "output_schema", ANY)
        return schema

    def problems(self) -> Iterator[Problem]:
        model: type[BaseModel] | None = getattr(self.workflow, "input_model", None)
        if model is None or self.workflow is None:
            return
        what = f"the input of {self.workflow.name}"
        yield from body_problems(model, self.inputs, what, Code.SUB_WORKFLOW_INPUT)

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        workflow = self.workflow
        param: dict[str, Any] = {
            "name": workflow.name if workflow is not None else self.computed_name,
            "version": None if self.latest or workflow is None else workflow.version,
        }
        if self.computed_name is not None:
            param["version"] = self.computed_version
        definition = self.definition
        if definition is not None:
            compiled = getattr(definition, "compile", None)
            param["workflowDefinition"] = (
                dump(compiled(options).definition) if compiled else render(definition)
            )
        param.update(self.idempotency)
        return {"subWorkflowParam": param}


def idempotency_fields(
    key: str | Ref | None,
    strategy: str | None,
    priority: int | str | Ref | None,
    task_to_domain: Mapping[str, str] | None,
) -> dict[str, Any]:
    """The start options SUB_WORKFLOW and START_WORKFLOW share, by their wire names."""
    fields = {
        "idempotencyKey": key,
        "idempotencyStrategy": strategy,
        "priority": priority,
        "taskToDomain": dict(task_to_domain) if task_to_domain is not None else None,
    }
    return {k: v for k, v in fields.items() if v is not None}


def _check(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    params = task.sub_workflow_param
    if params is None:
        scope.report(
            Code.SUB_WORKFLOW_NO_NAME,
            ref,
            "SUB_WORKFLOW has no subWorkflowParam: " + fails(placement, "the workflow FAILS there"),
        )
        return
    if params.workflow_definition is not None:
        return  # SubWorkflowParams.getName() is the inline definition's: nothing is looked up
    name, version = params.name, params.version
    if not name:
        scope.report(
            Code.SUB_WORKFLOW_NO_NAME,
            ref,
            "subWorkflowParam has no name (and no workflowDefinition): the workflow's start "
            "fails when the task is reached",
        )
        return
    if isinstance(version, str) and not version.strip().isdigit():
        scope.report(
            Code.SUB_WORKFLOW_VERSION,
            ref,
            f"subWorkflowParam.version {version!r} is not a whole number (it is never resolved "
            "as an expression): the server answers 500 at registration",
        )
    if "${" in name:
        if version is None:
            scope.report(
                Code.SUB_WORKFLOW_VERSION,
                ref,
                f"the sub-workflow name {name!r} is an expression and no version is given: the "
                "server looks the literal name up when the workflow starts, and the start fails",
            )
        return
    if name not in scope.workflow_names:
        consequence = (
            "the parent's start fails (there is no version to pick)"
            if version is None
            else "the task FAILS with 'No such workflow defined'"
        )
        scope.report(
            Code.MISSING_SUB_WORKFLOW,
            ref,
            f"sub-workflow {name!r} is neither defined here nor declared external; unless it "
            f"is registered, {consequence}",
            scope.lenient(),
        )


def fixed_version(value: Any) -> int | None:
    """A fixed version (an int, or a string of digits: forkTaskWorkflowVersion is a string);
    None for the latest, or for an expression resolved at run time."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _calls(task: WorkflowTask) -> Iterator[WorkflowCall]:
    params = task.sub_workflow_param
    if params is None or not params.name or "${" in params.name:
        return
    how: Any = "inline sub-workflow" if params.workflow_definition is not None else "sub-workflow"
    yield WorkflowCall(params.name, fixed_version(params.version), how)


_PARAMS: dict[str, tuple[str, type | tuple[type, ...]]] = {
    "idempotencyKey": ("idempotency_key", str),
    "idempotencyStrategy": ("idempotency_strategy", str),
    "priority": ("priority", (int, str)),
    "taskToDomain": ("task_to_domain", dict),
}


def idempotency_arguments(
    source: Mapping[str, Any], code: Importing
) -> list[tuple[str, Snippet]] | None:
    """The builder arguments of the start options in `source`; None if one has a type the
    builder does not take."""
    kwargs: list[tuple[str, Snippet]] = []
    for key, (argument, kind) in _PARAMS.items():
        if key not in source:
            continue
        value = source[key]
        if value is None or isinstance(value, bool) or not isinstance(value, kind):
            return None
        kwargs.append((argument, code.literal(value)))
    return kwargs


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    param = raw.get("subWorkflowParam")
    if not isinstance(param, dict) or not param.keys() <= {
        "name",
        "version",
        "workflowDefinition",
        *_PARAMS,
    }:
        return "subWorkflowParam has fields the SubWorkflow builder does not write"
    name, version = param.get("name"), param.get("version")
    kwargs: list[tuple[str, Snippet]] = []
    if version is not None and type(version) is not int:
        return f"sub-workflow version {version!r} is not a number"
    if isinstance(name, str) and "${" not in name:
        kwargs.append(("workflow", code.workflow(name, version)))
        if version is None:
            kwargs.append(("latest", code.literal(True)))
    elif isinstance(name, str) and version is not None:
        kwargs += [("workflow", code.value(name)), ("version", code.literal(version))]
    elif name is not None or param.get("workflowDefinition") is None:
        return "the sub-workflow name is computed at run time and no version is given"
    if param.get("workflowDefinition") is not None:
        kwargs.append(("definition", code.value(param["workflowDefinition"])))
    start = idempotency_arguments(param, code)
    if start is None:
        return "subWorkflowParam has a start option of an unexpected type"
    default_name = name if isinstance(name, str) and "${" not in name else None
    return ImportPlan(SubWorkflow, [*kwargs, *start], default_name=default_name)


KIND = Kind(
    type="SUB_WORKFLOW",
    builder=SubWorkflow,
    summary="Starts another workflow and waits for it; its output is the child's.",
    example=lambda: [SubWorkflow("finalize", workflow=example_callee(), inputs={"scope": "svc-a"})],
    plan=_plan,
    check=_check,
    detail=call_detail(_calls),
    calls=_calls,
    shape="subroutine",
    flow="callee",
)


def example_callee() -> WorkflowTarget:
    """A small workflow for the examples of the types that call one (imported here: the
    workflow module imports this one)."""
    from deploy_dsl.workflow import Workflow

    return Workflow("example_callee", version=1, owner_email=None, tasks=[Noop("done")])

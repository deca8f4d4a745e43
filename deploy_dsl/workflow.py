"""The Workflow builder, and the compiled form validation and output work on."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from deploy_dsl.arguments import require
from deploy_dsl.contracts import body_problems
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref, render, value_schema, workflow_input
from deploy_dsl.findings import Code
from deploy_dsl.flow import WorkflowTarget
from deploy_dsl.location import Where, caller_location
from deploy_dsl.schemas import ANY, Schema
from deploy_dsl.tasks import CompileOptions, LocatedError, Task
from deploy_dsl.wire import WorkflowDef

__all__ = ["CompiledWorkflow", "ExternalWorkflow", "Workflow", "walk_tasks"]


@dataclass(frozen=True)
class ExternalWorkflow:
    """A workflow registered by someone else that this project's workflows may call.

    Args:
        name: its registered name.
        version: the version to call.
        output_schema: the fields its output may be read by (open by default).
        input_model: its input model, when known: callers' inputs are checked against it.
    """

    name: str
    version: int
    output_schema: Schema = ANY
    input_model: type[BaseModel] | None = None


@dataclass(frozen=True)
class CompiledWorkflow:
    definition: WorkflowDef
    # (workflow name, task reference or None for the workflow) -> every "file:line" where one
    # was written (a duplicate reference has several)
    locations: Mapping[tuple[str, str | None], tuple[Where, ...]] = field(default_factory=dict)


class Workflow:
    """A Conductor workflow definition written in Python.

    `input` is a pydantic model: its fields are the workflow's declared inputs, `inputs` gives
    typed references to them, and callers can validate a run's input with it before sending it.
    `variables`, if given, is a model whose defaults are the workflow's initial variables.

    Args:
        name: the workflow's name.
        version: its version; a change of content needs a new one.
        tasks: the tasks, in the order they run.
        owner_email: ownerEmail (some servers require it).
        input: the input model.
        output: outputParameters; values may be references.
        variables: the variables model.
        description: shown in the docs and the server's UI.
        timeout_seconds: the workflow's timeout.
        timeout_policy: `TIME_OUT_WF` or `ALERT_ONLY` when the timeout passes.
        failure_workflow: the workflow the server starts when this one fails or times out
            (a Workflow or ExternalWorkflow, pinned to its version; a name is the latest).
            It gets this workflow's input, plus workflowId, reason, failureStatus and
            failedWorkflow (the whole execution, variables included).
        restartable: whether a finished run may be restarted.
        schema_version: schemaVersion; Conductor accepts only 2.
        extra: WorkflowDef fields this library has no argument for, written as given.
    """

    def __init__(
        self,
        name: str,
        *,
        version: int,
        tasks: Sequence[Task],
        owner_email: str | None,
        input: type[BaseModel] | None = None,
        output: Mapping[str, Any] | None = None,
        variables: type[BaseModel] | None = None,
        description: str | None = None,
        timeout_seconds: int | None = None,
        timeout_policy: Literal["TIME_OUT_WF", "ALERT_ONLY"] | None = None,
        failure_workflow: str | WorkflowTarget | None = None,
        restartable: bool | None = None,
        schema_version: int | None = 2,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        require("Workflow", "name", name, str)
        if not name:
            raise DefinitionError("a Workflow needs a name")
        owner = f"workflow {name!r}"
        require(owner, "version", version, int)
        require(owner, "tasks", tasks, list, tuple)
        require(owner, "owner_email", owner_email, str, optional=True)
        require(owner, "description", description, str, optional=True)
        require(owner, "output", output, Mapping, optional=True)
        require(owner, "timeout_seconds", timeout_seconds, int, optional=True)
        if failure_workflow is not None and not isinstance(failure_workflow, str):
            require(owner, "failure_workflow.name", getattr(failure_workflow, "name", None), str)
        if not tasks:
            raise DefinitionError(f"workflow {name!r}: needs at least one task")
        for task in tasks:
            if not isinstance(task, Task):
                raise DefinitionError(f"workflow {name!r}: tasks must be tasks, got {task!r}")
        self.name = name
        self.version = version
        self.tasks = list(tasks)
        self.owner_email = owner_email
        self.input_model = input
        self.output = dict(output or {})
        self.variables_model = variables
        self.description = description
        self.timeout_seconds = timeout_seconds
        self.timeout_policy = timeout_policy
        self.failure_workflow = failure_workflow
        self.restartable = restartable
        self.schema_version = schema_version
        self.extra: dict[str, Any] = dict(extra or {})
        self.location = caller_location()

    @property
    def inputs(self) -> Ref:
        if self.input_model is None:
            raise DefinitionError(f"workflow {self.name!r} declares no input model")
        return workflow_input(self.input_model)

    @property
    def output_schema(self) -> Schema:
        """What a SUB_WORKFLOW calling this workflow may read from its output: each output
        field with the shape of the reference it is built from."""
        return {key: value_schema(value) for key, value in self.output.items()}

    def problems(self) -> Iterator[tuple[Task, Code, str]]:
        """Typed problems of the workflow's tasks, found when it is compiled: each task's own,
        and SET_VARIABLE tasks against the variables model."""
        for task in walk_tasks(self.tasks):
            for code, message in task.problems():
                yield task, code, message
            if task.task_type == "SET_VARIABLE" and self.variables_model is not None:
                what = "the workflow's variables"
                for message in body_problems(self.variables_model, task.inputs, what, partial=True):
                    yield task, Code.SET_VARIABLE_FIELD, message

    def compile(self, options: CompileOptions | None = None) -> CompiledWorkflow:
        try:
            return self._compile(options or CompileOptions())
        except LocatedError:
            raise
        except (DefinitionError, ValidationError, TypeError) as error:
            message = " ".join(str(error).split())
            raise LocatedError(self.location, f"workflow {self.name!r}: {message}") from None

    def _compile(self, options: CompileOptions) -> CompiledWorkflow:
        fields: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "version": self.version,
            "schemaVersion": self.schema_version,
            "ownerEmail": self.owner_email,
            "inputParameters": _field_names(self.input_model),
            "outputParameters": render(self.output) if self.output else None,
            "variables": _defaults(self.variables_model),
            "tasks": [task.to_wire(options) for task in self.tasks],
            "failureWorkflow": _target_name(self.failure_workflow),
            "failureWorkflowVersion": _target_version(self.failure_workflow),
            "restartable": self.restartable,
            "timeoutPolicy": self.timeout_policy,
            "timeoutSeconds": self.timeout_seconds,
            **self.extra,
        }
        locations: dict[tuple[str, str | None], tuple[Where, ...]] = {}
        if self.location:
            locations[(self.name, None)] = (self.location,)
        for task in walk_tasks(self.tasks):
            if task.location:
                key = (self.name, task.ref)
                locations[key] = (*locations.get(key, ()), task.location)
        return CompiledWorkflow(WorkflowDef.model_validate(fields), locations)


def walk_tasks(tasks: Sequence[Task]) -> Iterator[Task]:
    """Every task, nested ones included, in definition order."""
    for task in tasks:
        yield task
        for child in task.children():
            yield from walk_tasks(child)


def _target_name(target: str | WorkflowTarget | None) -> str | None:
    return target if target is None or isinstance(target, str) else target.name


def _target_version(target: str | WorkflowTarget | None) -> int | None:
    return None if target is None or isinstance(target, str) else target.version


def _field_names(model: type[BaseModel] | None) -> list[str] | None:
    if model is None:
        return None
    return [info.alias or name for name, info in model.model_fields.items()]


def _defaults(model: type[BaseModel] | None) -> dict[str, Any] | None:
    if model is None:
        return None
    try:
        return model().model_dump(mode="json", by_alias=True)
    except ValueError as error:
        raise DefinitionError(
            f"variables model {model.__name__} needs a default for every field: {error}"
        ) from error

"""The Workflow builder, and the compiled form validation and output work on (pure)."""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypedDict

from pydantic import BaseModel, TypeAdapter, ValidationError
from typing_extensions import TypeVar

from deploy_dsl.arguments import require
from deploy_dsl.contracts import body_problems
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref, render, value_schema, workflow_input
from deploy_dsl.findings import Code, Problem
from deploy_dsl.kinds.sub_workflow import WorkflowTarget
from deploy_dsl.location import Location, Where, caller_location
from deploy_dsl.options import CacheConfig, RateLimitConfig, SchemaDef
from deploy_dsl.schemas import ANY, Schema, model_schema, type_text
from deploy_dsl.task import CompileOptions, LocatedError, Task
from deploy_dsl.wire import WorkflowDef

__all__ = [
    "AnyTarget",
    "AnyWorkflow",
    "CompiledWorkflow",
    "ExternalWorkflow",
    "InputField",
    "Workflow",
    "WorkflowExportedFields",
    "input_defaults",
    "input_fields",
    "walk_tasks",
]


# A workflow's input and output models to the type checker: `inputs` is the input model; a
# SubWorkflow calling it reads the output model (Ref, open, when it declares none). Covariant:
# a workflow is only read from, so Workflow[DeploymentInput, Ref] is a Workflow.
In = TypeVar("In", bound=BaseModel, covariant=True, default=BaseModel)
Out = TypeVar("Out", covariant=True, default=Ref)


@dataclass(frozen=True)
class ExternalWorkflow(Generic[Out]):
    """A workflow registered by someone else that this project's workflows may call.

    Args:
        name: its registered name.
        version: the version to call.
        output_schema: the fields its output may be read by (open by default; the output
            model's fields when one is given).
        input_model: its input model, when known: callers' inputs are checked against it.
        output_model: its output model, when known: what callers read from its output, for
            the type checker too.
    """

    name: str
    version: int
    output_schema: Schema = ANY
    input_model: type[BaseModel] | None = None
    output_model: type[Out] | None = None

    def __post_init__(self) -> None:
        model = self.output_model
        if model is not None and self.output_schema is ANY:
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                raise DefinitionError(
                    f"ExternalWorkflow {self.name!r}: output_model must be a pydantic model class"
                )
            object.__setattr__(self, "output_schema", model_schema(model))


class WorkflowExportedFields(TypedDict, total=False):
    """WorkflowDef fields as a server exported them where the arguments write them otherwise:
    a value written only where the builder writes nothing (an empty `inputTemplate`), or
    None, which leaves out a field the builder writes and the export does not have."""

    inputParameters: Sequence[str] | None
    outputParameters: Mapping[str, Any] | None
    inputTemplate: Mapping[str, Any] | None
    variables: Mapping[str, Any] | None
    schemaVersion: int | None


@dataclass(frozen=True)
class CompiledWorkflow:
    definition: WorkflowDef
    # (workflow name, task reference or None for the workflow) -> every "file:line" where one
    # was written (a duplicate reference has several)
    locations: Mapping[tuple[str, str | None], tuple[Where, ...]] = field(default_factory=dict)
    # (workflow name, task reference) -> where the task's script literal starts
    scripts: Mapping[tuple[str, str], Location] = field(default_factory=dict)


class Workflow(Generic[In, Out]):
    """A Conductor workflow definition written in Python.

    `input` is a pydantic model: its fields are the workflow's declared inputs, `inputs` gives
    typed references to them, and its defaults become the workflow's inputTemplate, which the
    server applies to every start (from the API, another workflow, a schedule).
    `variables`, if given, is a model of the workflow's variables: the defaults are their
    initial values; a field without a default is one the workflow's SET_VARIABLE tasks set
    (the server starts the workflow without it).
    `output_model`, if given, is the model of `output`: a SubWorkflow calling this workflow
    reads its output as that model (in the type checker too).

    Args:
        name: the workflow's name.
        version: its version; a change of content needs a new one.
        tasks: the tasks, in the order they run.
        owner_email: ownerEmail (some servers require it).
        input: the input model.
        output: outputParameters; values may be references.
        output_model: the model `output` is an instance of (checked when the definition is
            imported): what callers read from the output.
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
        input_parameters: inputParameters as written, when they are not the input model's
            fields (JSON that declares fewer inputs than it reads).
        rate_limit: how many executions may run at once (RateLimitConfig).
        input_schema: the schema a start's input is checked against.
        output_schema: the schema the output is checked against.
        enforce_schema: whether the schemas are enforced.
        cache_config: reuse an earlier execution's output (CacheConfig).
        masked_fields: input and output fields the server masks when it shows them.
        metadata: free-form metadata kept with the definition.
        status_listener_enabled: workflowStatusListenerEnabled: the server's workflow status
            listener hears this workflow's status changes.
        status_listener_sink: workflowStatusListenerSink, where that listener publishes.
        exported: fields as a server exported them that the arguments write otherwise (for
            imported JSON).
        extra: WorkflowDef fields this library has no argument for, written as given (for
            what a newer server adds).
    """

    def __init__(
        self,
        name: str,
        *,
        version: int,
        tasks: Sequence[Task],
        owner_email: str | None,
        input: type[In] | None = None,
        output: Mapping[str, Any] | None = None,
        output_model: type[Out] | None = None,
        variables: type[BaseModel] | None = None,
        description: str | None = None,
        timeout_seconds: int | None = None,
        timeout_policy: Literal["TIME_OUT_WF", "ALERT_ONLY"] | None = None,
        failure_workflow: str | WorkflowTarget | None = None,
        restartable: bool | None = None,
        schema_version: int | None = 2,
        input_parameters: Sequence[str] | None = None,
        rate_limit: RateLimitConfig | None = None,
        input_schema: SchemaDef | None = None,
        output_schema: SchemaDef | None = None,
        enforce_schema: bool | None = None,
        cache_config: CacheConfig | None = None,
        masked_fields: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        status_listener_enabled: bool | None = None,
        status_listener_sink: str | None = None,
        exported: WorkflowExportedFields | None = None,
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
        require(owner, "restartable", restartable, bool, optional=True)
        require(owner, "input_parameters", input_parameters, list, tuple, optional=True)
        require(owner, "rate_limit", rate_limit, RateLimitConfig, optional=True)
        require(owner, "input_schema", input_schema, SchemaDef, optional=True)
        require(owner, "output_schema", output_schema, SchemaDef, optional=True)
        require(owner, "enforce_schema", enforce_schema, bool, optional=True)
        require(owner, "cache_config", cache_config, CacheConfig, optional=True)
        require(owner, "masked_fields", masked_fields, list, tuple, optional=True)
        require(owner, "metadata", metadata, Mapping, optional=True)
        require(owner, "status_listener_enabled", status_listener_enabled, bool, optional=True)
        require(owner, "status_listener_sink", status_listener_sink, str, optional=True)
        require(owner, "exported", exported, Mapping, optional=True)
        require(owner, "extra", extra, Mapping, optional=True)
        models = (("input", input), ("variables", variables), ("output_model", output_model))
        for model_argument, model in models:
            if model is not None and not (isinstance(model, type) and issubclass(model, BaseModel)):
                raise DefinitionError(f"{owner}: {model_argument} must be a pydantic model class")
        if failure_workflow is not None and not isinstance(failure_workflow, str):
            require(owner, "failure_workflow.name", getattr(failure_workflow, "name", None), str)
        if not tasks:
            raise DefinitionError(f"workflow {name!r}: needs at least one task")
        for task in tasks:
            if not isinstance(task, Task):
                raise DefinitionError(f"workflow {name!r}: tasks must be tasks, got {task!r:.60}")
        self.name = name
        self.version = version
        self.tasks = list(tasks)
        self.owner_email = owner_email
        self.input_model = input
        self.output = dict(output or {})
        self.output_model = output_model
        if output_model is not None:
            assert issubclass(output_model, BaseModel)  # checked above
            # A mistake here stops the definition (a DefinitionError), so the code goes unused.
            problems = body_problems(output_model, self.output, "the output", Code.REQUEST_BODY)
            problem = next(problems, None)
            if problem is not None:
                raise DefinitionError(f"{owner}: {problem.message}")
        self.variables_model = variables
        self.description = description
        self.timeout_seconds = timeout_seconds
        self.timeout_policy = timeout_policy
        self.failure_workflow = failure_workflow
        self.restartable = restartable
        self.schema_version = schema_version
        self.input_parameters = list(input_parameters) if input_parameters is not None else None
        self.fields: dict[str, Any] = {
            "workflowStatusListenerEnabled": status_listener_enabled,
            "workflowStatusListenerSink": status_listener_sink,
            "rateLimitConfig": rate_limit.to_wire() if rate_limit else None,
            "inputSchema": input_schema.to_wire() if input_schema else None,
            "outputSchema": output_schema.to_wire() if output_schema else None,
            "enforceSchema": enforce_schema,
            "cacheConfig": cache_config.to_wire() if cache_config else None,
            "maskedFields": list(masked_fields) if masked_fields is not None else None,
            "metadata": dict(metadata) if metadata is not None else None,
        }
        self.exported: dict[str, Any] = dict(exported or {})
        self.extra: dict[str, Any] = dict(extra or {})
        self.location = caller_location()

    @property
    def inputs(self) -> In:
        """Typed references to the workflow's inputs (`workflow_input` of its input model)."""
        if self.input_model is None:
            raise DefinitionError(f"workflow {self.name!r} declares no input model")
        return workflow_input(self.input_model)

    @property
    def output_schema(self) -> Schema:
        """What a SUB_WORKFLOW calling this workflow may read from its output: the output
        model's fields, else each output field with the shape of the reference it is built
        from."""
        model = self.output_model
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model_schema(model)
        return {key: value_schema(value) for key, value in self.output.items()}

    def problems(self) -> Iterator[tuple[Task, Problem]]:
        """Typed problems of the workflow's tasks, found when it is compiled: each task's own,
        and SET_VARIABLE tasks against the variables model."""
        for task in walk_tasks(self.tasks):
            for problem in task.problems():
                yield task, problem
            if task.task_type == "SET_VARIABLE" and self.variables_model is not None:
                what, code = "the workflow's variables", Code.SET_VARIABLE_FIELD
                for problem in body_problems(
                    self.variables_model, task.inputs, what, code, partial=True
                ):
                    yield task, problem

    def compile(self, options: CompileOptions | None = None) -> CompiledWorkflow:
        try:
            return self._compile(options or CompileOptions())
        except LocatedError:
            raise
        except (DefinitionError, ValidationError, TypeError) as error:
            message = " ".join(str(error).split())
            raise LocatedError(self.location, f"workflow {self.name!r}: {message}") from None

    def _compile(self, options: CompileOptions) -> CompiledWorkflow:
        declared = self.input_parameters
        fields: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "version": self.version,
            "schemaVersion": self.schema_version,
            "ownerEmail": self.owner_email,
            "inputParameters": declared if declared is not None else _field_names(self.input_model),
            "outputParameters": render(self.output) if self.output else None,
            "variables": _defaults(self.variables_model),
            "inputTemplate": input_defaults(self.input_model) or None,
            "tasks": [task.to_wire(options) for task in self.tasks],
            "failureWorkflow": _target_name(self.failure_workflow),
            "failureWorkflowVersion": _target_version(self.failure_workflow),
            "restartable": self.restartable,
            "timeoutPolicy": self.timeout_policy,
            "timeoutSeconds": self.timeout_seconds,
            **self.fields,
        }
        for field_name, value in self.exported.items():
            if value is None or fields.get(field_name) is None:
                fields[field_name] = value
        fields.update(self.extra)
        locations: dict[tuple[str, str | None], tuple[Where, ...]] = {}
        scripts: dict[tuple[str, str], Location] = {}
        if self.location:
            locations[(self.name, None)] = (self.location,)
        for task in walk_tasks(self.tasks):
            if task.location:
                key = (self.name, task.ref)
                locations[key] = (*locations.get(key, ()), task.location)
            if task.script_location:
                scripts.setdefault((self.name, task.ref), task.script_location)
        return CompiledWorkflow(WorkflowDef.model_validate(fields), locations, scripts)


# Any workflow, whatever its models: a bare `Workflow` is one without an output model
# (Workflow[BaseModel, Ref]), which a workflow with one is not.
AnyWorkflow = Workflow[BaseModel, object]
# What a schedule or an event handler's action starts: any workflow, the project's or one
# registered by someone else.
AnyTarget = AnyWorkflow | ExternalWorkflow[object]


def walk_tasks(tasks: Sequence[Task]) -> Iterator[Task]:
    """Every task, nested ones included, in definition order."""
    for task in tasks:
        yield task
        for child in task.children():
            yield from walk_tasks(child)


def input_defaults(model: type[BaseModel] | None) -> dict[str, Any]:
    """The defaults of an input model, by input name (`Field(default=...)` and
    `default_factory` too), as JSON; a None default is left out: the server reads an absent
    input and a null one the same way."""
    return {} if model is None else copy.deepcopy(_model_defaults(model))


@functools.cache
def _model_defaults(model: type[BaseModel]) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.is_required():
            continue
        value = info.get_default(call_default_factory=True)
        if value is not None:
            adapter: TypeAdapter[Any] = TypeAdapter(info.annotation or Any)
            defaults[info.alias or name] = adapter.dump_python(value, mode="json", by_alias=True)
    return defaults


@dataclass(frozen=True)
class InputField:
    """One input of a workflow as its docs page shows it."""

    name: str
    type: str
    required: bool
    description: str | None


def input_fields(model: type[BaseModel] | None) -> tuple[InputField, ...]:
    """The fields of an input model, each with its type as written and its description."""
    if model is None:
        return ()
    return tuple(
        InputField(
            info.alias or name, type_text(info.annotation), info.is_required(), info.description
        )
        for name, info in model.model_fields.items()
    )


def _target_name(target: str | WorkflowTarget | None) -> str | None:
    return target if target is None or isinstance(target, str) else target.name


def _target_version(target: str | WorkflowTarget | None) -> int | None:
    return None if target is None or isinstance(target, str) else target.version


def _field_names(model: type[BaseModel] | None) -> list[str] | None:
    if model is None:
        return None
    return [info.alias or name for name, info in model.model_fields.items()]


def _defaults(model: type[BaseModel] | None) -> dict[str, Any] | None:
    """The workflow's initial variables: the fields of the variables model that have a default.
    A field without one is a variable the workflow sets (SET_VARIABLE) and starts without."""
    if model is None:
        return None
    initial = {name for name, info in model.model_fields.items() if not info.is_required()}
    return model.model_construct().model_dump(mode="json", by_alias=True, include=initial)

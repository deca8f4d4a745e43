"""The base of every task builder: a task's identity, the options every task type shares, and
compiling to a WorkflowTask (pure).

A builder checks its arguments when the definition is written and records the `file:line` that
wrote it; `to_wire` turns it into a WorkflowTask when the workflow is compiled. Each task type's
builder lives in its own module of `deploy_dsl.kinds`, with everything else the project knows of
that type.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Generic, Literal, TypedDict, Unpack, cast, get_args

from pydantic import BaseModel, ValidationError
from typing_extensions import TypeVar

from deploy_dsl.arguments import require
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref, render, value_schema
from deploy_dsl.findings import Code, Problem, coded
from deploy_dsl.location import Location, caller_location
from deploy_dsl.options import CacheConfig, StateChangeEvent
from deploy_dsl.schemas import ANY, Schema
from deploy_dsl.taskdef import TaskDef
from deploy_dsl.wire import WorkflowTask, dump

__all__ = [
    "CONDITION_EVALUATORS",
    "DEFAULT_PROMETHEUS_URL",
    "DEFAULT_WORKER_BASE_URL",
    "CompileOptions",
    "Evaluator",
    "ExportedFields",
    "LocatedError",
    "ModelClass",
    "Task",
    "TaskOptions",
    "is_model",
    "one_line",
    "task_list",
    "unknown_argument",
]

DEFAULT_WORKER_BASE_URL = "http://localhost:3000"
# Prometheus's own default port.
DEFAULT_PROMETHEUS_URL = "http://localhost:9090"
# A task class's `type` attribute hides the builtin inside its body.
ModelClass = type[BaseModel]
# The script evaluators of SWITCH, DO_WHILE and JOIN conditions (value-param: an input's value).
Evaluator = Literal["value-param", "javascript", "graaljs"]
CONDITION_EVALUATORS: Final = get_args(Evaluator)
_REFERENCE_NAME = re.compile(r"[A-Za-z0-9_.\-]+\Z")
# What `.output` is to the type checker: each builder names its view (an HTTP step's
# HttpOutput[Answer], an open Ref, ...). A bare `Task` is any task: its output is an object.
Output = TypeVar("Output", covariant=True, default=object)


@dataclass(frozen=True)
class CompileOptions:
    """What may differ between the committed build/ and a registration: the URLs of the
    worker and of Prometheus."""

    worker_base_url: str = DEFAULT_WORKER_BASE_URL
    prometheus_url: str = DEFAULT_PROMETHEUS_URL


class ExportedFields(TypedDict, total=False):
    """WorkflowTask fields as a server exported them where the builder writes them otherwise:
    one the task's type does not use (an export spells out `"forkTasks": []` on every task),
    written only where the builder writes nothing; or None, which leaves out a field the
    builder writes and the export does not have. The importer writes them so that a build
    gives back the same JSON."""

    inputParameters: None
    dynamicTaskNameParam: str | None
    caseValueParam: str | None
    caseExpression: str | None
    scriptExpression: str | None
    decisionCases: Mapping[str, Sequence[Any]] | None
    dynamicForkJoinTasksParam: str | None
    dynamicForkTasksParam: str | None
    dynamicForkTasksInputParamName: str | None
    defaultCase: Sequence[Any] | None
    forkTasks: Sequence[Sequence[Any]] | None
    startDelay: int | None
    subWorkflowParam: Mapping[str, Any] | None
    joinOn: Sequence[str] | None
    sink: str | None
    optional: bool | None
    taskDefinition: Mapping[str, Any] | None
    rateLimited: bool | None
    defaultExclusiveJoinTask: Sequence[str] | None
    asyncComplete: bool | None
    loopCondition: str | None
    loopOver: Sequence[Any] | None
    items: str | None
    retryCount: int | None
    evaluatorType: str | None
    expression: str | None
    onStateChange: Mapping[str, Sequence[Any]] | None
    joinStatus: str | None
    cacheConfig: Mapping[str, Any] | None
    permissive: bool | None
    joinMode: str | None
    metadata: Mapping[str, Any] | None


class TaskOptions(TypedDict, total=False):
    """The WorkflowTask fields every task type shares: keyword arguments of every task builder.

    Args:
        name: the task name, which selects the TaskDef (retries, timeouts); defaults to `ref`.
        inputs: inputParameters; values may be typed references (`inputs.scope`).
        description: shown in the docs and the server's UI.
        optional: a failure of an optional task does not fail the workflow.
        start_delay: seconds before the task is scheduled.
        async_complete: the task stays IN_PROGRESS until completed from outside.
        retry_count: retryCount, overriding the TaskDef's for this task.
        rate_limited: rateLimited: apply the TaskDef's rate limit to this task.
        permissive: a failure fails the workflow only once the other running tasks finish.
        on_state_change: events the server publishes when the task reaches a state, by state
            (`{"onSuccess": [StateChangeEvent("conductor:done")]}`).
        cache_config: reuse an earlier result (CacheConfig).
        task_definition: a TaskDef embedded in the task, used instead of the one registered
            under its name.
        metadata: free-form metadata kept with the task.
        exported: fields a server exported that this type does not use (for imported JSON).
        extra: WorkflowTask fields this library has no argument for, written as given (for
            what a newer server adds).
    """

    name: str
    inputs: Mapping[str, Any]
    description: str
    optional: bool
    start_delay: int
    async_complete: bool
    retry_count: int
    rate_limited: bool
    permissive: bool
    on_state_change: Mapping[str, Sequence[StateChangeEvent]]
    cache_config: CacheConfig
    task_definition: TaskDef
    metadata: Mapping[str, Any]
    exported: ExportedFields
    extra: Mapping[str, Any]


OPTION_NAMES = frozenset(TaskOptions.__annotations__)
# The options whose values are structures of their own, checked by _check_structured.
_STRUCTURED = frozenset(
    {"on_state_change", "cache_config", "task_definition", "metadata", "exported", "extra"}
)
# Each option with its WorkflowTask field and the type it must have.
_SCALAR_OPTIONS: dict[str, tuple[str, type]] = {
    "optional": ("optional", bool),
    "start_delay": ("startDelay", int),
    "async_complete": ("asyncComplete", bool),
    "retry_count": ("retryCount", int),
    "rate_limited": ("rateLimited", bool),
    "permissive": ("permissive", bool),
}


class Task(Generic[Output]):
    """One WorkflowTask: its reference, and the options every task type shares (TaskOptions).

    Generic in what `.output` is to the type checker (see each builder); at run time it is a
    Ref, whatever the view.

    Args:
        ref: the task reference name, unique in the workflow (letters, digits, `_ - .`).
        **options: TaskOptions.
    """

    type: ClassVar[str]
    output_schema: ClassVar[Schema] = ANY
    # Where the task's script (or query, or condition) was written as a literal, for builders
    # that take one: a syntax error in it is reported at its own line.
    script_location: Location | None = None

    def __init__(self, ref: str, **options: Unpack[TaskOptions]) -> None:
        if not isinstance(ref, str) or not _REFERENCE_NAME.match(ref):
            raise DefinitionError(
                f"task reference name {ref!r} must be a non-empty string of letters, digits, "
                "'_', '-' or '.'"
            )
        self.ref = ref
        self.location = caller_location()
        self.task_type = type(self).type
        self.options = options
        self.name: str = ref
        self.inputs: dict[str, Any] = {}
        self.description: str | None = None
        # The shared fields in wire form, checked here so a mistake is reported at its line.
        self.common: dict[str, Any] = {}
        if options:  # most tasks take a few options or none: only those given are looked at
            self._take_options(options)

    def _take_options(self, options: TaskOptions) -> None:
        owner = f"{type(self).__name__} {self.ref!r}"
        if not options.keys() <= OPTION_NAMES:
            unknown = min(options.keys() - OPTION_NAMES)
            raise DefinitionError(unknown_argument(owner, unknown, type(self)))
        # Each value is checked by require() before use; pyright reads a TypedDict's values
        # as object, whatever the annotation says.
        given = cast("Mapping[str, Any]", options)
        for key, value in given.items():
            if value is None:
                continue
            scalar = _SCALAR_OPTIONS.get(key)
            if scalar is not None:
                require(owner, key, value, scalar[1])
                self.common[scalar[0]] = value
            elif key == "name":
                require(owner, key, value, str)
                self.name = value or self.ref
            elif key == "inputs":
                require(owner, key, value, Mapping)
                self.inputs = dict(value)
            elif key == "description":
                require(owner, key, value, str)
                self.description = value
        if options.keys() & _STRUCTURED:
            self._check_structured(owner, options)

    def _check_structured(self, owner: str, options: TaskOptions) -> None:
        events = options.get("on_state_change")
        if events is not None:
            require(owner, "on_state_change", events, Mapping)
            for state, listed in events.items():
                if not isinstance(listed, Sequence) or not all(
                    isinstance(event, StateChangeEvent) for event in listed
                ):
                    raise DefinitionError(
                        f"{owner}: on_state_change[{state!r}] must be a list of StateChangeEvent"
                    )
            self.common["onStateChange"] = {
                str(state): [event.to_wire() for event in listed]
                for state, listed in events.items()
            }
        cache = options.get("cache_config")
        if cache is not None:
            require(owner, "cache_config", cache, CacheConfig)
            self.common["cacheConfig"] = cache.to_wire()
        definition = options.get("task_definition")
        if definition is not None:
            require(owner, "task_definition", definition, TaskDef)
            self.common["taskDefinition"] = dump(definition.to_wire())
        metadata = options.get("metadata")
        if metadata is not None:
            require(owner, "metadata", metadata, Mapping)
            self.common["metadata"] = render(dict(metadata))
        for key in ("exported", "extra"):
            require(owner, key, options.get(key), Mapping, optional=True)

    @property
    def output(self) -> Output:
        """`${<ref>.output}`, typed by what this task returns: the type checker sees the
        builder's view of it (an HTTP step's `response.body` as its answer model)."""
        # The one place a task's output reference is handed to the checker as that view.
        return cast(Output, self.output_ref())

    def output_ref(self) -> Ref:
        """`${<ref>.output}` as the Ref it is, for code that walks references by name."""
        return Ref(f"{self.ref}.output", self.output_fields())

    def output_fields(self) -> Schema:
        """The shape of this task's output; builders that know more (a response model, a
        callee's output) say so here."""
        return type(self).output_schema

    def problems(self) -> Iterator[Problem]:
        """What is wrong with this task that only its typed arguments show (a body against its
        model); found when the workflow is compiled, reported at the task's line."""
        return iter(())

    @property
    def input(self) -> Ref:
        """`${<ref>.input}`, restricted to the inputs this task was given, each typed by the
        value it was given."""
        return Ref(f"{self.ref}.input", value_schema(self.inputs))

    def children(self) -> list[list[Task]]:
        """Nested task lists (cases, branches, loop body); leaf tasks have none."""
        return []

    def to_wire(self, options: CompileOptions) -> WorkflowTask:
        try:
            return self._to_wire(options)
        except LocatedError:
            raise
        except (DefinitionError, ValidationError, TypeError) as error:
            # Compiling runs far from the definition: say which task, and where it was written.
            raise LocatedError(self.location, f"task {self.ref!r}: {one_line(error)}") from None

    def _to_wire(self, options: CompileOptions) -> WorkflowTask:
        fields: dict[str, Any] = {
            "name": self.name,
            "taskReferenceName": self.ref,
            "type": self.task_type,
            "description": self.description,
            **self.common,
            "inputParameters": render(self.wire_inputs(options)),
        }
        fields.update(self.wire_fields(options))
        if self.options:
            for key, value in (self.options.get("exported") or {}).items():
                if value is None or fields.get(key) is None:
                    fields[key] = value
            fields.update(self.options.get("extra") or {})
        return WorkflowTask.model_validate(fields)

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        return self.inputs

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        """Type-specific WorkflowTask fields, by their camelCase names."""
        return {}


def unknown_argument(owner: str, argument: str, builder: Callable[..., Any]) -> str:
    """A misspelt keyword, named with the closest argument the builder has (TaskOptions too,
    when it takes them as `**options`)."""
    parameters = inspect.signature(builder).parameters.values()
    named = [p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    options = OPTION_NAMES if any(p.kind is p.VAR_KEYWORD for p in parameters) else ()
    known = sorted({*named, *options})
    close = difflib.get_close_matches(argument, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f"; it takes {', '.join(known)}"
    return f"{owner}: no argument {argument!r}{hint}"


class LocatedError(DefinitionError):
    """A definition error found while compiling, with where the failing task was written and
    its code (DSL005: a builder refused what that line wrote)."""

    def __init__(self, where: Location | None, message: str) -> None:
        text = coded(Code.BUILDER_REFUSED, message)
        super().__init__(f"{where}: {text}" if where else text)
        self.where = where


def one_line(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors(include_url=False)[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return " ".join(str(error).split())


def is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def task_list(owner: str, what: str, tasks: Sequence[Task]) -> list[Task]:
    """A nested body as a list, every item a task."""
    items = list(tasks)
    for item in items:
        if not isinstance(item, Task):
            raise DefinitionError(f"{owner}: {what} must hold tasks, got {item!r:.60}")
    return items

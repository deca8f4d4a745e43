"""Builders for Conductor's leaf task types, and the base every task builder shares.

A builder checks its arguments when the definition is written and records the `file:line` that
wrote it; `to_wire` turns it into a WorkflowTask when the workflow is compiled.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal, get_args

from pydantic import BaseModel, ValidationError

from deploy_dsl.arguments import require
from deploy_dsl.contracts import body_problems
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref, render, value_schema
from deploy_dsl.findings import Code
from deploy_dsl.location import Location, caller_location
from deploy_dsl.schemas import (
    ANY,
    LEAF,
    ListOf,
    MapOf,
    Schema,
    annotation_schema,
    model_schema,
)
from deploy_dsl.wire import WorkflowTask

__all__ = [
    "DEFAULT_PROMETHEUS_URL",
    "DEFAULT_WORKER_BASE_URL",
    "CompileOptions",
    "GenericTask",
    "Http",
    "Inline",
    "JsonJq",
    "LocatedError",
    "PrometheusEndpoint",
    "SetVariable",
    "Simple",
    "Task",
    "Terminate",
    "Wait",
    "WorkerEndpoint",
]

DEFAULT_WORKER_BASE_URL = "http://localhost:3000"
# Prometheus's own default port.
DEFAULT_PROMETHEUS_URL = "http://localhost:9090"
# A task class's `type` attribute hides the builtin inside its body.
ModelClass = type[BaseModel]
_REFERENCE_NAME = re.compile(r"[A-Za-z0-9_.\-]+\Z")


@dataclass(frozen=True)
class CompileOptions:
    """What may differ between the committed build/ and a registration: the URLs of the
    worker and of Prometheus."""

    worker_base_url: str = DEFAULT_WORKER_BASE_URL
    prometheus_url: str = DEFAULT_PROMETHEUS_URL


@dataclass(frozen=True)
class WorkerEndpoint:
    """A path on the worker, joined to the worker URL when the workflow is compiled.

    `build` joins it to the default URL (the same on every machine); `register` to the
    WORKER_BASE_URL of the active settings.

    Args:
        path: the path on the worker, e.g. `"swap_traffic"` for `POST /swap_traffic`.
    """

    path: str

    def url(self, options: CompileOptions) -> str:
        return f"{options.worker_base_url.rstrip('/')}/{self.path.lstrip('/')}"


@dataclass(frozen=True)
class PrometheusEndpoint:
    """A path of Prometheus's HTTP API, joined to the Prometheus URL when the workflow is
    compiled: the default URL by `build`, PROMETHEUS_URL by `register`.

    Args:
        path: the path, e.g. `"api/v1/query"` (instant queries).
    """

    path: str = "api/v1/query"

    def url(self, options: CompileOptions) -> str:
        return f"{options.prometheus_url.rstrip('/')}/{self.path.lstrip('/')}"


class Task:
    """One WorkflowTask: identity and the fields every task type shares.

    Every builder takes these arguments besides its own.

    Args:
        ref: the task reference name, unique in the workflow (letters, digits, `_ - .`).
        name: the task name, which selects the TaskDef (retries, timeouts); defaults to `ref`.
        inputs: inputParameters; values may be typed references (`wf.inputs.scope`).
        description: shown in the docs and the server's UI.
        optional: a failure of an optional task does not fail the workflow.
        start_delay: seconds before the task is scheduled.
        async_complete: the task stays IN_PROGRESS until completed from outside.
        defaults: fields written only where the builder writes nothing (for imported JSON).
        extra: WorkflowTask fields this library has no argument for, written as given.
    """

    type: ClassVar[str]
    output_schema: ClassVar[Schema] = ANY

    def __init__(
        self,
        ref: str,
        *,
        name: str | None = None,
        inputs: Mapping[str, Any] | None = None,
        description: str | None = None,
        optional: bool | None = None,
        start_delay: int | None = None,
        async_complete: bool | None = None,
        defaults: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(ref, str) or not _REFERENCE_NAME.match(ref):
            raise DefinitionError(
                f"task reference name {ref!r} must be a non-empty string of letters, digits, "
                "'_', '-' or '.'"
            )
        owner = f"{type(self).__name__} {ref!r}"
        require(owner, "name", name, str, optional=True)
        require(owner, "inputs", inputs, Mapping, optional=True)
        require(owner, "description", description, str, optional=True)
        require(owner, "optional", optional, bool, optional=True)
        require(owner, "start_delay", start_delay, int, optional=True)
        require(owner, "async_complete", async_complete, bool, optional=True)
        self.ref = ref
        self.name = name or ref
        self.inputs: dict[str, Any] = dict(inputs or {})
        self.description = description
        self.optional = optional
        self.start_delay = start_delay
        self.async_complete = async_complete
        # Fields written only where the builder writes nothing: JSON exported from a server
        # spells out Conductor's defaults (`"forkTasks": []` on a SIMPLE task), and an import
        # keeps them without restating them per task or overriding a container's own fields.
        self.defaults: dict[str, Any] = dict(defaults or {})
        self.extra: dict[str, Any] = dict(extra or {})
        self.task_type = type(self).type
        self.location = caller_location()

    @property
    def output(self) -> Ref:
        """`${<ref>.output}`, typed by what this task returns."""
        return Ref(f"{self.ref}.output", self.output_fields())

    def output_fields(self) -> Schema:
        """The shape of this task's output; builders that know more (a response model, a
        callee's output) say so here."""
        return type(self).output_schema

    def problems(self) -> Iterator[tuple[Code, str]]:
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
            raise LocatedError(self.location, f"task {self.ref!r}: {_one_line(error)}") from None

    def _to_wire(self, options: CompileOptions) -> WorkflowTask:
        fields: dict[str, Any] = {
            "name": self.name,
            "taskReferenceName": self.ref,
            "type": self.task_type,
            "description": self.description,
            "optional": self.optional,
            "startDelay": self.start_delay,
            "asyncComplete": self.async_complete,
            "inputParameters": render(self.wire_inputs(options)),
        }
        fields.update(self.wire_fields(options))
        for key, value in self.defaults.items():
            if fields.get(key) is None:
                fields[key] = value
        fields.update(self.extra)
        return WorkflowTask.model_validate(fields)

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        return self.inputs

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        """Type-specific WorkflowTask fields, by their camelCase names."""
        return {}


class Simple(Task):
    """A task polled by an external worker; its TaskDef is registered under `name`.

    Args:
        ref: see Task; every other argument is Task's too.
    """

    type = "SIMPLE"


class GenericTask(Task):
    """Any task type this library has no builder for (LAMBDA, USER_TASK, a custom type).

    Args:
        ref: see Task.
        task_type: the WorkflowTask `type`, written as given.
        **kwargs: Task's arguments.
    """

    type = "SIMPLE"

    def __init__(self, ref: str, *, task_type: str, **kwargs: Any) -> None:
        super().__init__(ref, **kwargs)
        self.task_type = task_type


HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
HTTP_METHODS = get_args(HttpMethod)


class Http(Task):
    """Conductor's HTTP system task; a non-2xx answer fails it (retries come from its TaskDef).

    Args:
        ref: see Task.
        uri: the URL, a WorkerEndpoint or PrometheusEndpoint, or a reference that holds the
            URL.
        method: the HTTP method.
        body: the request body (JSON; may hold references).
        headers: request headers.
        content_type: the request's Content-Type.
        accept: the Accept header.
        connection_timeout_ms: connectionTimeOut, in milliseconds.
        read_timeout_ms: readTimeOut, in milliseconds.
        request: the model the body must be an instance of (checked when compiled).
        response: the model of a 2xx answer's body: `output.response.body.<field>` is checked
            against it when the definition is imported.
        **kwargs: Task's arguments.
    """

    type = "HTTP"

    def __init__(
        self,
        ref: str,
        *,
        uri: str | WorkerEndpoint | PrometheusEndpoint | Ref,
        method: HttpMethod = "GET",
        body: Any = None,
        headers: Mapping[str, Any] | None = None,
        content_type: str | None = None,
        accept: str | None = None,
        connection_timeout_ms: int | Ref | None = None,
        read_timeout_ms: int | Ref | None = None,
        request: ModelClass | None = None,
        response: ModelClass | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(ref, **kwargs)
        owner = f"Http {ref!r}"
        if request is not None and not _is_model(request):
            raise DefinitionError(f"{owner}: request must be a pydantic model class")
        if response is not None and not _is_model(response):
            raise DefinitionError(f"{owner}: response must be a pydantic model class")
        self.request_model = request
        self.response_model = response
        require(owner, "uri", uri, str, WorkerEndpoint, PrometheusEndpoint, Ref)
        if method not in HTTP_METHODS:
            raise DefinitionError(f"{owner}: method {method!r} is not one of {HTTP_METHODS}")
        require(owner, "headers", headers, Mapping, optional=True)
        require(owner, "connection_timeout_ms", connection_timeout_ms, int, Ref, optional=True)
        require(owner, "read_timeout_ms", read_timeout_ms, int, Ref, optional=True)
        self.uri = uri
        self.method = method
        self.request: dict[str, Any] = {
            "method": method,
            "headers": dict(headers) if headers is not None else None,
            "body": body,
            "contentType": content_type,
            "accept": accept,
            "connectionTimeOut": connection_timeout_ms,
            "readTimeOut": read_timeout_ms,
        }

    def output_fields(self) -> Schema:
        if self.response_model is None:
            return _OPEN_HTTP_OUTPUT
        return _http_output(model_schema(self.response_model))

    def problems(self) -> Iterator[tuple[Code, str]]:
        body = self.request["body"]
        if self.request_model is None:
            return
        if not isinstance(body, Mapping):
            yield Code.REQUEST_BODY, f"the body must be a mapping for {self.request_model.__name__}"
            return
        for problem in body_problems(self.request_model, body, "the body"):
            yield Code.REQUEST_BODY, problem

    def url(self, options: CompileOptions) -> str:
        uri = self.uri
        return (
            uri.url(options) if isinstance(uri, WorkerEndpoint | PrometheusEndpoint) else str(uri)
        )

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        request = {"uri": self.url(options)}
        request.update((k, v) for k, v in self.request.items() if v is not None)
        return {"http_request": request, **self.inputs}


def _http_output(body: Schema) -> Schema:
    """What an HTTP task returns: Conductor's HttpTask puts the answer under `response`."""
    return {
        "response": {"body": body, "statusCode": LEAF, "headers": MapOf(ANY), "reasonPhrase": LEAF}
    }


# Most HTTP tasks declare no response model; `.output` of each is read often (every reference
# to it), so the open shape is built once. Schemas are never changed after they are made.
_OPEN_HTTP_OUTPUT: Final = _http_output(ANY)


class Inline(Task):
    """A script run on the server (graaljs by default); `$` is the task's inputs.

    Args:
        ref: see Task.
        script: the expression; its value is the task's `output.result`.
        evaluator: evaluatorType: `graaljs`, `javascript` or `python`.
        result: the type of what the script returns (a model, `list[Model]`, ...), which types
            `output.result`; without it the result is open.
        **kwargs: Task's arguments (`inputs` are what the script sees as `$`).
    """

    type = "INLINE"

    def __init__(
        self,
        ref: str,
        *,
        script: str,
        evaluator: Literal["graaljs", "javascript", "python"] = "graaljs",
        result: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(ref, **kwargs)
        require(f"Inline {ref!r}", "script", script, str)
        self.result_schema = ANY if result is None else annotation_schema(result)
        self.script = script
        self.evaluator = evaluator

    def output_fields(self) -> Schema:
        return {"result": self.result_schema}

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        return {"evaluatorType": self.evaluator, "expression": self.script, **self.inputs}


class JsonJq(Task):
    """A jq query over the task's inputs (JSON_JQ_TRANSFORM).

    Args:
        ref: see Task.
        query: the jq program (queryExpression); its value is `output.result`.
        result: the type of the query's value, which types `output.result`.
        **kwargs: Task's arguments.
    """

    type = "JSON_JQ_TRANSFORM"

    def __init__(self, ref: str, *, query: str, result: Any = None, **kwargs: Any) -> None:
        super().__init__(ref, **kwargs)
        require(f"JsonJq {ref!r}", "query", query, str)
        self.query = query
        self.result_schema = ANY if result is None else annotation_schema(result)

    def output_fields(self) -> Schema:
        return {
            "result": self.result_schema,
            "resultList": ListOf(self.result_schema),
            "error": LEAF,
        }

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        return {"queryExpression": self.query, **self.inputs}


class SetVariable(Task):
    """Sets workflow variables; the keys of `inputs` are the variable names.

    Args:
        ref: see Task.
        **kwargs: Task's arguments; `inputs` maps each variable to its new value.
    """

    type = "SET_VARIABLE"
    output_schema: ClassVar[Schema] = LEAF


TerminationStatus = Literal["COMPLETED", "FAILED", "TERMINATED"]


class Terminate(Task):
    """Ends the workflow with a status, a reason and an output.

    Args:
        ref: see Task.
        status: terminationStatus: `COMPLETED`, `FAILED` or `TERMINATED`.
        reason: terminationReason, shown as the workflow's reasonForIncompletion.
        output: workflowOutput, the workflow's output when it ends here.
        **kwargs: Task's arguments.
    """

    type = "TERMINATE"

    def __init__(
        self,
        ref: str,
        *,
        status: TerminationStatus,
        reason: Any = None,
        output: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(ref, **kwargs)
        if status not in get_args(TerminationStatus):
            raise DefinitionError(
                f"Terminate {ref!r}: status {status!r} is not one of {get_args(TerminationStatus)}"
            )
        self.status = status
        self.reason = reason
        self.termination_output = output

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        fields: dict[str, Any] = {"terminationStatus": self.status}
        if self.reason is not None:
            fields["terminationReason"] = self.reason
        if self.termination_output is not None:
            fields["workflowOutput"] = self.termination_output
        return {**fields, **self.inputs}


class Wait(Task):
    """Waits for a duration (`"30s"`, `"2m"`) or until a time; `Wait.for_signal` waits until
    something completes the task from outside.

    Args:
        ref: see Task.
        duration: how long to wait, in Conductor's grammar: whole numbers with units d, h, m,
            s in that order (`"30s"`, `"1m 30s"`, `"2 hours"`), or a reference to one.
        until: a time to wait until (`"2030-01-01 10:00"`, `"2030-01-01 10:00 UTC"`), or a
            reference to one.
        **kwargs: Task's arguments.
    """

    type = "WAIT"

    def __init__(
        self,
        ref: str,
        *,
        duration: str | Ref | None = None,
        until: str | Ref | None = None,
        **kwargs: Any,
    ) -> None:
        signal = kwargs.pop("_signal", False)
        if duration is not None and until is not None:
            raise DefinitionError(f"WAIT task {ref!r}: give duration or until, not both")
        if duration is None and until is None and not signal:
            raise DefinitionError(
                f"WAIT task {ref!r}: give duration= or until=; to wait until something "
                "completes it from outside, write Wait.for_signal(...)"
            )
        require(f"WAIT task {ref!r}", "duration", duration, str, Ref, optional=True)
        require(f"WAIT task {ref!r}", "until", until, str, Ref, optional=True)
        super().__init__(ref, **kwargs)
        self.duration = duration
        self.until = until

    @classmethod
    def for_signal(cls, ref: str, **kwargs: Any) -> Wait:
        """A WAIT with neither duration nor until: it stays IN_PROGRESS until completed through
        the task API (`deploy-dsl approve`, a person, another system).

        Args:
            ref: see Task.
            **kwargs: Task's arguments.
        """
        return cls(ref, _signal=True, **kwargs)

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        fields = {"duration": self.duration, "until": self.until}
        return {**{k: v for k, v in fields.items() if v is not None}, **self.inputs}


class LocatedError(DefinitionError):
    """A definition error found while compiling, with where the failing task was written."""

    def __init__(self, where: Location | None, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where


def _one_line(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors(include_url=False)[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return " ".join(str(error).split())


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)

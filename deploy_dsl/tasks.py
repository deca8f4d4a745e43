"""Builders for Conductor's leaf task types, and the base every task builder shares.

A builder checks its arguments when the definition is written and records the `file:line` that
wrote it; `to_wire` turns it into a WorkflowTask when the workflow is compiled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

from pydantic import ValidationError

from deploy_dsl.arguments import require
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref, render
from deploy_dsl.location import Location, caller_location
from deploy_dsl.schemas import ANY, LEAF, Schema
from deploy_dsl.wire import WorkflowTask

__all__ = [
    "DEFAULT_WORKER_BASE_URL",
    "CompileOptions",
    "GenericTask",
    "Http",
    "Inline",
    "JsonJq",
    "LocatedError",
    "SetVariable",
    "Simple",
    "Task",
    "Terminate",
    "Wait",
    "WorkerEndpoint",
]

DEFAULT_WORKER_BASE_URL = "http://localhost:3000"
_REFERENCE_NAME = re.compile(r"[A-Za-z0-9_.\-]+\Z")


@dataclass(frozen=True)
class CompileOptions:
    """What may differ between the committed build/ and a registration: only the worker URL."""

    worker_base_url: str = DEFAULT_WORKER_BASE_URL


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
        """`${<ref>.output}`, typed by what this task type returns."""
        return Ref(f"{self.ref}.output", self.output_schema)

    @property
    def input(self) -> Ref:
        """`${<ref>.input}`, restricted to the inputs this task was given."""
        return Ref(f"{self.ref}.input", {key: ANY for key in self.inputs})

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
        uri: the URL, a WorkerEndpoint, or a reference that holds the URL.
        method: the HTTP method.
        body: the request body (JSON; may hold references).
        headers: request headers.
        content_type: the request's Content-Type.
        accept: the Accept header.
        connection_timeout_ms: connectionTimeOut, in milliseconds.
        read_timeout_ms: readTimeOut, in milliseconds.
        **kwargs: Task's arguments.
    """

    type = "HTTP"
    output_schema: ClassVar[Schema] = {
        "response": {"body": ANY, "statusCode": LEAF, "headers": ANY, "reasonPhrase": LEAF}
    }

    def __init__(
        self,
        ref: str,
        *,
        uri: str | WorkerEndpoint | Ref,
        method: HttpMethod = "GET",
        body: Any = None,
        headers: Mapping[str, Any] | None = None,
        content_type: str | None = None,
        accept: str | None = None,
        connection_timeout_ms: int | None = None,
        read_timeout_ms: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(ref, **kwargs)
        owner = f"Http {ref!r}"
        require(owner, "uri", uri, str, WorkerEndpoint, Ref)
        if method not in HTTP_METHODS:
            raise DefinitionError(f"{owner}: method {method!r} is not one of {HTTP_METHODS}")
        require(owner, "headers", headers, Mapping, optional=True)
        require(owner, "connection_timeout_ms", connection_timeout_ms, int, optional=True)
        require(owner, "read_timeout_ms", read_timeout_ms, int, optional=True)
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

    def url(self, options: CompileOptions) -> str:
        uri = self.uri
        return uri.url(options) if isinstance(uri, WorkerEndpoint) else str(uri)

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        request = {"uri": self.url(options)}
        request.update((k, v) for k, v in self.request.items() if v is not None)
        return {"http_request": request, **self.inputs}


class Inline(Task):
    """A script run on the server (graaljs by default); `$` is the task's inputs.

    Args:
        ref: see Task.
        script: the expression; its value is the task's `output.result`.
        evaluator: evaluatorType: `graaljs`, `javascript` or `python`.
        **kwargs: Task's arguments (`inputs` are what the script sees as `$`).
    """

    type = "INLINE"
    output_schema: ClassVar[Schema] = {"result": ANY}

    def __init__(
        self,
        ref: str,
        *,
        script: str,
        evaluator: Literal["graaljs", "javascript", "python"] = "graaljs",
        **kwargs: Any,
    ) -> None:
        super().__init__(ref, **kwargs)
        require(f"Inline {ref!r}", "script", script, str)
        self.script = script
        self.evaluator = evaluator

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        return {"evaluatorType": self.evaluator, "expression": self.script, **self.inputs}


class JsonJq(Task):
    """A jq query over the task's inputs (JSON_JQ_TRANSFORM).

    Args:
        ref: see Task.
        query: the jq program (queryExpression); its value is `output.result`.
        **kwargs: Task's arguments.
    """

    type = "JSON_JQ_TRANSFORM"
    output_schema: ClassVar[Schema] = {"result": ANY, "resultList": ANY, "error": LEAF}

    def __init__(self, ref: str, *, query: str, **kwargs: Any) -> None:
        super().__init__(ref, **kwargs)
        require(f"JsonJq {ref!r}", "query", query, str)
        self.query = query

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
    """Waits for a duration (`"30s"`, `"2m"`), until a time, or for an external signal.

    Args:
        ref: see Task.
        duration: how long to wait, e.g. `"30s"`, `"1m 30s"`.
        until: a date and time to wait until.
        **kwargs: Task's arguments.
    """

    type = "WAIT"

    def __init__(
        self, ref: str, *, duration: str | None = None, until: str | None = None, **kwargs: Any
    ) -> None:
        if duration is not None and until is not None:
            raise DefinitionError(f"WAIT task {ref!r}: give duration or until, not both")
        super().__init__(ref, **kwargs)
        self.duration = duration
        self.until = until

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

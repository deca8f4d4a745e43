"""HTTP: Conductor's HTTP system task; a non-2xx answer fails it."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, Unpack, get_args

from deploy_dsl.arguments import require
from deploy_dsl.checking import Placement, WorkflowScope, task_template
from deploy_dsl.contracts import body_problems
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref, Shape
from deploy_dsl.findings import Code, Problem
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned, Snippet
from deploy_dsl.kinds.simple import check_contract
from deploy_dsl.schemas import ANY, LEAF, MapOf, Schema, model_schema
from deploy_dsl.task import CompileOptions, ModelClass, Task, TaskOptions
from deploy_dsl.wire import WorkflowTask

__all__ = [
    "HTTP_METHODS",
    "KIND",
    "Http",
    "HttpMethod",
    "HttpOutput",
    "HttpResponse",
    "PrometheusEndpoint",
    "WorkerEndpoint",
    "http_endpoint",
]

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
HTTP_METHODS: Final = get_args(HttpMethod)


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


class HttpResponse(Generic[Shape]):
    """An HTTP task's `output.response` as the type checker sees it (HttpTask puts the answer
    there); never instantiated: at run time it is a Ref."""

    body: Shape
    statusCode: int
    headers: dict[str, Ref]
    reasonPhrase: str


class HttpOutput(Generic[Shape]):
    """An HTTP task's `output` as the type checker sees it: `response.body` is the `response=`
    model, or Ref (open) without one."""

    response: HttpResponse[Shape]


class Http(Task[HttpOutput[Shape]]):
    """Conductor's HTTP system task; a non-2xx answer fails it (retries come from its TaskDef).

    The request is `http_request` in the task's inputs (HttpTask.Input). Without `uri` the
    builder writes no request: the inputs carry it (the older form, with `uri` and `method`
    directly in the inputs, or `http_request` as one reference).

    Args:
        ref: the task reference name (see Task).
        uri: the URL, a WorkerEndpoint or PrometheusEndpoint, or a reference that holds the
            URL.
        method: the HTTP method (GET when a uri is given without one).
        body: the request body (JSON; may hold references).
        headers: request headers; values may be references.
        content_type: the request's Content-Type.
        accept: the Accept header (one media type, or a list).
        connection_timeout_ms: connectionTimeOut, in milliseconds.
        read_timeout_ms: readTimeOut, in milliseconds.
        vip_address: vipAddress, for a server that resolves services through Eureka.
        app_name: appName, with vip_address.
        request: the model the body must be an instance of (checked when compiled).
        response: the model of a 2xx answer's body: `output.response.body.<field>` is checked
            against it when the definition is imported, and is that model to the type
            checker (without one the body is Ref, open).
        **options: TaskOptions (name, inputs, ...).
    """

    type = "HTTP"

    def __init__(
        self,
        ref: str,
        *,
        uri: str | WorkerEndpoint | PrometheusEndpoint | Ref | None = None,
        method: HttpMethod | None = None,
        body: Any = None,
        headers: Mapping[str, Any] | None = None,
        content_type: str | Ref | None = None,
        accept: str | Sequence[str] | Ref | None = None,
        connection_timeout_ms: int | Ref | None = None,
        read_timeout_ms: int | Ref | None = None,
        vip_address: str | Ref | None = None,
        app_name: str | Ref | None = None,
        request: ModelClass | None = None,
        response: builtins.type[Shape] | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        owner = f"Http {ref!r}"
        self.request_model, self.response_model = check_contract(owner, request, response)
        require(owner, "uri", uri, str, WorkerEndpoint, PrometheusEndpoint, Ref, optional=True)
        if method is not None and method not in HTTP_METHODS:
            raise DefinitionError(f"{owner}: method {method!r} is not one of {HTTP_METHODS}")
        require(owner, "headers", headers, Mapping, optional=True)
        # The request is in the task's inputs: the server resolves a reference in any field.
        require(owner, "content_type", content_type, str, Ref, optional=True)
        require(owner, "accept", accept, str, list, tuple, Ref, optional=True)
        require(owner, "connection_timeout_ms", connection_timeout_ms, int, Ref, optional=True)
        require(owner, "read_timeout_ms", read_timeout_ms, int, Ref, optional=True)
        require(owner, "vip_address", vip_address, str, Ref, optional=True)
        require(owner, "app_name", app_name, str, Ref, optional=True)
        self.uri = uri
        self.method = method or "GET"
        self.body = body
        stated = {
            "method": self.method,
            "headers": dict(headers) if headers is not None else None,
            "body": body,
            "contentType": content_type,
            "accept": list(accept) if isinstance(accept, list | tuple) else accept,
            "connectionTimeOut": connection_timeout_ms,
            "readTimeOut": read_timeout_ms,
            "vipAddress": vip_address,
            "appName": app_name,
        }
        # http_request's fields but the uri, as written (the uri is joined when compiling).
        self.request: dict[str, Any] = {k: v for k, v in stated.items() if v is not None}
        if uri is None and len(self.request) > 1:
            raise DefinitionError(
                f"{owner}: the request's fields need uri=; without it the inputs carry the "
                "whole request"
            )
        if uri is None and method is not None:
            raise DefinitionError(f"{owner}: method= needs uri=")

    def output_fields(self) -> Schema:
        if self.response_model is None:
            return _OPEN_HTTP_OUTPUT
        return _http_output(model_schema(self.response_model))

    def problems(self) -> Iterator[Problem]:
        body = self.body
        if self.request_model is None:
            return
        if not isinstance(body, Mapping):
            model = self.request_model.__name__
            yield Problem(Code.REQUEST_BODY, f"the body must be a mapping for {model}")
            return
        yield from body_problems(self.request_model, body, "the body", Code.REQUEST_BODY)

    def url(self, options: CompileOptions) -> str:
        uri = self.uri
        if isinstance(uri, WorkerEndpoint | PrometheusEndpoint):
            return uri.url(options)
        return str(uri)

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        if self.uri is None:
            return self.inputs
        return {"http_request": {"uri": self.url(options), **self.request}, **self.inputs}


def _http_output(body: Schema) -> Schema:
    """What an HTTP task returns: Conductor's HttpTask puts the answer under `response`."""
    return {
        "response": {"body": body, "statusCode": LEAF, "headers": MapOf(ANY), "reasonPhrase": LEAF}
    }


# Most HTTP tasks declare no response model; `.output` of each is read often (every reference
# to it), so the open shape is built once. Schemas are never changed after they are made.
_OPEN_HTTP_OUTPUT: Final = _http_output(ANY)


def _check(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    merged = {**task_template(scope, task), **(task.input_parameters or {})}
    request = merged.get("http_request", merged)
    if isinstance(request, str):
        return  # the whole request is an expression: resolved at run time
    if not isinstance(request, Mapping):
        request = {}
    # HttpTask.start reads http_request, else the task's whole input.
    if "uri" not in request:
        rejected = placement.registration_checked and not (
            "http_request" in merged or "method" in merged
        )
        scope.report(
            Code.HTTP_NO_REQUEST,
            ref,
            "HTTP task has no uri (in http_request or its inputs): "
            + ("the server rejects it" if rejected else "the task FAILS with 'Missing HTTP URI'"),
        )
    if "method" not in request:
        scope.report(
            Code.HTTP_NO_REQUEST,
            ref,
            "HTTP task has no method: the task FAILS with 'No HTTP method specified'",
        )
    if task.name not in scope.taskdefs and task.task_definition is None:
        retried = "retried per its retryCount, 60 s apart" if task.retry_count else "not retried"
        scope.report(
            Code.HTTP_NO_TASKDEF,
            ref,
            f"no task definition named {task.name!r}: a failed call is {retried} (the "
            "server's default retryDelaySeconds is 60)",
            "warning",
        )


# http_request key -> the builder argument that writes it, and the JSON type it must have.
_REQUEST_FIELDS: Final[dict[str, tuple[str, tuple[type, ...]]]] = {
    "method": ("method", (str,)),
    "headers": ("headers", (dict,)),
    "body": ("body", (object,)),
    "contentType": ("content_type", (str,)),
    "accept": ("accept", (str, list)),
    "connectionTimeOut": ("connection_timeout_ms", (int,)),
    "readTimeOut": ("read_timeout_ms", (int,)),
    "vipAddress": ("vip_address", (str,)),
    "appName": ("app_name", (str,)),
}


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    request = inputs.get("http_request")
    if not _typed_request(request):
        return ImportPlan(Http)  # the inputs carry the request as they are
    assert isinstance(request, dict)
    uri = request["uri"]
    kwargs: list[tuple[str, Snippet]] = [("uri", code.endpoint(uri) or code.value(uri))]
    for key, (argument, _) in _REQUEST_FIELDS.items():
        if key in request and (key, request[key]) != ("method", "GET"):
            value = request[key]
            kwargs.append((argument, code.literal(value) if key == "method" else code.value(value)))
    return ImportPlan(Http, kwargs, owned_inputs=frozenset({"http_request"}))


def _typed_request(request: Any) -> bool:
    """Whether the builder's arguments can write the request exactly."""
    if not isinstance(request, dict) or not isinstance(request.get("uri"), str):
        return False
    if not request.keys() <= {"uri", *_REQUEST_FIELDS}:
        return False
    if "method" in request and request["method"] not in HTTP_METHODS:
        return False
    for key, (_, kinds) in _REQUEST_FIELDS.items():
        value = request.get(key)
        if key in request and (value is None or (type(value) not in kinds and object not in kinds)):
            return False
        if (
            key == "accept"
            and isinstance(value, list)
            and not all(isinstance(v, str) for v in value)
        ):
            return False
    return True


def http_endpoint(task: WorkflowTask) -> str | None:
    """`METHOD /path` of an HTTP task: the host is the same worker everywhere, the path is not."""
    request = (task.input_parameters or {}).get("http_request")
    if not isinstance(request, dict) or not isinstance(request.get("uri"), str):
        return None
    uri: str = request["uri"]
    host = _SCHEME_AND_HOST.match(uri)
    # No host: a relative path or an expression, shown as written.
    path = uri if host is None else (uri[host.end() :].split("#")[0] or "/")
    return f"{request.get('method', 'GET')} {path}"


# `scheme://host[:port]` (RFC 3986's authority), which every worker URL shares.
_SCHEME_AND_HOST: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]+")


KIND = Kind(
    type="HTTP",
    builder=Http,
    summary="Calls a URL from the server; a non-2xx answer fails it, retried per its TaskDef.",
    example=lambda: [
        Http(
            "smoke",
            uri="https://status.example.com/check",
            headers={"X-Deployed-By": "deploy-dsl"},
        )
    ],
    plan=_plan,
    check=_check,
    detail=http_endpoint,
    flow="system",
)

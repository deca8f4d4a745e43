"""Conductor TaskDefs as one `taskdefs` module: a list of TaskDef builders, checked like tasks.

The same calls write a task's embedded `taskDefinition`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, get_args

from pydantic import ValidationError

from deploy_dsl.errors import DefinitionError
from deploy_dsl.importer.compare import json_diff
from deploy_dsl.importer.module import Block, ModuleText
from deploy_dsl.importer.pycode import Call, ListNode, Node, Statement, Str, literal
from deploy_dsl.importer.sources import ImportFailed, Source
from deploy_dsl.options import SchemaDef
from deploy_dsl.taskdef import RateLimit, RetryLogic, RetryPolicy, TaskDef, TimeoutPolicy
from deploy_dsl.wire import AUDIT_FIELDS, dump
from deploy_dsl.wire import TaskDef as WireTaskDef

__all__ = ["TASKDEFS_MODULE", "TASKDEFS_NAME", "schema_call", "taskdef_call", "taskdefs_module"]

TASKDEFS_MODULE = "taskdefs"
TASKDEFS_NAME = "TASKDEFS"
KNOWN_FIELDS: Final = frozenset(
    info.alias or name for name, info in WireTaskDef.model_fields.items()
)
# RetryPolicy's arguments, by the TaskDef field each writes.
_RETRY: Final = {
    "retryCount": "count",
    "retryDelaySeconds": "delay_seconds",
    "backoffScaleFactor": "backoff_scale_factor",
    "maxRetryDelaySeconds": "max_delay_seconds",
    "backoffJitterMs": "jitter_ms",
}
# TaskDef's scalar arguments, by field, with the JSON type each takes.
_SCALARS: Final[dict[str, tuple[str, type]]] = {
    "description": ("description", str),
    "timeoutSeconds": ("timeout_seconds", int),
    "responseTimeoutSeconds": ("response_timeout_seconds", int),
    "totalTimeoutSeconds": ("total_timeout_seconds", int),
    "pollTimeoutSeconds": ("poll_timeout_seconds", int),
    "concurrentExecLimit": ("concurrent_exec_limit", int),
    "isolationGroupId": ("isolation_group_id", str),
    "executionNameSpace": ("execution_name_space", str),
    "baseType": ("base_type", str),
    "inputKeys": ("input_keys", list),
    "outputKeys": ("output_keys", list),
    "runtimeMetadata": ("runtime_metadata", list),
    "inputTemplate": ("input_template", dict),
    "enforceSchema": ("enforce_schema", bool),
    "taskStatusListenerEnabled": ("task_status_listener_enabled", bool),
}

Warn = Callable[[str], None]
_Built = tuple[Call, dict[str, Any]]


def taskdefs_module(sources: list[Source], warn: Warn) -> tuple[str, list[TaskDef]]:
    """The module text and the TaskDef objects it defines."""
    calls = [_taskdef(source, warn) for source in sources]
    statement = Statement(TASKDEFS_NAME, ListNode(list(calls)))
    origins = sorted({source.file_name for source in sources})
    shown = ", ".join(origins) if len(", ".join(origins)) <= 50 else f"{len(origins)} files"
    docstring = f"Task definitions imported from {shown} by `deploy-dsl import`."
    if not all(c.isascii() and c.isprintable() and c not in '\\"' for c in docstring):
        docstring = "Task definitions imported from Conductor JSON by `deploy-dsl import`."
    module = ModuleText(docstring, [TASKDEFS_NAME], [Block.of(statement)])
    return module.render(), [call.value for call in calls]


def _taskdef(source: Source, warn: Warn) -> Call:
    call = taskdef_call(source.data, lambda message: warn(f"{source.origin}: {message}"))
    if call is None:
        name = source.data.get("name")
        raise ImportFailed(f"{source.origin}: task definition {name!r} cannot be built")
    return call


def taskdef_call(data: dict[str, Any], warn: Warn) -> Call | None:
    """The TaskDef call that writes `data`, warning of what it cannot write exactly; None when
    no call builds."""
    data = {key: value for key, value in data.items() if key not in AUDIT_FIELDS}
    unknown = [key for key in data if key not in KNOWN_FIELDS]
    if unknown:
        warn(f"unknown field(s) {', '.join(unknown)} carried through in extra=")
    built = _build(data, _kwargs(data))
    if built is None:
        return None
    call, wire = built
    left = list(json_diff(data, wire))
    if left:
        warn(f"field(s) {', '.join(left)} cannot be written exactly")
    return call


def _kwargs(data: dict[str, Any]) -> list[tuple[str, Node]]:
    owner = data.get("ownerEmail")
    kwargs: list[tuple[str, Node]] = [
        ("owner_email", literal(owner if type(owner) is str else None))
    ]
    retry = _retry(data)
    if retry is not None:
        kwargs.append(("retry", retry))
    for key, (argument, kind) in _SCALARS.items():
        if type(data.get(key)) is kind:
            kwargs.append((argument, literal(data[key])))
    if data.get("timeoutPolicy") in get_args(TimeoutPolicy):
        kwargs.append(("timeout_policy", Str(data["timeoutPolicy"])))
    limit = _rate_limit(data)
    if limit is not None:
        kwargs.append(("rate_limit", limit))
    for key, argument in (("inputSchema", "input_schema"), ("outputSchema", "output_schema")):
        schema = schema_call(data.get(key))
        if schema is not None:
            kwargs.append((argument, schema))
    return kwargs


def _retry(data: dict[str, Any]) -> Call | None:
    """RetryPolicy with the fields `data` states; where its own default would write a field
    the source leaves out, None says to leave it out."""
    if not any(key in data for key in (*_RETRY, "retryLogic")):
        return None
    kwargs: list[tuple[str, Node]] = []
    for key, argument in _RETRY.items():
        value = data.get(key)
        if type(value) is int:
            kwargs.append((argument, literal(value)))
        elif argument in ("count", "delay_seconds"):
            kwargs.append((argument, literal(None)))
    logic = data.get("retryLogic")
    known = isinstance(logic, str) and logic in get_args(RetryLogic)
    kwargs.append(("logic", Str(logic) if known and isinstance(logic, str) else literal(None)))
    try:
        policy = RetryPolicy(**{key: node.value for key, node in kwargs})
    except DefinitionError:
        return None
    return Call("RetryPolicy", [], kwargs, policy)


def _rate_limit(data: dict[str, Any]) -> Call | None:
    per, seconds = data.get("rateLimitPerFrequency"), data.get("rateLimitFrequencyInSeconds")
    if type(per) is not int:
        return None
    kwargs: list[tuple[str, Node]] = [("per_frequency", literal(per))]
    if type(seconds) is int and seconds != 1:
        kwargs.append(("frequency_seconds", literal(seconds)))
    limit = RateLimit(**{key: node.value for key, node in kwargs})
    return Call("RateLimit", [], kwargs, limit)


def schema_call(value: Any) -> Call | None:
    """SchemaDef(...) for an inputSchema or outputSchema, if it has only the fields it takes."""
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return None
    fields = {"name": str, "version": int, "type": str, "data": dict, "externalRef": str}
    if not value.keys() <= fields.keys():
        return None
    arguments = {
        "version": "version",
        "type": "type",
        "data": "data",
        "externalRef": "external_ref",
    }
    kwargs: list[tuple[str, Node]] = []
    for key, argument in arguments.items():
        if key in value:
            if type(value[key]) is not fields[key]:
                return None
            kwargs.append((argument, literal(value[key])))
    try:
        schema = SchemaDef(value["name"], **{key: node.value for key, node in kwargs})
    except DefinitionError:
        return None
    return Call("SchemaDef", [Str(value["name"])], kwargs, schema)


def _build(data: dict[str, Any], kwargs: list[tuple[str, Node]]) -> _Built | None:
    """The TaskDef call, with extra= for what the 3.32 model does not have; None if refused."""
    first = _make(data["name"], kwargs)
    if first is None:
        return None
    extra = {k: v for k, v in json_diff(data, first[1]).items() if k not in KNOWN_FIELDS}
    return _make(data["name"], [*kwargs, ("extra", literal(extra))]) if extra else first


def _make(name: str, kwargs: list[tuple[str, Node]]) -> _Built | None:
    try:
        taskdef = TaskDef(name, **{key: node.value for key, node in kwargs})
        wire = dump(taskdef.to_wire())
    except (DefinitionError, ValidationError, TypeError):
        return None
    return Call("TaskDef", [Str(name)], kwargs, taskdef), wire

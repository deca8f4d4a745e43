"""Conductor TaskDefs as one `taskdefs` module: a list of TaskDef builders, checked like tasks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

from pydantic import ValidationError

from deploy_dsl.errors import DefinitionError
from deploy_dsl.importer.compare import json_diff
from deploy_dsl.importer.module import Block, ModuleText
from deploy_dsl.importer.pycode import Call, ListNode, Node, Statement, Str, literal
from deploy_dsl.importer.sources import ImportFailed, Source
from deploy_dsl.taskdef import RetryLogic, RetryPolicy, TaskDef, TimeoutPolicy
from deploy_dsl.wire import TaskDef as WireTaskDef
from deploy_dsl.wire import dump

__all__ = ["TASKDEFS_MODULE", "TASKDEFS_NAME", "taskdefs_module"]

TASKDEFS_MODULE = "taskdefs"
TASKDEFS_NAME = "TASKDEFS"
KNOWN_FIELDS = frozenset(info.alias or name for name, info in WireTaskDef.model_fields.items())
_RETRY_FIELDS = ("retryCount", "retryDelaySeconds", "retryLogic")
_LIMITS = (
    ("timeoutSeconds", "timeout_seconds"),
    ("responseTimeoutSeconds", "response_timeout_seconds"),
    ("concurrentExecLimit", "concurrent_exec_limit"),
)

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
    data = source.data
    unknown = [key for key in data if key not in KNOWN_FIELDS]
    if unknown:
        warn(f"{source.origin}: unknown field(s) {', '.join(unknown)} carried through in extra=")
    built = _build(data, _kwargs(data))
    if built is None:
        raise ImportFailed(f"{source.origin}: task definition {data['name']!r} cannot be built")
    call, wire = built
    left = list(json_diff(data, wire))
    if left:
        warn(f"{source.origin}: field(s) {', '.join(left)} cannot be written exactly")
    return call


def _kwargs(data: dict[str, Any]) -> list[tuple[str, Node]]:
    owner = data.get("ownerEmail")
    kwargs: list[tuple[str, Node]] = [
        ("owner_email", literal(owner if type(owner) is str else None))
    ]
    if type(data.get("description")) is str:
        kwargs.append(("description", Str(data["description"])))
    retry = _retry(data)
    if retry is not None:
        kwargs.append(("retry", retry))
    for key, argument in _LIMITS:
        if type(data.get(key)) is int:
            kwargs.append((argument, literal(data[key])))
    if data.get("timeoutPolicy") in get_args(TimeoutPolicy):
        kwargs.append(("timeout_policy", Str(data["timeoutPolicy"])))
    return kwargs


def _retry(data: dict[str, Any]) -> Call | None:
    count, delay, logic = (data.get(key) for key in _RETRY_FIELDS)
    if type(count) is not int or type(delay) is not int or count < 0 or delay < 0:
        return None
    if not isinstance(logic, str) or logic not in get_args(RetryLogic):
        return None
    kwargs: list[tuple[str, Node]] = [
        ("count", literal(count)),
        ("delay_seconds", literal(delay)),
        ("logic", Str(logic)),
    ]
    backoff = data.get("backoffScaleFactor")
    if type(backoff) is int:
        kwargs.append(("backoff_scale_factor", literal(backoff)))
    policy = RetryPolicy(**{key: node.value for key, node in kwargs})
    return Call("RetryPolicy", [], kwargs, policy)


def _build(data: dict[str, Any], kwargs: list[tuple[str, Node]]) -> _Built | None:
    """The TaskDef call, with extra= for what its arguments do not write; None if refused."""
    first = _make(data["name"], kwargs)
    if first is None:
        return None
    extra = json_diff(data, first[1])
    return _make(data["name"], [*kwargs, ("extra", literal(extra))]) if extra else first


def _make(name: str, kwargs: list[tuple[str, Node]]) -> _Built | None:
    try:
        taskdef = TaskDef(name, **{key: node.value for key, node in kwargs})
        wire = dump(taskdef.to_wire())
    except (DefinitionError, ValidationError, TypeError):
        return None
    return Call("TaskDef", [Str(name)], kwargs, taskdef), wire

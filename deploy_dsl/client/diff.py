"""Field-level differences between a definition and what the server holds (pure).

Both sides are compared as the server holds them (its defaults filled in, its own bookkeeping
left out: `deploy_dsl.client.defaults`), so a field nobody set is never a difference, while a
field someone changed on the server is, even when the definition does not mention it (drift).
Tasks are matched by reference name, not by list index, so a change reads
`tasks[swap_traffic].inputParameters.http_request.uri` and an inserted task does not turn
every later task into a difference.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from deploy_dsl.client.defaults import (
    ACTION_DEFAULTS,
    EVENT_HANDLER_DEFAULTS,
    SCHEDULE_DEFAULTS,
    START_REQUEST_DEFAULTS,
    TASK_DEFAULTS,
    TASKDEF_DEFAULTS,
    WORKFLOW_DEFAULTS,
    with_defaults,
)
from deploy_dsl.trigger_wire import ACTION_TYPES

__all__ = [
    "ABSENT",
    "Change",
    "event_handler_changes",
    "schedule_changes",
    "taskdef_changes",
    "workflow_changes",
]


class _Absent:
    """No value on that side: the field (or task) is not there."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_SHOWN_CHARS = 100


@dataclass(frozen=True)
class Change:
    """One difference: `old` is what the server holds, `new` what registering would leave.

    `drift` marks a field the definition does not state: its value on the server was set by
    someone else, and registering puts back the server's default (`new`, or ABSENT for none).
    """

    path: str
    old: Any
    new: Any
    drift: bool = False

    def text(self) -> str:
        """`path: old -> new`, one line, long values shortened."""
        if _is_task(self.new) and self.old is ABSENT:
            return f"{self.path}: added ({self.new.get('type', 'SIMPLE')} task)"
        if _is_task(self.old) and self.new is ABSENT:
            return f"{self.path}: removed ({self.old.get('type', 'SIMPLE')} task)"
        new = _shown(self.new)
        if self.drift:
            new = "(unset)" if self.new is ABSENT else f"{new} (server default)"
            return f"{self.path}: {_shown(self.old)} -> {new}  [drift: set on the server]"
        return f"{self.path}: {_shown(self.old)} -> {new}"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "from": None if self.old is ABSENT else self.old,
            "to": None if self.new is ABSENT else self.new,
            "drift": self.drift,
        }


def workflow_changes(desired: Mapping[str, Any], held: Mapping[str, Any]) -> list[Change]:
    """What registering `desired` would change in the server's copy `held` of that version."""
    return list(_definition(desired, held, "workflow", ""))


def taskdef_changes(desired: Mapping[str, Any], held: Mapping[str, Any]) -> list[Change]:
    return list(_definition(desired, held, "taskdef", ""))


def schedule_changes(desired: Mapping[str, Any], held: Mapping[str, Any]) -> list[Change]:
    return list(_definition(desired, held, "schedule", ""))


def event_handler_changes(desired: Mapping[str, Any], held: Mapping[str, Any]) -> list[Change]:
    return list(_definition(desired, held, "event_handler", ""))


Kind = Literal[
    "workflow",
    "task",
    "taskdef",
    "schedule",
    "start_request",
    "event_handler",
    "action",
    "action_details",
]
_DEFAULTS: Final[Mapping[Kind, Mapping[str, Any]]] = {
    "workflow": WORKFLOW_DEFAULTS,
    "task": TASK_DEFAULTS,
    "taskdef": TASKDEF_DEFAULTS,
    "schedule": SCHEDULE_DEFAULTS,
    "start_request": START_REQUEST_DEFAULTS,
    "event_handler": EVENT_HANDLER_DEFAULTS,
    "action": ACTION_DEFAULTS,
    # What an action does (its `complete_task`, `start_workflow`...): nothing but empties.
    "action_details": {},
}


def _definition(
    desired: Mapping[str, Any], held: Mapping[str, Any], kind: Kind, path: str
) -> Iterator[Change]:
    want = with_defaults(desired, _DEFAULTS[kind])
    have = with_defaults(held, _DEFAULTS[kind])
    for key in _keys(want, have):
        new, old = want.get(key, ABSENT), have.get(key, ABSENT)
        where = _join(path, key)
        nested = _NESTED.get((kind, key))
        if nested is not None:
            yield from nested(new, old, where)
        else:
            stated = desired.get(key) is not None
            yield from _value(new, old, where, drift=not stated)


def _task_list(want: Sequence[Any], have: Sequence[Any], path: str) -> Iterator[Change]:
    want_refs, have_refs = _refs(want), _refs(have)
    if want_refs is None or have_refs is None:  # no usable references: compare by position
        for index in range(max(len(want), len(have))):
            new = want[index] if index < len(want) else ABSENT
            old = have[index] if index < len(have) else ABSENT
            where = f"{path}[{index}]"
            if isinstance(new, dict) and isinstance(old, dict):
                yield from _definition(new, old, "task", where)
            elif not _same(new, old):
                yield Change(where, old, new)
        return
    held = dict(zip(have_refs, have, strict=True))
    wanted = dict(zip(want_refs, want, strict=True))
    for ref, task in wanted.items():
        where = f"{path}[{ref}]"
        if ref in held:
            yield from _definition(task, held[ref], "task", where)
        else:
            yield Change(where, ABSENT, task)
    for ref, task in held.items():
        if ref not in wanted:
            yield Change(f"{path}[{ref}]", task, ABSENT)
    kept_order = [ref for ref in have_refs if ref in wanted]
    new_order = [ref for ref in want_refs if ref in held]
    if kept_order != new_order:
        yield Change(f"{path} (order)", kept_order, new_order)


def _cases(new: Any, old: Any, path: str) -> Iterator[Change]:
    """SWITCH cases: a map of task lists, matched by case value."""
    want, have = _dict(new), _dict(old)
    for case in _keys(want, have):
        where = _join(path, case)
        if case in want and case in have:
            yield from _task_list(_list(want[case]), _list(have[case]), where)
        else:
            yield Change(where, have.get(case, ABSENT), want.get(case, ABSENT))


def _branches(new_value: Any, old_value: Any, path: str) -> Iterator[Change]:
    """FORK_JOIN branches: a list of task lists, matched by position."""
    want, have = _list(new_value), _list(old_value)
    for index in range(max(len(want), len(have))):
        where = f"{path}[{index}]"
        if index < len(want) and index < len(have):
            yield from _task_list(_list(want[index]), _list(have[index]), where)
        else:
            new = want[index] if index < len(want) else ABSENT
            old = have[index] if index < len(have) else ABSENT
            yield Change(where, old, new)


def _task_definition(new: Any, old: Any, path: str) -> Iterator[Change]:
    return _definition(_dict(new), _dict(old), "taskdef", path)


def _tasks(new: Any, old: Any, path: str) -> Iterator[Change]:
    return _task_list(_list(new), _list(old), path)


def _start_request(new: Any, old: Any, path: str) -> Iterator[Change]:
    return _definition(_dict(new), _dict(old), "start_request", path)


def _action_details(new: Any, old: Any, path: str) -> Iterator[Change]:
    return _definition(_dict(new), _dict(old), "action_details", path)


def _actions(new_value: Any, old_value: Any, path: str) -> Iterator[Change]:
    """An event handler's actions: a list run in order, matched by position."""
    want, have = _list(new_value), _list(old_value)
    for index in range(max(len(want), len(have))):
        where = f"{path}[{index}]"
        if index < len(want) and index < len(have):
            yield from _definition(_dict(want[index]), _dict(have[index]), "action", where)
        else:
            new = want[index] if index < len(want) else ABSENT
            old = have[index] if index < len(have) else ABSENT
            yield Change(where, old, new)


# Keys whose values are definitions again, compared as such rather than as data.
_NESTED: Final[Mapping[tuple[Kind, str], Callable[[Any, Any, str], Iterator[Change]]]] = {
    ("workflow", "tasks"): _tasks,
    ("task", "defaultCase"): _tasks,
    ("task", "loopOver"): _tasks,
    ("task", "decisionCases"): _cases,
    ("task", "forkTasks"): _branches,
    ("task", "taskDefinition"): _task_definition,
    ("schedule", "startWorkflowRequest"): _start_request,
    ("event_handler", "actions"): _actions,
    **{("action", name): _action_details for name in ACTION_TYPES},
}


def _value(new: Any, old: Any, path: str, *, drift: bool) -> Iterator[Change]:
    """Data (inputs, outputs, scalars): the smallest differing parts, by key or index."""
    if _same(new, old):
        return
    if isinstance(new, dict) and isinstance(old, dict):
        for key in _keys(new, old):
            yield from _value(
                new.get(key, ABSENT), old.get(key, ABSENT), _join(path, key), drift=drift
            )
    elif isinstance(new, list) and isinstance(old, list) and len(new) == len(old):
        for index, (n, o) in enumerate(zip(new, old, strict=True)):
            yield from _value(n, o, f"{path}[{index}]", drift=drift)
    else:
        yield Change(path, old, new, drift)


def _same(a: Any, b: Any) -> bool:
    """JSON equality: `true` is not `1` (Python's == says it is)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _refs(tasks: Sequence[Any]) -> list[str] | None:
    refs = [t.get("taskReferenceName") if isinstance(t, dict) else None for t in tasks]
    if any(not isinstance(ref, str) for ref in refs) or len(set(refs)) != len(refs):
        return None
    return [str(ref) for ref in refs]


def _keys(first: Mapping[str, Any], second: Mapping[str, Any]) -> list[str]:
    """The first mapping's keys in its order, then the second's own."""
    return [*first, *(key for key in second if key not in first)]


def _join(path: str, key: str) -> str:
    if not _PLAIN_KEY.match(key):
        return f"{path}[{json.dumps(key)}]"
    return f"{path}.{key}" if path else key


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _is_task(value: Any) -> bool:
    return isinstance(value, dict) and "taskReferenceName" in value


def _shown(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    if isinstance(value, list) and value and all(_is_task(v) for v in value):
        refs = ", ".join(str(v["taskReferenceName"]) for v in value)
        text = f"[{len(value)} task(s): {refs}]"
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"

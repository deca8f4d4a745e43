"""One Conductor task as a builder call, checked against the JSON it came from.

For each task the importer takes the builder a person would use (see `plans`), builds it,
compiles it and compares the result with the source field by field. What the builder cannot
say goes into `extra=` (a field it does not write: the source value; a field it writes that
the source lacks: None, which the build leaves out). A task no builder fits is a GenericTask,
with a warning. Nested bodies are imported first, as nested calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from deploy_dsl.errors import DefinitionError
from deploy_dsl.importer.compare import OPTIONS, json_diff, same_json
from deploy_dsl.importer.defaults import DEFAULTS_NAME
from deploy_dsl.importer.names import Namespace, snake_case
from deploy_dsl.importer.plans import Plan, Planner
from deploy_dsl.importer.pycode import Atom, Call, ListNode, Node, Statement, Str, literal
from deploy_dsl.importer.refs import Scope
from deploy_dsl.importer.sources import ImportFailed
from deploy_dsl.importer.targets import Targets
from deploy_dsl.wire import WorkflowTask, dump

__all__ = ["KNOWN_FIELDS", "TaskImporter"]

KNOWN_FIELDS = frozenset(info.alias or name for name, info in WorkflowTask.model_fields.items())
# A difference here means the builder was the wrong choice, not a field to carry in extra=.
_IDENTITY = frozenset({"name", "taskReferenceName", "type", "inputParameters"})
_COMMON_FLAGS: tuple[tuple[str, str, type], ...] = (
    ("optional", "optional", bool),
    ("startDelay", "start_delay", int),
    ("asyncComplete", "async_complete", bool),
)


@dataclass
class _Built:
    call: Call
    wire: dict[str, Any]
    nested: frozenset[str]
    cost: int = 0


Warn = Callable[[str | None, str], None]


class TaskImporter:
    """Turns a workflow's raw tasks into builder calls and module-level statements."""

    def __init__(
        self,
        scope: Scope,
        targets: Targets,
        names: Namespace,
        defaults: dict[str, Any] | None,
        referenced: frozenset[str],
        warn: Warn,
    ) -> None:
        self.scope = scope
        self.names = names
        self.defaults = defaults
        self.referenced = referenced
        self.warn = warn
        self.statements: list[Statement] = []
        self.planner = Planner(scope, targets, self._list)

    def top_level(self, tasks: list[Any]) -> list[Node]:
        return [self._task(task, top=True) for task in tasks]

    def _list(self, tasks: list[Any]) -> ListNode:
        return ListNode([self._task(task, top=False) for task in tasks])

    def _task(self, raw: Any, *, top: bool) -> Node:
        if not isinstance(raw, dict) or not isinstance(raw.get("taskReferenceName"), str):
            raise ImportFailed(f"a task is not an object with a taskReferenceName: {raw!r:.80}")
        ref = raw["taskReferenceName"]
        unknown = [key for key in raw if key not in KNOWN_FIELDS]
        if unknown:
            self.warn(ref, f"unknown field(s) {', '.join(unknown)} carried through in extra=")
        plan, reason = self.planner.plan(raw)
        built = self._attempt(raw, plan) if plan is not None else None
        if built is None:
            kind = raw.get("type")
            self.warn(ref, f"{reason or f'{kind} did not fit its builder'}; written as GenericTask")
            built = self._attempt(raw, self.planner.generic(raw), last=True)
        if built is None:
            raise ImportFailed(f"task {ref!r} cannot be written with any builder")
        self._report_residue(raw, built)
        if not (top or ref in self.referenced):
            return built.call
        variable = self.names.allocate(snake_case(ref) or ref, "task", "task")
        self.statements.append(Statement(variable, built.call))
        self.scope.define(ref, variable, built.call.value)
        return Atom(variable, built.call.value, frozenset({variable}))

    # -- building and checking ------------------------------------------------------------

    def _attempt(self, raw: dict[str, Any], plan: Plan, last: bool = False) -> _Built | None:
        """The cheapest exact call for the plan (with or without the defaults constant)."""
        tries = [self._build(raw, plan, False, last)]
        if self.defaults is not None:
            tries.append(self._build(raw, plan, True, last))
        found = [built for built in tries if built is not None]
        return min(found, key=lambda built: built.cost) if found else None

    def _build(
        self, raw: dict[str, Any], plan: Plan, with_defaults: bool, last: bool
    ) -> _Built | None:
        kwargs = self._kwargs(raw, plan, with_defaults)
        first = self._call(raw["taskReferenceName"], plan, kwargs)
        if first is None:
            return None
        diff = json_diff(raw, first.wire)
        if not last and any(key in raw for key in diff.keys() & _IDENTITY):
            return None
        extra = {k: v for k, v in diff.items() if not (k in first.nested and k in raw)}
        if not extra:
            first.cost = len(kwargs)
            return first
        final = self._call(raw["taskReferenceName"], plan, [*kwargs, ("extra", literal(extra))])
        if final is not None:
            final.cost = len(kwargs) + len(extra)
        return final

    def _call(self, ref: str, plan: Plan, kwargs: list[tuple[str, Node]]) -> _Built | None:
        make = getattr(plan.builder, plan.constructor) if plan.constructor else plan.builder
        try:
            task = make(ref, **{key: node.value for key, node in kwargs})
            wire = dump(task.to_wire(OPTIONS))
        except (DefinitionError, ValidationError, TypeError):
            return None
        name = plan.builder.__name__ + (f".{plan.constructor}" if plan.constructor else "")
        call = Call(name, [Str(ref)], kwargs, task)
        return _Built(call, wire, plan.nested)

    def _report_residue(self, raw: dict[str, Any], built: _Built) -> None:
        left = [k for k in json_diff(raw, built.wire) if k not in built.nested]
        if left:
            self.warn(
                raw["taskReferenceName"],
                f"field(s) {', '.join(left)} cannot be written exactly (an explicit null, or a "
                "value the wire model converts); the build differs there",
            )

    def _kwargs(
        self, raw: dict[str, Any], plan: Plan, with_defaults: bool
    ) -> list[tuple[str, Node]]:
        kwargs: list[tuple[str, Node]] = []
        name = raw.get("name")
        if isinstance(name, str) and name != (plan.default_name or raw["taskReferenceName"]):
            kwargs.append(("name", Str(name)))
        kwargs.extend(plan.kwargs)
        inputs = raw.get("inputParameters")
        if isinstance(inputs, dict):
            rest = {k: v for k, v in inputs.items() if k not in plan.owned_inputs}
            if rest:
                kwargs.append(("inputs", self.scope.node(rest)))
        if isinstance(raw.get("description"), str):
            kwargs.append(("description", Str(raw["description"])))
        defaults = self.defaults if with_defaults and self.defaults is not None else {}
        for key, argument, kind in _COMMON_FLAGS:
            value = raw.get(key)
            if type(value) is kind and not (key in defaults and same_json(defaults[key], value)):
                kwargs.append((argument, literal(value)))
        kwargs.extend(plan.bodies)
        if with_defaults:
            kwargs.append(("defaults", Atom(DEFAULTS_NAME, defaults, frozenset({DEFAULTS_NAME}))))
        return kwargs

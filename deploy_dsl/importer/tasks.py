"""One Conductor task as a builder call, checked against the JSON it came from.

For each task the importer asks its type's KIND for the builder arguments that write it (the
inverse kept beside the builder, in `deploy_dsl.kinds`), builds the task, compiles it and
compares the result with the source field by field. The options every type shares are written
here. A field of the 3.32 model that the type does not use goes into `exported=`, an unknown
field into `extra=`; a task that fits no builder is a GenericTask, with a warning. Nested bodies
are imported first, as nested calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, get_type_hints

from pydantic import ValidationError

from deploy_dsl.errors import DefinitionError
from deploy_dsl.importer.compare import OPTIONS, json_diff, same_json
from deploy_dsl.importer.defaults import DEFAULTS_NAME
from deploy_dsl.importer.names import Namespace, snake_case
from deploy_dsl.importer.pycode import Atom, Call, DictNode, ListNode, Node, Statement, Str, literal
from deploy_dsl.importer.refs import Scope
from deploy_dsl.importer.sources import ImportFailed
from deploy_dsl.importer.targets import Targets
from deploy_dsl.importer.taskdefs import taskdef_call
from deploy_dsl.kind import ImportPlan, Snippet
from deploy_dsl.kinds import KINDS
from deploy_dsl.kinds.generic import GenericTask
from deploy_dsl.kinds.http import WorkerEndpoint
from deploy_dsl.options import CacheConfig, StateChangeEvent
from deploy_dsl.task import DEFAULT_WORKER_BASE_URL, ExportedFields
from deploy_dsl.wire import AUDIT_FIELDS, WorkflowTask, dump

__all__ = ["KNOWN_FIELDS", "TaskImporter"]

KNOWN_FIELDS: Final = frozenset(
    info.alias or name for name, info in WorkflowTask.model_fields.items()
)
EXPORTED_FIELDS: Final = frozenset(get_type_hints(ExportedFields))
_WORKER_PREFIX: Final = DEFAULT_WORKER_BASE_URL + "/"
# A difference here means the builder was the wrong choice, not a field to carry elsewhere.
_IDENTITY = frozenset({"name", "taskReferenceName", "type", "inputParameters"})
_FLAGS: tuple[tuple[str, str, type], ...] = (
    ("optional", "optional", bool),
    ("startDelay", "start_delay", int),
    ("asyncComplete", "async_complete", bool),
    ("retryCount", "retry_count", int),
    ("rateLimited", "rate_limited", bool),
    ("permissive", "permissive", bool),
)


@dataclass
class _Built:
    call: Call
    wire: dict[str, Any]
    nested: frozenset[str]
    cost: int = 0


Warn = Callable[[str | None, str], None]


class TaskImporter:
    """Turns a workflow's raw tasks into builder calls and module-level statements; to the
    kinds' inverses it is the `Importing` that writes their values."""

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
        self.targets = targets
        self.names = names
        self.defaults = defaults
        self.referenced = referenced
        self.warn = warn
        self.statements: list[Statement] = []

    def top_level(self, tasks: list[Any]) -> list[Node]:
        return [self._task(task, top=True) for task in tasks]

    # -- Importing: what the kinds' inverses write their values with -------------------------

    def value(self, value: Any) -> Node:
        return self.scope.node(value)

    def literal(self, value: Any) -> Node:
        return literal(value)

    def tasks(self, raw: list[Any]) -> Node:
        return ListNode([self._task(task, top=False) for task in raw])

    def mapping(self, items: Sequence[tuple[str, Snippet]]) -> Node:
        return DictNode([(Str(key), _node(item)) for key, item in items])

    def sequence(self, items: Sequence[Snippet]) -> Node:
        return ListNode([_node(item) for item in items])

    def workflow(self, name: str, version: int | None) -> Node:
        return self.targets.resolve(name, version)

    def endpoint(self, uri: str) -> Node | None:
        path = uri.removeprefix(_WORKER_PREFIX)
        if uri.startswith(_WORKER_PREFIX) and path and "${" not in path:
            endpoint = WorkerEndpoint(path)
            if endpoint.url(OPTIONS) == uri:
                return Call("WorkerEndpoint", [Str(path)], [], endpoint)
        return None

    def builder(self, name: str, arguments: Sequence[tuple[str, Snippet]], value: Any) -> Node:
        return Call(name, [], [(key, _node(item)) for key, item in arguments], value)

    # -- one task ------------------------------------------------------------------------------

    def _task(self, raw: Any, *, top: bool) -> Node:
        if not isinstance(raw, dict) or not isinstance(raw.get("taskReferenceName"), str):
            raise ImportFailed(f"a task is not an object with a taskReferenceName: {raw!r:.80}")
        ref = raw["taskReferenceName"]
        raw = _without_audit(raw)
        unknown = [key for key in raw if key not in KNOWN_FIELDS]
        if unknown:
            self.warn(ref, f"unknown field(s) {', '.join(unknown)} carried through in extra=")
        plan = self._plan(raw)
        built = self._attempt(raw, plan) if isinstance(plan, ImportPlan) else None
        if built is None:
            kind = raw.get("type")
            reason = plan if isinstance(plan, str) else f"{kind} did not fit its builder"
            self.warn(ref, f"{reason}; written as GenericTask")
            generic = ImportPlan(GenericTask, [("task_type", Str(_type_of(raw)))])
            built = self._attempt(raw, generic, last=True)
        if built is None:
            raise ImportFailed(f"task {ref!r} cannot be written with any builder")
        self._report_residue(raw, built)
        if not (top or ref in self.referenced):
            return built.call
        variable = self.names.allocate(snake_case(ref) or ref, "task", "task")
        self.statements.append(Statement(variable, built.call))
        self.scope.define(ref, variable, built.call.value)
        return Atom(variable, built.call.value, frozenset({variable}))

    def _plan(self, raw: dict[str, Any]) -> ImportPlan | str:
        kind = KINDS.get(_type_of(raw))
        if kind is None:
            return f"no builder for task type {raw.get('type')!r}"
        inputs = raw.get("inputParameters")
        return kind.plan(raw, inputs if isinstance(inputs, dict) else {}, self)

    def _attempt(self, raw: dict[str, Any], plan: ImportPlan, last: bool = False) -> _Built | None:
        """The cheapest exact call for the plan (with or without the defaults constant)."""
        tries = [self._build(raw, plan, False, last)]
        if self.defaults is not None:
            tries.append(self._build(raw, plan, True, last))
        found = [built for built in tries if built is not None]
        return min(found, key=lambda built: built.cost) if found else None

    def _build(
        self, raw: dict[str, Any], plan: ImportPlan, with_defaults: bool, last: bool
    ) -> _Built | None:
        kwargs = self._kwargs(raw, plan, with_defaults)
        first = self._call(raw["taskReferenceName"], plan, kwargs)
        if first is None:
            return None
        diff = json_diff(raw, first.wire)
        if not last and any(key in raw for key in diff.keys() & _IDENTITY):
            return None
        left = {k: v for k, v in diff.items() if not (k in first.nested and k in raw)}
        if not left:
            first.cost = len(kwargs)
            return first
        # What the type does not use: in exported= (not with the constant, which is one
        # already); what the 3.32 model does not have: in extra=.
        exported = {k: v for k, v in left.items() if k in EXPORTED_FIELDS}
        extra = {k: v for k, v in left.items() if k not in KNOWN_FIELDS}
        if exported and with_defaults:
            return None
        more = [(key, literal(value)) for key, value in (("exported", exported), ("extra", extra))]
        final = self._call(
            raw["taskReferenceName"], plan, [*kwargs, *[m for m in more if m[1].value]]
        )
        if final is not None:
            final.cost = len(kwargs) + len(exported) + len(extra)
        return final

    def _call(self, ref: str, plan: ImportPlan, kwargs: list[tuple[str, Node]]) -> _Built | None:
        function: Any = plan.builder
        name = plan.builder.__name__
        if plan.constructor is not None:
            function = getattr(plan.builder, plan.constructor)
            name = f"{name}.{plan.constructor}"
        try:
            task = function(ref, **{key: node.value for key, node in kwargs})
            wire = dump(task.to_wire(OPTIONS))
        except (DefinitionError, ValidationError, TypeError):
            return None
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
        self, raw: dict[str, Any], plan: ImportPlan, with_defaults: bool
    ) -> list[tuple[str, Node]]:
        kwargs: list[tuple[str, Node]] = []
        name = raw.get("name")
        if isinstance(name, str) and name != (plan.default_name or raw["taskReferenceName"]):
            kwargs.append(("name", Str(name)))
        kwargs.extend((key, _node(item)) for key, item in plan.kwargs)
        inputs = raw.get("inputParameters")
        if isinstance(inputs, dict):
            rest = {k: v for k, v in inputs.items() if k not in plan.owned_inputs}
            if rest:
                kwargs.append(("inputs", self.scope.node(rest)))
        if isinstance(raw.get("description"), str):
            kwargs.append(("description", Str(raw["description"])))
        defaults = self.defaults if with_defaults and self.defaults is not None else {}
        for key, argument, kind in _FLAGS:
            value = raw.get(key)
            if type(value) is kind and not (key in defaults and same_json(defaults[key], value)):
                kwargs.append((argument, literal(value)))
        kwargs.extend(self._structured(raw))
        kwargs.extend((key, _node(item)) for key, item in plan.bodies)
        if with_defaults:
            kwargs.append(("exported", Atom(DEFAULTS_NAME, defaults, frozenset({DEFAULTS_NAME}))))
        return kwargs

    def _structured(self, raw: dict[str, Any]) -> list[tuple[str, Node]]:
        """The shared options whose values are builders of their own, when non-empty."""
        kwargs: list[tuple[str, Node]] = []
        events = raw.get("onStateChange")
        if isinstance(events, dict) and events:
            node = _state_changes(events, self.scope)
            if node is not None:
                kwargs.append(("on_state_change", node))
        cache = raw.get("cacheConfig")
        if isinstance(cache, dict) and cache.keys() == {"key", "ttlInSecond"}:
            key, ttl = cache["key"], cache["ttlInSecond"]
            if isinstance(key, str) and type(ttl) is int:
                arguments: list[tuple[str, Node]] = [
                    ("key", Str(key)),
                    ("ttl_seconds", literal(ttl)),
                ]
                kwargs.append(
                    ("cache_config", Call("CacheConfig", [], arguments, CacheConfig(key, ttl)))
                )
        definition = raw.get("taskDefinition")
        if isinstance(definition, dict) and isinstance(definition.get("name"), str):
            call = taskdef_call(
                definition, lambda message: self.warn(raw["taskReferenceName"], message)
            )
            if call is not None:
                kwargs.append(("task_definition", call))
        metadata = raw.get("metadata")
        if isinstance(metadata, dict) and metadata:
            kwargs.append(("metadata", self.scope.node(metadata)))
        return kwargs


def _state_changes(events: dict[str, Any], scope: Scope) -> Node | None:
    """`{"onSuccess": [StateChangeEvent(...)]}`; None if an event is not one the builder
    writes exactly (a type and an optional payload)."""
    items: list[tuple[Node, Node]] = []
    for state, listed in events.items():
        if not isinstance(listed, list):
            return None
        calls: list[Node] = []
        for event in listed:
            if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                return None
            if not event.keys() <= {"type", "payload"}:
                return None
            payload = event.get("payload")
            if payload is not None and not isinstance(payload, dict):
                return None
            arguments: list[tuple[str, Node]] = []
            if payload is not None:
                arguments.append(("payload", scope.node(payload)))
            value = StateChangeEvent(
                event["type"], payload=arguments[0][1].value if arguments else None
            )
            calls.append(Call("StateChangeEvent", [Str(event["type"])], arguments, value))
        items.append((Str(state), ListNode(calls)))
    return DictNode(items)


def _without_audit(raw: dict[str, Any]) -> dict[str, Any]:
    """The task without what the server wrote into its embedded TaskDef (createdBy, ...):
    those are the server's, never a definition's."""
    definition = raw.get("taskDefinition")
    if not isinstance(definition, dict) or not definition.keys() & AUDIT_FIELDS:
        return raw
    kept = {k: v for k, v in definition.items() if k not in AUDIT_FIELDS}
    return {**raw, "taskDefinition": kept}


def _type_of(raw: dict[str, Any]) -> str:
    kind = raw.get("type", "SIMPLE")
    return kind if isinstance(kind, str) else "SIMPLE"


def _node(snippet: Snippet) -> Node:
    """The importer hands the kinds Nodes, so every Snippet it gets back is one."""
    assert isinstance(snippet, Node)
    return snippet

"""One Conductor WorkflowDef as one Python module, checked against the JSON it came from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, get_type_hints

from pydantic import ValidationError

from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import expressions_in, ref_of, workflow_input, workflow_variables
from deploy_dsl.importer.compare import OPTIONS, json_diff
from deploy_dsl.importer.defaults import DEFAULTS_NAME, choose_defaults
from deploy_dsl.importer.models import Model, input_model, variables_model
from deploy_dsl.importer.module import DSL_NAMES, Block, ModuleText
from deploy_dsl.importer.names import Namespace, pascal_case
from deploy_dsl.importer.pycode import WIDTH, Atom, Call, ListNode, Node, Statement, Str, literal
from deploy_dsl.importer.refs import Scope, parse_path
from deploy_dsl.importer.sources import ImportFailed, Source, nesting, walk
from deploy_dsl.importer.targets import Catalog, ModuleEntry, Targets, called_workflows
from deploy_dsl.importer.taskdefs import schema_call
from deploy_dsl.importer.tasks import TaskImporter
from deploy_dsl.limits import MAX_NESTING
from deploy_dsl.options import CacheConfig, RateLimitConfig
from deploy_dsl.task import LocatedError
from deploy_dsl.wire import AUDIT_FIELDS, WorkflowDef, dump
from deploy_dsl.workflow import ExternalWorkflow, Workflow, WorkflowExportedFields

__all__ = ["ImportedWorkflow", "import_workflow", "input_keys_read"]

_EXPORTED: Final = frozenset(get_type_hints(WorkflowExportedFields))
KNOWN_FIELDS = frozenset(info.alias or name for name, info in WorkflowDef.model_fields.items())
_MODULE_NAMES = DSL_NAMES | {"Any", "BaseModel", "Field", "inputs", "variables", DEFAULTS_NAME}
_TIMEOUT_POLICIES = ("TIME_OUT_WF", "ALERT_ONLY")

Warn = Callable[[str], None]


@dataclass(frozen=True)
class ImportedWorkflow:
    text: str
    workflow: Workflow
    externals: list[ExternalWorkflow]


def input_keys_read(data: dict[str, Any]) -> list[str]:
    """The `${workflow.input.<key>}` keys the tasks and outputs read, in order of first use."""
    keys: dict[str, None] = {}
    for body in expressions_in([data.get("tasks"), data.get("outputParameters")]):
        parsed = parse_path(body)
        if parsed is None or parsed[0] != "workflow" or len(parsed[1]) < 2:
            continue
        field, key = parsed[1][0], parsed[1][1].key
        if field.key == "input" and not field.bracketed and isinstance(key, str):
            keys.setdefault(key)
    return list(keys)


def _referenced_tasks(data: dict[str, Any]) -> frozenset[str]:
    """References other tasks or the output read: those tasks get a variable of their own."""
    roots: set[str] = set()
    for task in walk(data.get("tasks")):
        own = task.get("taskReferenceName")
        roots |= {_root(body) for body in expressions_in(task.get("inputParameters"))} - {own}
    roots |= {_root(body) for body in expressions_in(data.get("outputParameters"))}
    return frozenset(roots)


def _docstring_safe(line: str) -> bool:
    return len(line) <= WIDTH - 4 and all(
        c.isascii() and c.isprintable() and c not in '\\"' for c in line
    )


def _root(body: str) -> str:
    parsed = parse_path(body)
    return parsed[0] if parsed else ""


def import_workflow(
    source: Source, entry: ModuleEntry, catalog: Catalog, warn: Warn
) -> ImportedWorkflow:
    """The module for one workflow; raises ImportFailed when no builder can state it."""
    return _WorkflowImport(source, entry, catalog, warn).run()


class _WorkflowImport:
    def __init__(self, source: Source, entry: ModuleEntry, catalog: Catalog, warn: Warn) -> None:
        self.data = source.data
        self.origin = source.origin
        self.entry = entry
        self.warn = warn
        self.names = Namespace(_MODULE_NAMES)
        self.names.reserve(entry.stem)
        self.catalog = catalog

    def run(self) -> ImportedWorkflow:
        tasks = self.data.get("tasks")
        if not isinstance(tasks, list) or not tasks:
            raise ImportFailed(f"{self.origin}: the workflow has no tasks")
        depth = nesting(tasks)
        if depth > MAX_NESTING:  # the task importer recurses once per level
            raise ImportFailed(
                f"{self.origin}: tasks nested {depth} levels deep, over the limit of {MAX_NESTING}"
            )
        unknown = [key for key in self.data if key not in KNOWN_FIELDS | AUDIT_FIELDS]
        if unknown:
            self.warn(f"unknown field(s) {', '.join(unknown)} carried through in extra=")
        inputs, variables = self._input_model(), self._variables_model()
        targets = Targets(self.catalog, self.names, self.entry.stem, list(called_workflows(tasks)))
        scope = Scope(
            inputs=ref_of(workflow_input(inputs.model)) if inputs else None,
            variables=ref_of(workflow_variables(variables.model)) if variables else None,
            loops=frozenset(
                t["taskReferenceName"] for t in walk(tasks) if t.get("type") == "DO_WHILE"
            ),
        )
        defaults = choose_defaults(tasks)
        referenced = _referenced_tasks(self.data)
        importer = TaskImporter(scope, targets, self.names, defaults, referenced, self._warn_task)
        nodes = importer.top_level(tasks)
        call = self._workflow_call(nodes, scope, inputs, variables, targets)
        body = [Block.of(s) for s in importer.statements]
        body.append(Block.of(Statement(self.entry.stem, call)))
        needs = frozenset().union(*(block.needs for block in body))
        externals = [s for s in targets.externals if s.name in needs]
        head = self._head(needs, defaults, externals, inputs, variables)
        exports = [self.entry.stem] + [m.class_name for m in (inputs, variables) if m]
        module = ModuleText(self._docstring(), exports, head + body, targets.imports)
        return ImportedWorkflow(module.render(), call.value, [s.node.value for s in externals])

    def _warn_task(self, ref: str | None, message: str) -> None:
        self.warn(f"task {ref}: {message}" if ref else message)

    def _docstring(self) -> str:
        first = f"{self.entry.workflow} v{self.entry.version}, imported by `deploy-dsl import` from"
        lines = [first, f"{self.origin}."]
        if not all(_docstring_safe(line) for line in lines):
            lines = ["A workflow imported by `deploy-dsl import` from Conductor JSON."]
        return "\n".join(lines) + ("\n" if len(lines) > 1 else "")

    # -- models ------------------------------------------------------------------------------

    def _input_model(self) -> Model | None:
        declared = self.data.get("inputParameters")
        declared_keys = (
            [k for k in declared if isinstance(k, str)] if isinstance(declared, list) else []
        )
        template = self.data.get("inputTemplate")
        defaults = template if isinstance(template, dict) else {}
        read = input_keys_read(self.data)
        keys = list(dict.fromkeys(declared_keys + read + [str(k) for k in defaults]))
        undeclared = [key for key in read if key not in declared_keys]
        if undeclared:
            self.warn(
                f"reads inputs it does not declare: {', '.join(undeclared)}; the input model has "
                "them, input_parameters= keeps the declared list (a strict build reports DSL015)"
            )
        if not keys:
            return None
        class_name = self.names.allocate(pascal_case(self.entry.stem) + "Input", "Input", "model")
        return input_model(class_name, self.entry.workflow, keys, defaults)

    def _variables_model(self) -> Model | None:
        values = self.data.get("variables")
        if not isinstance(values, dict):
            return None
        name = pascal_case(self.entry.stem) + "Variables"
        set_later = [
            str(key)
            for task in walk(self.data.get("tasks"))
            if task.get("type") == "SET_VARIABLE" and isinstance(task.get("inputParameters"), dict)
            for key in task["inputParameters"]
        ]
        return variables_model(
            self.names.allocate(name, "Variables", "model"), self.entry.workflow, values, set_later
        )

    # -- the Workflow call -------------------------------------------------------------------

    def _workflow_call(
        self,
        tasks: list[Node],
        scope: Scope,
        inputs: Model | None,
        variables: Model | None,
        targets: Targets,
    ) -> Call:
        data = {k: v for k, v in self.data.items() if k not in AUDIT_FIELDS}
        kwargs: list[tuple[str, Node]] = [("version", literal(self.entry.version))]
        kwargs += _typed(data, "description", str)
        owner = data.get("ownerEmail")
        kwargs.append(("owner_email", literal(owner if isinstance(owner, str) else None)))
        for argument, model in (("input", inputs), ("variables", variables)):
            if model is not None:
                kwargs.append((argument, _class_atom(model)))
        kwargs.append(("tasks", ListNode(tasks)))
        output = data.get("outputParameters")
        if isinstance(output, dict) and output:
            kwargs.append(("output", scope.node(output)))
        kwargs += self._failure_workflow(data, targets)
        kwargs += _typed(data, "restartable", bool)
        kwargs += _typed(data, "timeoutSeconds", int, "timeout_seconds")
        if data.get("timeoutPolicy") in _TIMEOUT_POLICIES:
            kwargs.append(("timeout_policy", Str(data["timeoutPolicy"])))
        # The builder writes schemaVersion 2 unless told otherwise; a source without it gets None.
        schema_version = data.get("schemaVersion")
        stated = schema_version if type(schema_version) is int else None
        if stated != 2:
            kwargs.append(("schema_version", literal(stated)))
        kwargs += _declared_inputs(data, inputs)
        kwargs += _definition_options(data, scope)
        call, wire = self._build(kwargs)
        left = {k: v for k, v in json_diff(data, wire).items() if k != "tasks"}
        exported = {k: v for k, v in left.items() if k in _EXPORTED}
        extra = {k: v for k, v in left.items() if k not in KNOWN_FIELDS}
        more = [(key, literal(value)) for key, value in (("exported", exported), ("extra", extra))]
        if exported or extra:
            call, wire = self._build([*kwargs, *[item for item in more if item[1].value]])
        residue = [key for key in json_diff(data, wire) if key != "tasks"]
        if residue:
            self.warn(f"field(s) {', '.join(residue)} cannot be written exactly")
        return call

    def _failure_workflow(self, data: dict[str, Any], targets: Targets) -> list[tuple[str, Node]]:
        """The failure workflow: pinned to a version, the workflow itself (a module or an
        ExternalWorkflow); otherwise its name, which the server resolves to the newest."""
        name, version = data.get("failureWorkflow"), data.get("failureWorkflowVersion")
        if not isinstance(name, str):
            return []
        if type(version) is int and "${" not in name:
            return [("failure_workflow", targets.resolve(name, version))]
        return [("failure_workflow", Str(name))]

    def _build(self, kwargs: list[tuple[str, Node]]) -> tuple[Call, dict[str, Any]]:
        name = self.entry.workflow
        try:
            workflow = Workflow(name, **{key: node.value for key, node in kwargs})
            wire = dump(workflow.compile(OPTIONS).definition)
        except (DefinitionError, ValidationError, TypeError) as error:
            raise ImportFailed(
                f"{self.origin}: workflow {name!r} cannot be built: {_one_line(error, name)}"
            ) from error
        return Call("Workflow", [Str(name)], kwargs, workflow), wire

    def _head(
        self,
        needs: frozenset[str],
        defaults: dict[str, Any] | None,
        externals: list[Statement],
        inputs: Model | None,
        variables: Model | None,
    ) -> list[Block]:
        """What the tasks and the Workflow use: the defaults, externals, models, references."""
        head: list[Block] = []
        if defaults is not None and DEFAULTS_NAME in needs:
            comment = "Conductor's defaults, spelled out on the tasks of the source JSON."
            constant = Statement(DEFAULTS_NAME, literal(defaults), comment, "ExportedFields")
            head.append(Block.of(constant))
        head += [Block.of(statement) for statement in externals]
        models = (
            (inputs, "inputs", "workflow_input"),
            (variables, "variables", "workflow_variables"),
        )
        for model, ref_name, function in models:
            if model is None:
                continue
            head.append(Block(model.source(), model.needs(), is_class=True))
            if ref_name in needs:
                reference = f"{ref_name} = {function}({model.class_name})"
                head.append(Block(reference, frozenset({function})))
        return head


def _one_line(error: Exception, name: str) -> str:
    """What went wrong, on one line: pydantic's own report spans several per field. Where the
    builder says the workflow was written is no use here (the importer wrote it)."""
    if isinstance(error, LocatedError):
        message = str(error).removeprefix(f"{error.where}: ") if error.where else str(error)
        return message.removeprefix(f"workflow {name!r}: ")
    if isinstance(error, ValidationError):
        problems = [
            f"{'.'.join(str(part) for part in item['loc']) or 'value'}: {item['msg']}"
            for item in error.errors(include_url=False)
        ]
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        return "; ".join(problems[:3]) + more
    return " ".join(str(error).split())


def _class_atom(model: Model) -> Atom:
    return Atom(model.class_name, model.model, frozenset({model.class_name}))


def _typed(
    data: dict[str, Any], key: str, kind: type, argument: str | None = None
) -> list[tuple[str, Node]]:
    value = data.get(key)
    return [(argument or key, literal(value))] if type(value) is kind else []


def _declared_inputs(data: dict[str, Any], inputs: Model | None) -> list[tuple[str, Node]]:
    """input_parameters= when the source declares other inputs than the model's fields."""
    declared = data.get("inputParameters")
    if not isinstance(declared, list) or not all(isinstance(k, str) for k in declared):
        return []
    fields = [item.key for item in inputs.fields] if inputs is not None else None
    return [] if declared == fields else [("input_parameters", literal(declared))]


# Workflow arguments by WorkflowDef field, with the JSON type each takes as it is.
_PLAIN_OPTIONS: Final[dict[str, tuple[str, type]]] = {
    "enforceSchema": ("enforce_schema", bool),
    "maskedFields": ("masked_fields", list),
    "workflowStatusListenerEnabled": ("status_listener_enabled", bool),
    "workflowStatusListenerSink": ("status_listener_sink", str),
}


def _definition_options(data: dict[str, Any], scope: Scope) -> list[tuple[str, Node]]:
    """The WorkflowDef fields the Workflow builder takes as options."""
    kwargs: list[tuple[str, Node]] = []
    for key, (argument, kind) in _PLAIN_OPTIONS.items():
        kwargs += _typed(data, key, kind, argument)
    metadata = data.get("metadata")
    if isinstance(metadata, dict) and metadata:
        kwargs.append(("metadata", scope.node(metadata)))
    limit = data.get("rateLimitConfig")
    if isinstance(limit, dict) and _fits(limit, {"rateLimitKey": str, "concurrentExecLimit": int}):
        arguments: list[tuple[str, Node]] = [
            ("key", Str(limit["rateLimitKey"])),
            ("concurrent_exec_limit", literal(limit["concurrentExecLimit"])),
        ]
        if limit.get("policy") in ("QUEUE", "REJECT"):
            arguments.append(("policy", Str(limit["policy"])))
        value = RateLimitConfig(**{key: node.value for key, node in arguments})
        kwargs.append(("rate_limit", Call("RateLimitConfig", [], arguments, value)))
    cache = data.get("cacheConfig")
    if isinstance(cache, dict) and _fits(cache, {"key": str, "ttlInSecond": int}):
        arguments = [("key", Str(cache["key"])), ("ttl_seconds", literal(cache["ttlInSecond"]))]
        value_ = CacheConfig(cache["key"], cache["ttlInSecond"])
        kwargs.append(("cache_config", Call("CacheConfig", [], arguments, value_)))
    for key, argument in (("inputSchema", "input_schema"), ("outputSchema", "output_schema")):
        schema = schema_call(data.get(key))
        if schema is not None:
            kwargs.append((argument, schema))
    return kwargs


def _fits(value: dict[str, Any], required: dict[str, type]) -> bool:
    return all(type(value.get(key)) is kind for key, kind in required.items())

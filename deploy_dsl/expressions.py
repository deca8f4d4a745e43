"""Typed references that render to Conductor's `${...}` expressions.

A reference knows the shape of what it points at (a schema), so `wf_input.scpoe` raises
UnknownField when the definition module is imported instead of compiling to a string that
resolves to null at run time. Where the shape is open (a worker's response body, a SIMPLE task's
output) any attribute is accepted.

The type checker sees a reference as what it points at: `workflow_input(DeploymentInput)` is a
DeploymentInput to mypy and pyright, so `inputs.scope` is a `str` and `inputs.scpoe` an error
in the editor, while at run time it stays a Ref that renders `${workflow.input.scope}`. `Ref`
itself is the explicit open type: the checker lets any field or index of it through, as the
runtime does for a shape nobody declared.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final, cast

from pydantic import BaseModel
from typing_extensions import TypeVar

from deploy_dsl.errors import DefinitionError, UnknownField
from deploy_dsl.schemas import (
    ANY,
    LEAF,
    ListOf,
    MapOf,
    ModelFields,
    Schema,
    is_open,
    model_schema,
)

__all__ = [
    "WORKFLOW",
    "WORKFLOW_FIELDS",
    "Ref",
    "RunningWorkflow",
    "Shape",
    "expressions_in",
    "nullsafe",
    "path_of",
    "ref_of",
    "render",
    "schema_of",
    "split_expression",
    "value_schema",
    "workflow_input",
    "workflow_variables",
]


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


class Ref:
    """A path into the running workflow's data, rendered as `${path}`.

    Attributes and items give child references; a field its schema does not have raises
    UnknownField when the definition is imported. A model's field is read by its attribute
    name, as the type checker reads it, and written by its JSON name (its alias). Ref has no
    public names of its own, so that every name is a field: `path_of` and `schema_of` read
    what it is.

    Args:
        path: the expression without `${}`, e.g. `workflow.input.scope`.
        schema: the fields the path may go on to (open by default).
    """

    __slots__ = ("_path", "_schema")

    def __init__(self, path: str, schema: Schema = ANY) -> None:
        self._path = path
        self._schema = schema

    def __getattribute__(self, name: str) -> Ref:
        # Attribute access is how definitions walk references (`deploy.output.response.body`),
        # once per step. Answering fields here rather than in __getattr__ skips the ordinary
        # lookup that fails first and the AttributeError it raises: most of a step's cost.
        # Ref's own names, and dunders (copy, pickle, inspection), are looked up as usual.
        # Inside it, Ref's own slots are read with object.__getattribute__, not `self._path`,
        # which would come back through here.
        if name in _REF_NAMES or name.startswith("__"):
            # Typed by its own declaration where it is used: `-> Ref` is what fields give.
            return cast(Ref, _own(self, name))
        path = f"{_own(self, '_path')}.{name}"
        schema = _own(self, "_schema")
        if schema is ANY:
            return Ref(path, ANY)
        if type(schema) is dict and name in schema:
            return Ref(path, schema[name])
        if type(schema) is ModelFields and name in schema.json_names:
            return Ref.__getitem__(self, schema.json_names[name])
        return Ref._child(self, name, path)

    def __getitem__(self, key: str | int) -> Ref:
        if isinstance(key, int):
            schema = self._schema
            if isinstance(schema, ListOf):
                return Ref(f"{self._path}[{key}]", schema.item)
            if not is_open(schema):
                raise UnknownField(f"{self} is not a list: cannot index it with [{key}]")
            return Ref(f"{self._path}[{key}]", ANY)
        if _IDENTIFIER.match(key):
            return self._child(key, f"{self._path}.{key}")
        return self._child(key, f"{self._path}['{key}']")

    def _child(self, name: str, path: str) -> Ref:
        schema = self._schema
        if schema is ANY:
            return Ref(path, ANY)
        if isinstance(schema, MapOf):
            return Ref(path, schema.item)
        if isinstance(schema, ListOf):
            raise UnknownField(f"{self} is a list: index it ([0]) rather than ask for {name!r}")
        assert isinstance(schema, Mapping)
        if name not in schema:
            if not schema:
                raise UnknownField(f"{self} is a single value: it has no field {name!r}")
            known = ", ".join(sorted(schema))
            raise UnknownField(f"{self} has no field {name!r} (known fields: {known})")
        return Ref(path, schema[name])

    # The hot readers take the slots through _own: `self._path` would go through
    # __getattribute__ above, a Python call for every reference rendered.
    def __str__(self) -> str:
        return f"${{{_own(self, '_path')}}}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"Ref({self._path!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and other._path == self._path

    def __hash__(self) -> int:
        return hash(self._path)


_own: Final = object.__getattribute__
# Names that are Ref's own (its slots and _child), not fields of what it points at.
_REF_NAMES: Final = frozenset(dir(Ref))


# The slots read past __getattribute__ (object.__getattribute__ answers Any): their types are
# those __init__ gave them.
def path_of(ref: Ref) -> str:
    """The expression of a reference without `${}`, e.g. `workflow.input.scope`."""
    return cast(str, _own(ref, "_path"))


def schema_of(ref: Ref) -> Schema:
    """What a reference may go on to: its fields, items or keys."""
    return cast(Schema, _own(ref, "_schema"))


# What `${workflow.*}` can reach: the map `ParametersUtils.getTaskInputV2` builds for the
# workflow (any other field resolves to null), plus the `env` and `secrets` prefixes that
# `ParametersUtils` resolves through the EnvironmentDAO and the SecretsDAO.
WORKFLOW_FIELDS: Final[Mapping[str, Schema]] = {
    "input": ANY,
    "output": ANY,
    "status": LEAF,
    "workflowId": LEAF,
    "parentWorkflowId": LEAF,
    "parentWorkflowTaskId": LEAF,
    "workflowType": LEAF,
    "version": LEAF,
    "correlationId": LEAF,
    "reasonForIncompletion": LEAF,
    "schemaVersion": LEAF,
    "variables": ANY,
    "env": ANY,
    "secrets": ANY,
}


class RunningWorkflow:
    """`${workflow.*}` as the type checker sees WORKFLOW: the fields getTaskInputV2 resolves.

    Declared for the checker only, never instantiated: WORKFLOW is a Ref at run time.
    """

    input: Ref
    output: Ref
    status: str
    workflowId: str
    parentWorkflowId: str | None
    parentWorkflowTaskId: str | None
    workflowType: str
    version: int
    correlationId: str | None
    reasonForIncompletion: str | None
    schemaVersion: int
    variables: Ref
    env: Ref
    secrets: Ref


# A Ref at run time; the checker sees the fields the server resolves, so a typo is an error.
WORKFLOW: Final = cast(RunningWorkflow, Ref("workflow", WORKFLOW_FIELDS))

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
# What a typed reference points at, as a builder's type parameter (Http[Shape], Inline[Shape],
# ...): the model its argument declares, else Ref, the open shape.
Shape = TypeVar("Shape", default=Ref)


def _model_ref(path: str, model: type[M]) -> M:
    # The one place a model's reference is handed to the checker as the model: every field
    # read from it is a child Ref at run time, typed by the model's field for the checker.
    return cast(M, Ref(path, model_schema(model)))


def workflow_input(model: type[M]) -> M:
    """`${workflow.input.*}` restricted to the fields of a workflow's input model; the type
    checker sees it as the model, so the editor completes `inputs.` and flags a typo.

    Args:
        model: the workflow's input model (the one given to Workflow as `input`).
    """
    return _model_ref("workflow.input", model)


def workflow_variables(model: type[M]) -> M:
    """`${workflow.variables.*}` restricted to the fields of a workflow's variables model; the
    type checker sees it as the model.

    Args:
        model: the workflow's variables model (the one given to Workflow as `variables`).
    """
    return _model_ref("workflow.variables", model)


def ref_of(value: object) -> Ref:
    """The reference behind a typed one: what the checker sees as a model or a `str` is a Ref
    at run time. For library code that walks references by name."""
    if not isinstance(value, Ref):
        raise DefinitionError(f"{value!r:.60} ({type(value).__name__}) is not a reference")
    return value


def nullsafe(value: T | None) -> T:
    """Reads on through a reference to an optional value, as Conductor resolves a path.

    `nullsafe(inputs.approval).timeout` is `${workflow.input.approval.timeout}`, null when
    `approval` is. Python has no `?.`: this tells the type checker the path goes on; what it
    reads may be null at run time.

    Args:
        value: a reference whose type allows None (an optional field).
    """
    ref_of(value)
    assert value is not None  # a reference never is, whatever it resolves to
    return value


def value_schema(value: Any) -> Schema:
    """The shape of a value a definition gives (an input, an output): a reference's own
    schema, a literal's shape."""
    if isinstance(value, Ref):
        return schema_of(value)
    if isinstance(value, Mapping):
        return {str(key): value_schema(item) for key, item in value.items()}
    if isinstance(value, str) and "${" in value:
        return ANY
    if isinstance(value, list | tuple):
        return ListOf(ANY)
    return LEAF


_PLAIN: Final = frozenset({str, int, bool, float, type(None)})


def render(value: Any) -> Any:
    """A JSON-ready copy of an input value with every Ref turned into its `${...}` string."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is Ref:
        return str(value)
    if kind is dict:  # the usual container: skip a call for each plain value in it
        return {k: v if type(v) in _PLAIN else render(v) for k, v in value.items()}
    if isinstance(value, Mapping):
        return {str(k): render(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render(v) for v in value]
    raise DefinitionError(f"{value!r:.60} ({type(value).__name__}) is not a JSON value")


# `${...}` not preceded by another `$` (`$${x}` is Conductor's escape for a literal `${x}`).
_EXPRESSION = re.compile(r"(?<!\$)\$\{([^{}]*)\}")


def expressions_in(value: Any) -> Iterator[str]:
    """Every `${...}` body in a JSON value, depth first."""
    if isinstance(value, str):
        if "${" in value:
            yield from _EXPRESSION.findall(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from expressions_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from expressions_in(item)


_SEGMENT = re.compile(r"\.?([^.\[\]]+)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[([^\]]*)\]")


def split_expression(body: str) -> list[str]:
    """The path segments of an expression body: `a.b['c d'][0]` gives ['a', 'b', 'c d', '0']."""
    return [next(g for g in m.groups() if g is not None) for m in _SEGMENT.finditer(body.strip())]

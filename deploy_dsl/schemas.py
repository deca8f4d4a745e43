"""The shapes typed references walk: which fields, items and keys a value has (pure).

A schema is built from a pydantic model (a workflow's input, a worker's answer) or a type
annotation (`list[DeploymentInput]`), so a reference knows that `scope` is a string with nothing
below it, that `waves[0]` is a Wave, and that a misspelt field does not exist. `ANY` is the one
open shape: what a value of unknown shape (a script's result with no declared model) allows.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, TypeAlias, Union, get_args, get_origin

from pydantic import BaseModel

__all__ = [
    "ANY",
    "LEAF",
    "ListOf",
    "MapOf",
    "ModelFields",
    "Schema",
    "annotation_schema",
    "is_open",
    "model_schema",
]


class _Open:
    """The shape of a value nobody declared: every attribute, key and index is allowed."""

    def __repr__(self) -> str:
        return "ANY"


ANY: Final = _Open()


@dataclass(frozen=True)
class ListOf:
    """A list: indexing gives an item."""

    item: Schema


@dataclass(frozen=True)
class MapOf:
    """A mapping whose keys are not known ahead (a JOIN's output, keyed by forked task): any key
    gives an item."""

    item: Schema


class ModelFields(dict[str, "Schema"]):
    """The fields of a model some of whose attribute names differ from their JSON names (a
    field `my_key` with alias `my-key`), by JSON name. A reference reads such a field by its
    attribute name, as Python and the type checker do, and writes its JSON name."""

    __slots__ = ("json_names",)

    def __init__(self, json_names: Mapping[str, str]) -> None:
        super().__init__()
        self.json_names = dict(json_names)


Schema: TypeAlias = "_Open | ListOf | MapOf | Mapping[str, Schema]"
# A scalar: nothing below it.
LEAF: Final[Mapping[str, Schema]] = types.MappingProxyType({})

_building: dict[type[BaseModel], Mapping[str, Schema]] = {}
_built: dict[type[BaseModel], Mapping[str, Schema]] = {}


def is_open(schema: Schema) -> bool:
    return isinstance(schema, _Open)


def model_schema(model: type[BaseModel]) -> Mapping[str, Schema]:
    """A model's fields by their JSON names (aliases), each with its own schema."""
    if model in _built:
        return _built[model]
    if model in _building:  # a model that contains itself: the inner copy stays open
        return _building[model]
    aliased = {
        name: info.alias
        for name, info in model.model_fields.items()
        if info.alias and info.alias != name
    }
    fields: dict[str, Schema] = ModelFields(aliased) if aliased else {}
    _building[model] = fields
    try:
        for name, info in model.model_fields.items():
            fields[info.alias or name] = annotation_schema(info.annotation)
    finally:
        del _building[model]
    _built[model] = fields
    return fields


def annotation_schema(annotation: Any) -> Schema:
    """The schema of a type annotation: models, scalars, Literal, Optional, lists, dicts."""
    if annotation is None or annotation is Any:
        return LEAF if annotation is None else ANY
    origin = get_origin(annotation)
    if origin is Annotated:
        return annotation_schema(get_args(annotation)[0])
    if origin is Literal:
        return LEAF
    if origin is Union or origin is types.UnionType:
        members = [a for a in get_args(annotation) if a is not type(None)]
        schemas = [annotation_schema(member) for member in members]
        if len(schemas) == 1:
            return schemas[0]
        return LEAF if all(s is LEAF for s in schemas) else ANY
    if origin in (list, tuple, set, frozenset, Sequence) or annotation in (list, tuple):
        items = [a for a in get_args(annotation) if a is not Ellipsis]
        return ListOf(annotation_schema(items[0]) if items else ANY)
    if origin in (dict, Mapping) or annotation is dict:
        pair = get_args(annotation)
        return MapOf(annotation_schema(pair[1]) if len(pair) == 2 else ANY)
    if isinstance(annotation, type):
        # A model has fields; any other class (str, int, an Enum, datetime, UUID) is one value.
        return model_schema(annotation) if issubclass(annotation, BaseModel) else LEAF
    return ANY

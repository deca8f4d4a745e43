"""The shapes typed references walk: which fields, items and keys a value has (pure).

A schema is built from a pydantic model (a workflow's input, a worker's answer) or a type
annotation (`list[DeploymentInput]`), so a reference knows that `scope` is a string with nothing
below it, that `waves[0]` is a Wave, and that a misspelt field does not exist. `ANY` is the one
open shape: what a value of unknown shape (a script's result with no declared model) allows.

A single value is a `Scalar`: an empty mapping (nothing below it) that keeps its declared type
(`str`, `bool`, a `Literal`, an Enum) for the checks that compare types: a SWITCH's cases
against the values its subject can take, a reference against the field it is given to.
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, TypeAlias, Union, get_args, get_origin

from pydantic import BaseModel

__all__ = [
    "ANY",
    "LEAF",
    "ListOf",
    "MapOf",
    "ModelFields",
    "Scalar",
    "Schema",
    "annotation_schema",
    "is_open",
    "model_schema",
    "type_text",
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


class Scalar(Mapping[str, "Schema"]):
    """One value, with nothing below it; `annotation` is its declared type (None: unknown)."""

    __slots__ = ("annotation",)

    def __init__(self, annotation: Any = None) -> None:
        self.annotation = annotation

    def __getitem__(self, key: str) -> Schema:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return f"Scalar({self.annotation!r})"


Schema: TypeAlias = "_Open | ListOf | MapOf | Mapping[str, Schema]"
# A scalar whose type nobody declared: nothing below it.
LEAF: Final = Scalar()

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
        return Scalar(annotation)
    if origin is Union or origin is types.UnionType:
        members = [a for a in get_args(annotation) if a is not type(None)]
        schemas = [annotation_schema(member) for member in members]
        if all(isinstance(s, Scalar) for s in schemas):
            return Scalar(annotation)  # `"a" | None` may be null: the union is the type
        if len(schemas) == 1:
            return schemas[0]
        return ANY
    if origin in (list, tuple, set, frozenset, Sequence) or annotation in (list, tuple):
        items = [a for a in get_args(annotation) if a is not Ellipsis]
        return ListOf(annotation_schema(items[0]) if items else ANY)
    if origin in (dict, Mapping) or annotation is dict:
        pair = get_args(annotation)
        return MapOf(annotation_schema(pair[1]) if len(pair) == 2 else ANY)
    if isinstance(annotation, type):
        # A model has fields; any other class (str, int, an Enum, datetime, UUID) is one value.
        return model_schema(annotation) if issubclass(annotation, BaseModel) else Scalar(annotation)
    return ANY


def type_text(annotation: Any) -> str:
    """A type annotation as a reader writes it: `list[Wave]`, `"a" | "b"`, `str | None`."""
    if annotation is None or annotation is type(None):
        return "None"
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return type_text(args[0])
    if origin is Literal:
        return " | ".join(json.dumps(arg) for arg in args)
    if origin is Union or origin is types.UnionType:
        return " | ".join(type_text(arg) for arg in args)
    if origin is not None:
        inner = ", ".join("..." if arg is Ellipsis else type_text(arg) for arg in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if annotation is Any:
        return "Any"
    return annotation.__name__ if isinstance(annotation, type) else str(annotation)

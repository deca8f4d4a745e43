"""What a value's declared type says it can be (pure): the case keys a SWITCH on it can meet,
and whether it can be given to a field of another type.

A reference keeps the declared type of what it points at (schemas.Scalar, ListOf, a model's
fields), so these checks compare declared types: where either side is undeclared (a worker's
open answer, `Any`) nothing is said.
"""

from __future__ import annotations

import enum
import functools
import math
import re
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin, is_typeddict

from pydantic import BaseModel, TypeAdapter, ValidationError

from deploy_dsl.schemas import ListOf, MapOf, Scalar, Schema, is_open, type_text

__all__ = ["case_keys", "describe", "java_string", "key_selectable", "reference_problem"]

_LISTS = (list, tuple, set, frozenset, Sequence)
_MAPPINGS = (dict, Mapping)
# String.valueOf of an Integer, Long or BigInteger, what Jackson reads a JSON integer as.
_INTEGER_FORM = re.compile(r"-?(0|[1-9][0-9]*)")


def case_keys(annotation: Any) -> frozenset[str] | None:
    """Every case key a value of the declared type can select: the string SwitchTaskMapper
    compares keys with (`String.valueOf` of the value Jackson read: `true`, `null`, `1`);
    None when they cannot all be listed (a str, an int, an undeclared type)."""
    values = _values(annotation)
    if values is None:
        return None
    forms = [java_string(value) for value in values]
    return None if any(form is None for form in forms) else frozenset(f for f in forms if f)


def key_selectable(annotation: Any, key: str) -> bool | None:
    """Whether a value of the declared type can select case `key` (its `String.valueOf` is the
    key): for a type whose values can be listed, one of them gives it; for an int, the key is
    an integer's form (`7`, `-1`; never `07`, `+1` or `1.0`). None when the type does not say
    (a str, a float, an undeclared type)."""
    keys = case_keys(annotation)
    if keys is not None:
        return key in keys
    annotation = _unwrapped(annotation)
    members = _members(annotation)
    if members is not None:
        verdicts = [key_selectable(member, key) for member in members]
        if True in verdicts:
            return True
        return None if None in verdicts else False
    if annotation is int:
        return _INTEGER_FORM.fullmatch(key) is not None
    return None


def describe(schema: Schema) -> str:
    """A declared shape as a reader writes its type: `list[Wave]`, `"pass" | "fail"`."""
    if isinstance(schema, Scalar):
        return type_text(schema.annotation) if schema.annotation is not None else "a value"
    if isinstance(schema, ListOf):
        item = describe(schema.item)
        if item == "an object":
            return "a list of objects"
        return "a list" if item in ("a value", "anything") else f"list[{item}]"
    if is_open(schema):
        return "anything"
    return "an object"


def reference_problem(schema: Schema, target: Any) -> str | None:
    """Why a value of the declared shape `schema` can never be a `target` (a field's type):
    a list where a str is wanted, an object where an int is, a Literal none of whose values
    the target accepts; None when it can be, or when either type is undeclared."""
    source = _kind(schema)
    accepted = _target_kinds(target)
    if source is None or accepted is None:
        return None
    if source not in accepted:
        return f"it is {describe(schema)}, which can never be {type_text(target)}"
    if isinstance(schema, Scalar):
        samples = _samples(schema.annotation)
        if samples is not None and not any(_fits(target, value) for value in samples):
            return f"it is {describe(schema)}, which can never be {type_text(target)}"
    if isinstance(schema, ListOf):
        item = _list_item(target)
        inner = None if item is None else reference_problem(schema.item, item)
        if inner is not None:
            return f"its items: {inner}"
    return None


def _kind(schema: Schema) -> str | None:
    if isinstance(schema, Scalar):
        return "scalar"
    if isinstance(schema, ListOf):
        return "list"
    if isinstance(schema, MapOf) or (isinstance(schema, Mapping) and not is_open(schema)):
        return "object"
    return None


def _unwrapped(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _members(annotation: Any) -> tuple[Any, ...] | None:
    """The members of a union, or None for any other type."""
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return None


def _target_kinds(annotation: Any) -> frozenset[str] | None:
    """Which JSON shapes a field of the type takes: scalar, list, object; None for any."""
    annotation = _unwrapped(annotation)
    if annotation is Any or annotation is object:
        return None
    members = _members(annotation)
    if members is not None:
        kinds = [_target_kinds(member) for member in members]
        if any(kind is None for kind in kinds):
            return None
        return frozenset().union(*(kind for kind in kinds if kind is not None))
    origin = get_origin(annotation) or annotation
    if annotation is None or annotation is type(None) or origin is Literal:
        return frozenset({"scalar"})
    if origin in _LISTS:
        return frozenset({"list"})
    if origin in _MAPPINGS:
        return frozenset({"object"})
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel) or is_typeddict(annotation):
            return frozenset({"object"})
        return frozenset({"scalar"})
    return None


def _list_item(annotation: Any) -> Any:
    """The item type of a list type (`list[str]` gives str); None for anything else."""
    annotation = _unwrapped(annotation)
    if get_origin(annotation) in _LISTS:
        args = [arg for arg in get_args(annotation) if arg is not Ellipsis]
        return args[0] if len(args) == 1 else None
    return None


def _values(annotation: Any) -> list[Any] | None:
    """Every JSON value of a type whose values can be listed (Literal, Enum, bool, None);
    None for a type not declared (a Scalar without an annotation) or not listable."""
    annotation = _unwrapped(annotation)
    if annotation is None:
        return None
    if annotation is type(None):
        return [None]
    if annotation is bool:
        return [True, False]
    members = _members(annotation)
    if members is not None:
        return _of_members(members, _values)
    if get_origin(annotation) is Literal:
        return [_json_value(arg) for arg in get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [_json_value(member) for member in annotation]
    return None


def _samples(annotation: Any) -> list[Any] | None:
    """Values standing for every value of the type, where they can: all of them for a type
    whose values can be listed; for a number, integral and fractional ones. None for a str
    (any text: it may be what a target wants) and for types not declared."""
    listed = _values(annotation)
    if listed is not None:
        return listed
    annotation = _unwrapped(annotation)
    members = _members(annotation)
    if members is not None:
        return _of_members(members, _samples)
    if annotation is int:
        return [0, 1, -1]
    if annotation is float:
        return [0.5, 1.0]
    return None


def _of_members(
    members: tuple[Any, ...], listing: Callable[[Any], list[Any] | None]
) -> list[Any] | None:
    """What `listing` gives for every member of a union, together; None if any gives None."""
    found: list[Any] = []
    for member in members:
        values = listing(member)
        if values is None:
            return None
        found += values
    return found


def _json_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def java_string(value: Any) -> str | None:
    """`String.valueOf` of the Java object Jackson reads the JSON value as; None where Java's
    form of a number is not Python's (1e7 is `1.0E7` there)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        plain = math.isfinite(value) and (value == 0 or 1e-3 <= abs(value) < 1e7)
        return repr(value) if plain else None
    return value if isinstance(value, str) else None


def _fits(target: Any, value: Any) -> bool:
    adapter = _adapter(target)
    if adapter is None:
        return True
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def _adapter(target: Any) -> TypeAdapter[Any] | None:
    try:
        return _cached_adapter(target)
    except TypeError:  # an annotation that cannot be a cache key, or that pydantic refuses
        return None


@functools.cache
def _cached_adapter(target: Any) -> TypeAdapter[Any]:
    # The bare type: a constraint (a pattern, a length) says nothing about the value's type.
    return TypeAdapter(_unwrapped(target))

"""A body a definition builds, checked against the model that types it (pure).

An HTTP step's body against the worker's request model, a sub-workflow's inputs against the
callee's input model, a SET_VARIABLE against the workflow's variables: a field the model does
not have, a required one left out, or a literal of the wrong type. A value Conductor resolves at
run time (a reference, or a string holding `${...}`) is not a literal: a reference is judged by
its declared type instead (a list where the field wants a str), where both types are declared.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from deploy_dsl.expressions import Ref, schema_of
from deploy_dsl.findings import Code, Problem
from deploy_dsl.task import is_model
from deploy_dsl.value_types import reference_problem

__all__ = ["body_problems"]


def body_problems(
    model: type[BaseModel],
    body: Mapping[str, Any],
    what: str,
    code: Code,
    *,
    partial: bool = False,
) -> Iterator[Problem]:
    """What is wrong with `body` as an instance of `model`, one problem per field: `code` for
    a field the model lacks, misses or a literal it refuses, REFERENCE_TYPE for a reference
    whose declared type the field's can never be.

    `partial`: the body sets some fields only (a SET_VARIABLE), so none is required.
    """
    fields = {info.alias or name: (name, info) for name, info in model.model_fields.items()}
    for key in body:
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(fields) or "none"
            yield Problem(code, f"{what} has no field {key!r}{hint}; {model.__name__} has {known}")
    if not partial:
        for key, (_, info) in fields.items():
            if info.is_required() and key not in body:
                yield Problem(code, f"{what} leaves out {key!r}, which {model.__name__} requires")
    for key, value in body.items():
        if key not in fields:
            continue
        if not _resolved_at_run_time(value):
            problem = _literal_problem(model, fields[key][0], value)
            if problem:
                yield Problem(code, f"{what}: {key}={value!r:.60} is not valid: {problem}")
        else:
            yield from _reference_problems(fields[key][1].annotation, value, f"{what}: {key}")


def _reference_problems(annotation: Any, value: Any, where: str) -> Iterator[Problem]:
    """References (in `value`, and in the mappings it builds for a model's fields) whose
    declared type the field's can never be."""
    if isinstance(value, Ref):
        problem = reference_problem(schema_of(value), annotation)
        if problem:
            yield Problem(
                Code.REFERENCE_TYPE,
                f"{where}={value} does not fit: {problem} (the value keeps its JSON type)",
            )
    elif isinstance(value, Mapping) and is_model(annotation):
        fields = {info.alias or name: info for name, info in annotation.model_fields.items()}
        for key, item in value.items():
            if key in fields:
                yield from _reference_problems(fields[key].annotation, item, f"{where}.{key}")


def _resolved_at_run_time(value: Any) -> bool:
    if isinstance(value, Ref):
        return True
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, Mapping):
        return any(_resolved_at_run_time(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_resolved_at_run_time(v) for v in value)
    return False


def _literal_problem(model: type[BaseModel], field: str, value: Any) -> str | None:
    try:
        _adapter(model, field).validate_python(value)
    except ValidationError as error:
        return str(error.errors(include_url=False)[0]["msg"])
    return None


@cache
def _adapter(model: type[BaseModel], field: str) -> TypeAdapter[Any]:
    info = model.model_fields[field]
    annotation: Any = info.annotation
    if info.metadata:  # constraints such as min_length travel beside the annotation
        annotation = Annotated[(annotation, *info.metadata)]
    return TypeAdapter(annotation)

"""Declared types compared as the checks of DSL092-095 compare them: what a SWITCH on a value
can see, and which references a typed field can never take (and which it can)."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field

from deploy_dsl.schemas import annotation_schema
from deploy_dsl.value_types import case_keys, key_selectable, reference_problem


class Colour(enum.Enum):
    BLUE = "blue"
    GREEN = "green"


class Service(BaseModel):
    scope: str


@pytest.mark.parametrize(
    ("annotation", "keys"),
    [
        # SwitchTaskMapper: String.valueOf of what Jackson read
        (Literal["pass", "fail"], {"pass", "fail"}),
        (bool, {"true", "false"}),
        (Literal["a"] | None, {"a", "null"}),
        (Colour, {"blue", "green"}),
        (Literal[1, 2], {"1", "2"}),
        (str, None),
        (int, None),
        (Any, None),
    ],
)
def test_the_case_keys_a_declared_type_can_select(annotation: Any, keys: set[str] | None) -> None:
    assert case_keys(annotation) == (None if keys is None else frozenset(keys))


@pytest.mark.parametrize(
    ("annotation", "key", "selectable"),
    [
        # An integer's String.valueOf: digits, a minus; never a plus, leading zeros or `.0`.
        (int, "7", True),
        (int, "-12", True),
        (int, "0", True),
        (int, "07", False),
        (int, "+1", False),
        (int, "1.0", False),
        (int, "many", False),
        (int | None, "null", True),
        (int | None, "many", False),
        (int | str, "many", None),
        (Literal["pass", "fail"], "passed", False),
        (str, "anything", None),
        (float, "1", None),
        (Any, "x", None),
    ],
)
def test_whether_a_declared_type_can_select_a_key(
    annotation: Any, key: str, selectable: bool | None
) -> None:
    assert key_selectable(annotation, key) is selectable


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (list[Service], str),
        (Service, int),
        (int, str),
        (bool, str),
        (Literal["a", "b"], Literal["c"]),
        (list[int], list[str]),
        (str, list[str]),
        (str, Service),
    ],
)
def test_a_reference_the_field_can_never_take(source: Any, target: Any) -> None:
    assert reference_problem(annotation_schema(source), target) is not None


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (str, int),  # "3" is an int to pydantic: it may be one
        (str, Literal["a"]),
        (str, Colour),
        (Literal["blue"], Colour),
        (Literal["a"], str),
        (int, float),
        (float, int),  # 1.0 is an int to pydantic
        (Service, Service),
        (list[Service], list[Service]),
        (str | None, str),
        (Any, str),
        (str, Any),
        (int, Annotated[str, Field(pattern="^[a-z]+$")] | int),  # a constraint is not a type
    ],
)
def test_a_reference_the_field_can_take(source: Any, target: Any) -> None:
    assert reference_problem(annotation_schema(source), target) is None

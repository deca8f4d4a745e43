"""HUMAN: waits until a person (or another system) completes it through the task API."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Unpack

from deploy_dsl.expressions import Shape
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned
from deploy_dsl.kinds.simple import check_contract
from deploy_dsl.schemas import ANY, Schema, model_schema
from deploy_dsl.task import Task, TaskOptions

__all__ = ["KIND", "Human"]


class Human(Task[Shape]):
    """A task for a person (HUMAN): it waits until completed through the task API.

    Its output is what it is completed with.

    Args:
        ref: the task reference name (see Task).
        response: the model of what the task is completed with; it types `.output`, for
            the type checker too (without one `.output` is Ref, open).
        **options: TaskOptions (`inputs` are what the person is shown).
    """

    type = "HUMAN"

    def __init__(
        self,
        ref: str,
        *,
        response: builtins.type[Shape] | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        _, self.response_model = check_contract(f"Human {ref!r}", None, response)

    def output_fields(self) -> Schema:
        return ANY if self.response_model is None else model_schema(self.response_model)


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    return ImportPlan(Human)


KIND = Kind(
    type="HUMAN",
    builder=Human,
    summary="Waits until a person completes it through the task API.",
    example=lambda: [Human("sign_off", inputs={"question": "ship 2.4.0?"})],
    plan=_plan,
    shape="rounded",
    flow="external",
    named=True,
    unchecked="it needs nothing but its name: it waits until the task API completes it",
)

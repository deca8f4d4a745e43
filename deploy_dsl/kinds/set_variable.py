"""SET_VARIABLE: sets workflow variables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned
from deploy_dsl.schemas import LEAF, Schema
from deploy_dsl.task import Task
from deploy_dsl.wire import WorkflowTask

__all__ = ["KIND", "NoOutput", "SetVariable"]


class NoOutput:
    """SET_VARIABLE's `output` as the type checker sees it: no fields. Never instantiated."""


class SetVariable(Task[NoOutput]):
    """Sets workflow variables; the keys of `inputs` are the variable names. Conductor sets any
    name, declared in the workflow's variables or not.

    Args:
        ref: the task reference name (see Task).
        **options: TaskOptions; `inputs` maps each variable to its new value.
    """

    type = "SET_VARIABLE"
    output_schema: ClassVar[Schema] = LEAF


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    return ImportPlan(SetVariable)


def _detail(task: WorkflowTask) -> str | None:
    return ", ".join(task.input_parameters or {}) or None


KIND = Kind(
    type="SET_VARIABLE",
    builder=SetVariable,
    summary="Sets workflow variables: each input names one.",
    example=lambda: [SetVariable("remember", inputs={"outcome": "finalized"})],
    plan=_plan,
    detail=_detail,
    operator=True,
    unchecked="any name may be set; variables are checked where they are read (DSL016) and "
    "against the workflow's variables model (DSL073)",
)

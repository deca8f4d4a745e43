"""JSON_JQ_TRANSFORM: a jq query over the task's inputs."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Generic, Unpack

from deploy_dsl.arguments import require
from deploy_dsl.checking import Placement, WorkflowScope, check_jq, require_input, task_template
from deploy_dsl.expressions import Shape
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned
from deploy_dsl.location import literal_location
from deploy_dsl.schemas import ANY, LEAF, ListOf, Schema, annotation_schema
from deploy_dsl.task import CompileOptions, Task, TaskOptions

__all__ = ["KIND", "JqOutput", "JsonJq"]


class JqOutput(Generic[Shape]):
    """A jq task's `output` as the type checker sees it (JsonJqTransform's fields): `result`
    is the `result=` type, or Ref (open) without one. Never instantiated."""

    result: Shape
    resultList: list[Shape]
    error: str | None


class JsonJq(Task[JqOutput[Shape]]):
    """A jq query over the task's inputs (JSON_JQ_TRANSFORM).

    Args:
        ref: the task reference name (see Task).
        query: the jq program (queryExpression); its value is `output.result`.
        result: the type of the query's value, which types `output.result` (for the type
            checker too; without it the result is open).
        **options: TaskOptions (`inputs` are what the query reads as `.`).
    """

    type = "JSON_JQ_TRANSFORM"

    def __init__(
        self,
        ref: str,
        *,
        query: str,
        result: builtins.type[Shape] | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        require(f"JsonJq {ref!r}", "query", query, str)
        self.query = query
        self.script_location = literal_location(query)
        self.result_schema = ANY if result is None else annotation_schema(result)

    def output_fields(self) -> Schema:
        return {
            "result": self.result_schema,
            "resultList": ListOf(self.result_schema),
            "error": LEAF,
        }

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        return {"queryExpression": self.query, **self.inputs}


def _check(scope: WorkflowScope, placement: Placement) -> None:
    require_input(scope, placement, "queryExpression")
    task = placement.task
    inputs = {**task_template(scope, task), **(task.input_parameters or {})}
    check_jq(scope, task.task_reference_name, inputs.get("queryExpression"))


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    query = inputs.get("queryExpression")
    if not isinstance(query, str):
        return "JSON_JQ_TRANSFORM needs a string queryExpression"
    owned = frozenset({"queryExpression"})
    return ImportPlan(JsonJq, [("query", code.literal(query))], owned_inputs=owned)


KIND = Kind(
    type="JSON_JQ_TRANSFORM",
    builder=JsonJq,
    summary="Runs a jq query over its inputs; its value is output.result.",
    example=lambda: [JsonJq("names", query="[.services[].scope]", inputs={"services": []})],
    plan=_plan,
    check=_check,
    operator=True,
)

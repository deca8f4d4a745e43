"""INLINE: a script the server runs; its value is the task's `output.result`."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Generic, Literal, Unpack

from deploy_dsl.arguments import require
from deploy_dsl.checking import EVALUATORS, Placement, WorkflowScope, check_javascript
from deploy_dsl.expressions import Shape
from deploy_dsl.findings import Code
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned, Snippet
from deploy_dsl.location import literal_location
from deploy_dsl.schemas import ANY, Schema, annotation_schema
from deploy_dsl.task import CompileOptions, Task, TaskOptions

__all__ = ["KIND", "Inline", "ScriptEvaluator", "ScriptOutput"]

ScriptEvaluator = Literal["graaljs", "javascript", "python"]
_SCRIPT_EVALUATORS = ("graaljs", "javascript", "python")


class ScriptOutput(Generic[Shape]):
    """A script task's `output` as the type checker sees it: `result` is the `result=` type,
    or Ref (open) without one. Never instantiated: at run time it is a Ref."""

    result: Shape


class Inline(Task[ScriptOutput[Shape]]):
    """A script run on the server (graaljs by default); `$` is the task's inputs.

    Args:
        ref: the task reference name (see Task).
        script: the expression; its value is the task's `output.result`.
        evaluator: evaluatorType: `graaljs`, `javascript` or `python`.
        result: the type of what the script returns (a model, `list[Model]`, ...), which types
            `output.result`, for the type checker too; without it the result is open (Ref).
        **options: TaskOptions (`inputs` are what the script sees as `$`).
    """

    type = "INLINE"

    def __init__(
        self,
        ref: str,
        *,
        script: str,
        evaluator: ScriptEvaluator = "graaljs",
        result: builtins.type[Shape] | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        require(f"Inline {ref!r}", "script", script, str)
        self.result_schema = ANY if result is None else annotation_schema(result)
        self.script = script
        self.script_location = literal_location(script)
        self.evaluator = evaluator

    def output_fields(self) -> Schema:
        return {"result": self.result_schema}

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        return {"evaluatorType": self.evaluator, "expression": self.script, **self.inputs}


def _check(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    inputs = task.input_parameters or {}
    evaluator = inputs.get("evaluatorType")
    if "evaluatorType" in inputs and (
        not isinstance(evaluator, str) or evaluator not in EVALUATORS
    ):
        scope.report(
            Code.TASK_FIELD_MISSING,
            ref,
            f"INLINE evaluatorType {evaluator!r} is not one of {', '.join(sorted(EVALUATORS))}: "
            "the task FAILS",
        )
    expression = inputs.get("expression")
    if not isinstance(expression, str) or not expression.strip():
        scope.report(
            Code.TASK_FIELD_MISSING,
            ref,
            "INLINE has no expression in its inputParameters: the task FAILS",
        )
    elif evaluator in (None, "javascript", "graaljs"):
        # Inline.execute evaluates it (javascript when no evaluatorType is given); nothing
        # parses it at registration.
        check_javascript(
            scope, ref, "INLINE expression", expression, "the task FAILS", substituted=True
        )


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    evaluator, script = inputs.get("evaluatorType"), inputs.get("expression")
    if evaluator not in _SCRIPT_EVALUATORS or not isinstance(script, str):
        return "INLINE needs a string expression and a known evaluatorType"
    kwargs: list[tuple[str, Snippet]] = [("script", code.literal(script))]
    if evaluator != "graaljs":
        kwargs.append(("evaluator", code.literal(evaluator)))
    return ImportPlan(Inline, kwargs, owned_inputs=frozenset({"evaluatorType", "expression"}))


KIND = Kind(
    type="INLINE",
    builder=Inline,
    summary="Runs a script on the server (GraalJS, JavaScript or Python); its value is "
    "output.result.",
    example=lambda: [
        Inline("count", script="$.items.length", inputs={"items": [1, 2]}, result=int)
    ],
    plan=_plan,
    check=_check,
    operator=True,
)

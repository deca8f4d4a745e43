"""LAMBDA: the older script task (JavaScript in a function body); INLINE replaces it."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Unpack

from deploy_dsl.arguments import require
from deploy_dsl.checking import Placement, WorkflowScope, check_javascript, require_input
from deploy_dsl.expressions import Shape
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned
from deploy_dsl.kinds.inline import ScriptOutput
from deploy_dsl.location import literal_location
from deploy_dsl.schemas import ANY, Schema, annotation_schema
from deploy_dsl.task import CompileOptions, Task, TaskOptions

__all__ = ["KIND", "Lambda"]


class Lambda(Task[ScriptOutput[Shape]]):
    """Conductor's older script task (LAMBDA); new definitions should use Inline.

    `script` is the body of a JavaScript function whose `return` value is `output.result`,
    with `$` the task's inputs (Lambda.execute). Kept so existing LAMBDA tasks import
    unchanged.

    Args:
        ref: the task reference name (see Task).
        script: scriptExpression, the function body (`return $.a + 1;`).
        result: the type of what the script returns, which types `output.result` (for the
            type checker too; without it the result is open).
        **options: TaskOptions.
    """

    type = "LAMBDA"

    def __init__(
        self,
        ref: str,
        *,
        script: str,
        result: builtins.type[Shape] | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        require(f"Lambda {ref!r}", "script", script, str)
        self.script = script
        self.script_location = literal_location(script)
        self.result_schema = ANY if result is None else annotation_schema(result)

    def output_fields(self) -> Schema:
        return {"result": self.result_schema}

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        return {"scriptExpression": self.script, **self.inputs}


def _check(scope: WorkflowScope, placement: Placement) -> None:
    require_input(scope, placement, "scriptExpression", run_time_only=True)
    task = placement.task
    # Lambda.execute runs it as the body of `function scriptFun(){...}`.
    script = (task.input_parameters or {}).get("scriptExpression")
    consequence = "the task FAILS"
    check_javascript(
        scope, task.task_reference_name, "LAMBDA scriptExpression", script, consequence,
        substituted=True, function_body=True,
    )  # fmt: skip


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    script = inputs.get("scriptExpression")
    if not isinstance(script, str):
        return "LAMBDA needs a string scriptExpression"
    owned = frozenset({"scriptExpression"})
    return ImportPlan(Lambda, [("script", code.literal(script))], owned_inputs=owned)


KIND = Kind(
    type="LAMBDA",
    builder=Lambda,
    summary="Runs a JavaScript function body on the server (the older INLINE).",
    example=lambda: [Lambda("double", script="return $.n * 2;", inputs={"n": 2})],
    plan=_plan,
    check=_check,
    operator=True,
)

"""DECISION: Conductor's older SWITCH."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, Unpack

from deploy_dsl.arguments import require
from deploy_dsl.checking import Placement, WorkflowScope, check_javascript, fails
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref
from deploy_dsl.findings import Code, Problem
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned, Snippet, scalar_text
from deploy_dsl.kinds.noop import Noop
from deploy_dsl.kinds.switch import (
    CASE_FIELDS,
    case_bodies,
    case_problems,
    cases_plan,
    taken_case,
    wire_cases,
)
from deploy_dsl.location import literal_location
from deploy_dsl.schemas import ANY, Schema
from deploy_dsl.task import CompileOptions, Task, TaskOptions
from deploy_dsl.wire import WorkflowTask

__all__ = ["KIND", "Decision", "DecisionOutput"]


class DecisionOutput:
    """A DECISION's `output` as the type checker sees it. Never instantiated."""

    caseOutput: Ref


class Decision(Task[DecisionOutput]):
    """Conductor's older SWITCH, kept so existing DECISION tasks import unchanged.

    `param` names the input whose value picks the case (caseValueParam); `script` is a
    javascript expression over `$`, the task's inputs (caseExpression). New definitions
    should use Switch.

    Args:
        ref: the task reference name (see Task).
        cases: the task list of each case, by case key.
        default: the tasks run when no case matches.
        param: the input whose value picks the case.
        script: the javascript expression that picks the case.
        **options: TaskOptions.
    """

    type = "DECISION"
    output_schema: ClassVar[Schema] = {"caseOutput": ANY}

    def __init__(
        self,
        ref: str,
        *,
        cases: Mapping[str, Sequence[Task]],
        default: Sequence[Task] = (),
        param: str | None = None,
        script: str | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        if (param is None) == (script is None):
            raise DefinitionError(f"DECISION {ref!r}: give exactly one of param= or script=")
        require(f"DECISION {ref!r}", "param", param, str, optional=True)
        require(f"DECISION {ref!r}", "script", script, str, optional=True)
        self.cases, self.default = case_bodies(f"DECISION {ref!r}", cases, default)
        self.written_keys: list[object] = list(cases)
        self.param = param
        self.script = script
        self.script_location = None if script is None else literal_location(script)

    def children(self) -> list[list[Task]]:
        return [*self.cases.values(), self.default]

    def problems(self) -> Iterator[Problem]:
        subject = self.inputs.get(self.param) if self.param is not None else None
        return case_problems(self.written_keys, subject, bool(self.default))

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {
            "caseValueParam": self.param,
            "caseExpression": self.script,
            **wire_cases(self.cases, self.default, options),
        }


def _check(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    if task.case_value_param is None and task.case_expression is None:
        scope.report(
            Code.DECISION_NO_PARAM,
            ref,
            "DECISION needs caseValueParam or caseExpression: "
            + fails(placement, "the workflow FAILS there"),
        )
    # isDecisionTaskValid parses the script at registration (validateScriptExpression).
    at_run_time = "the workflow FAILS when it reaches the DECISION (DecisionTaskMapper)"
    consequence = fails(placement, at_run_time)
    check_javascript(scope, ref, "caseExpression", task.case_expression, consequence)
    if not task.decision_cases:
        scope.report(
            Code.SWITCH_NO_CASES,
            ref,
            "DECISION has no decisionCases: " + fails(placement, "it takes the default case"),
        )


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    param, script = raw.get("caseValueParam"), raw.get("caseExpression")
    kwargs: list[tuple[str, Snippet]]
    if isinstance(param, str):
        kwargs = [("param", code.literal(param))]
    elif isinstance(script, str):
        kwargs = [("script", code.literal(script))]
    else:
        return "DECISION has neither caseValueParam nor caseExpression"
    bodies = cases_plan(raw, code)
    if bodies is None:
        return "DECISION has no decisionCases the Decision builder accepts"
    return ImportPlan(Decision, kwargs, bodies, nested=CASE_FIELDS)


def _detail(task: WorkflowTask) -> str | None:
    """What a DECISION branches on: the input its parameter names, or its script."""
    param = task.case_value_param
    if param:
        return f"on {scalar_text((task.input_parameters or {}).get(param)) or param}"
    return f"on {task.case_expression}" if task.case_expression else None


def _branch(task: WorkflowTask, output: Mapping[str, Any]) -> str:
    """`caseOutput` is a one-item list of the evaluated value (DecisionTaskMapper)."""
    value = output.get("caseOutput")
    first = value[0] if isinstance(value, list) and value else value
    return taken_case(task, first, empty_is_default=True)


KIND = Kind(
    type="DECISION",
    builder=Decision,
    summary="Conductor's older SWITCH: the case named by an input or a JavaScript expression.",
    example=lambda: [
        Decision(
            "route",
            param="kind",
            inputs={"kind": "fast"},
            cases={"fast": [Noop("go_fast")]},
            default=[Noop("go_slow")],
        )
    ],
    plan=_plan,
    check=_check,
    detail=_detail,
    branch=_branch,
    shape="rhombus",
    operator=True,
)

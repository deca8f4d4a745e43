"""SWITCH: runs the tasks of the case whose key equals the evaluated value."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, Final, Unpack

from deploy_dsl.checking import EVALUATORS, Placement, WorkflowScope, check_javascript, fails
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref, schema_of
from deploy_dsl.findings import Code, Problem
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned, Snippet, scalar_text
from deploy_dsl.kinds.noop import Noop
from deploy_dsl.location import literal_location
from deploy_dsl.schemas import ANY, LEAF, Scalar, Schema, type_text
from deploy_dsl.task import (
    CONDITION_EVALUATORS,
    CompileOptions,
    Evaluator,
    Task,
    TaskOptions,
    task_list,
)
from deploy_dsl.value_types import case_keys, java_string, key_selectable
from deploy_dsl.wire import WorkflowTask

__all__ = [
    "CASE_FIELDS",
    "DEFAULT_CASE",
    "KIND",
    "Switch",
    "SwitchOutput",
    "case_bodies",
    "case_problems",
    "cases_plan",
    "taken_case",
    "wire_cases",
]

# The WorkflowTask fields that hold a SWITCH's or DECISION's task lists.
CASE_FIELDS: Final = frozenset({"decisionCases", "defaultCase"})
# How a replay names the branch a SWITCH or DECISION took when no case key matched.
DEFAULT_CASE: Final = "default"


class SwitchOutput:
    """A SWITCH's `output` as the type checker sees it. Never instantiated: a Ref at run
    time."""

    evaluationResult: Ref
    selectedCase: str


class Switch(Task[SwitchOutput]):
    """Runs the tasks of the case whose key equals the evaluated value, else `default`.

    `value` (a reference) gives a value-param switch; `script` gives a javascript or graaljs
    one where `$` is the task's inputs. Case keys are compared with the value's string form.

    Args:
        ref: the task reference name (see Task).
        cases: the task list of each case, by case key.
        default: the tasks run when no case matches.
        value: the value to switch on (value-param): a reference (`inputs.env`, a step's
            `response.body.status`), whatever the type it points at.
        script: the expression to switch on (javascript or graaljs).
        evaluator: evaluatorType, when the default for `value` / `script` is not wanted.
        **options: TaskOptions.
    """

    type = "SWITCH"
    output_schema: ClassVar[Schema] = {"evaluationResult": ANY, "selectedCase": LEAF}

    def __init__(
        self,
        ref: str,
        *,
        cases: Mapping[str, Sequence[Task]],
        default: Sequence[Task] = (),
        value: Ref | str | int | float | bool | None = None,
        script: str | None = None,
        evaluator: Evaluator | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        if (value is None) == (script is None):
            raise DefinitionError(f"SWITCH {ref!r}: give exactly one of value= or script=")
        self.cases, self.default = case_bodies(f"SWITCH {ref!r}", cases, default)
        self.written_keys: list[object] = list(cases)
        self.value = value
        if value is not None:
            self.evaluator = evaluator or "value-param"
            self.expression = "switchCaseValue"
            self.inputs = {"switchCaseValue": value, **self.inputs}
        else:
            self.evaluator = evaluator or "graaljs"
            self.expression = str(script)
            self.script_location = literal_location(self.expression)

    def children(self) -> list[list[Task]]:
        return [*self.cases.values(), self.default]

    def problems(self) -> Iterator[Problem]:
        return case_problems(self.written_keys, self.value, bool(self.default))

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {
            "evaluatorType": self.evaluator,
            "expression": self.expression,
            **wire_cases(self.cases, self.default, options),
        }


def case_bodies(
    owner: str, cases: Mapping[str, Sequence[Task]], default: Sequence[Task]
) -> tuple[dict[str, list[Task]], list[Task]]:
    if not cases:
        raise DefinitionError(f"{owner}: needs at least one case")
    bodies = {str(k): task_list(owner, f"case {k!r}", v) for k, v in cases.items()}
    return bodies, task_list(owner, "default", default)


def case_problems(keys: Sequence[object], subject: object, has_default: bool) -> Iterator[Problem]:
    """Cases against what SwitchTaskMapper compares them with: the string form of the value
    (`String.valueOf`: `true`, `null`, `1`), so a key that is not a string is written in
    Python's form and may never match, and where the subject is a reference of a declared
    type that says which keys it can give (a Literal, an Enum, bool, int), a key it never
    gives never matches and, where they can be listed, a default after cases that cover them
    all never runs."""
    for key in keys:
        if not isinstance(key, str):
            form = java_string(key)
            fix = f"; write {form!r}" if form is not None else ""
            yield Problem(
                Code.CASE_KEY_NOT_A_STRING,
                f"case key {key!r} is a {type(key).__name__}, written as {str(key)!r}: the "
                "SWITCH compares the value's string form (`true`, `null`, `1`) with the keys" + fix,
            )
    schema = schema_of(subject) if isinstance(subject, Ref) else None
    if not isinstance(schema, Scalar):
        return
    possible = case_keys(schema.annotation)
    shown = ", ".join(repr(value) for value in sorted(possible or ()))
    declared = type_text(schema.annotation)
    sees = f"one of {shown}" if possible is not None else "its string form (`7`, `-1`)"
    for key in dict.fromkeys(key for key in keys if isinstance(key, str)):
        if key_selectable(schema.annotation, key) is False:
            yield Problem(
                Code.CASE_NEVER_MATCHES,
                f"case {key!r} can never match: {subject} is {declared}, so the SWITCH sees {sees}",
            )
    if possible is not None and has_default and possible <= {str(key) for key in keys}:
        yield Problem(
            Code.DEFAULT_UNREACHABLE,
            f"the default case never runs: the cases cover every value {subject} can take "
            f"({declared}: {shown})",
            "warning",
        )


def wire_cases(
    cases: Mapping[str, list[Task]], default: list[Task], options: CompileOptions
) -> dict[str, Any]:
    return {
        "decisionCases": {
            key: [task.to_wire(options) for task in tasks] for key, tasks in cases.items()
        },
        "defaultCase": [task.to_wire(options) for task in default],
    }


def _check(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    evaluator = task.evaluator_type
    if evaluator is None:
        scope.report(
            Code.SWITCH_BAD_EVALUATOR,
            ref,
            "SWITCH has no evaluatorType: "
            + fails(placement, "the workflow FAILS (no evaluator for null)"),
        )
    elif evaluator not in EVALUATORS:
        scope.report(
            Code.SWITCH_BAD_EVALUATOR,
            ref,
            f"evaluatorType {evaluator!r} is not one of {', '.join(sorted(EVALUATORS))}: the "
            "workflow FAILS when it reaches the SWITCH (no evaluator registered)",
        )
    if task.expression is None:
        scope.report(
            Code.SWITCH_NO_EXPRESSION,
            ref,
            "SWITCH has no expression: " + fails(placement, "the workflow FAILS there"),
        )
    elif not task.expression.strip():
        scope.report(
            Code.SWITCH_NO_EXPRESSION,
            ref,
            "the expression is empty: the SWITCH always takes the default case",
            "warning",
        )
    elif evaluator == "value-param":
        _check_value_param(scope, task)
    elif evaluator in ("javascript", "graaljs"):
        # SwitchTaskMapper evaluates it when the workflow reaches the SWITCH, and a failure
        # fails the task; registration parses `javascript` ones only
        # (WorkflowTaskTypeConstraint.isSwitchTaskValid: ScriptEvaluator.validateScriptSyntax).
        at_run_time = "the SWITCH FAILS when the workflow reaches it, and the workflow with it"
        if evaluator == "javascript":
            at_run_time = fails(placement, at_run_time)
        else:
            at_run_time = "the server accepts it (graaljs is not parsed at registration) and " + (
                at_run_time
            )
        check_javascript(scope, ref, "SWITCH expression", task.expression, at_run_time)
    if not task.decision_cases:
        if placement.registration_checked:
            scope.report(
                Code.SWITCH_NO_CASES, ref, "SWITCH has no decisionCases: the server rejects it"
            )
        else:
            scope.report(
                Code.SWITCH_NO_CASES,
                ref,
                "SWITCH has no decisionCases: it always takes the default case",
                "warning",
            )


def _check_value_param(scope: WorkflowScope, task: WorkflowTask) -> None:
    """`ValueParamEvaluator` looks the expression up as a key of the task's inputs, unresolved."""
    key = str(task.expression)
    if key in (task.input_parameters or {}):
        return
    has_null_case = "null" in (task.decision_cases or {})
    scope.report(
        Code.SWITCH_VALUE_NOT_AN_INPUT,
        task.task_reference_name,
        f"a value-param SWITCH reads the input named by its expression, and {key!r} is not one "
        f"of its inputParameters: the value is null, so it "
        + ("always takes the case 'null'" if has_null_case else "always takes the default case"),
        "warning" if has_null_case else "error",
    )


def cases_plan(raw: Mapping[str, Any], code: Importing) -> list[tuple[str, Snippet]] | None:
    """`cases=` and `default=` for SWITCH and DECISION; None if they are not task lists."""
    cases, default = raw.get("decisionCases"), raw.get("defaultCase", [])
    if not isinstance(cases, dict) or not cases or not isinstance(default, list):
        return None
    if not all(isinstance(branch, list) for branch in cases.values()):
        return None
    bodies: list[tuple[str, Snippet]] = [
        ("cases", code.mapping([(key, code.tasks(tasks)) for key, tasks in cases.items()]))
    ]
    if default:
        bodies.append(("default", code.tasks(default)))
    return bodies


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    evaluator, expression = raw.get("evaluatorType"), raw.get("expression")
    value = inputs.get("switchCaseValue")
    by_value = evaluator == "value-param" and expression == "switchCaseValue"
    kwargs: list[tuple[str, Snippet]]
    if by_value and "switchCaseValue" in inputs and isinstance(value, str):
        kwargs, owned = [("value", code.value(value))], frozenset({"switchCaseValue"})
    elif isinstance(expression, str):
        kwargs, owned = [("script", code.literal(expression))], frozenset()
        if evaluator in CONDITION_EVALUATORS and evaluator != "graaljs":
            kwargs.append(("evaluator", code.literal(evaluator)))
    else:
        return "SWITCH has no string expression"
    bodies = cases_plan(raw, code)
    if bodies is None:
        return "SWITCH has no decisionCases the Switch builder accepts"
    return ImportPlan(Switch, kwargs, bodies, owned, nested=CASE_FIELDS)


def taken_case(task: WorkflowTask, value: Any, *, empty_is_default: bool = False) -> str:
    """The case a SWITCH or DECISION ran for the value it evaluated (its output names the value,
    not the case): the case with that key, else the default. SwitchTaskMapper takes the default
    only when no case has the key; DecisionTaskMapper also when that case's list is empty."""
    # The evaluated value as Java's String.valueOf writes it (true, null, 2).
    key = value if isinstance(value, str) else json.dumps(value)
    tasks = (task.decision_cases or {}).get(key)
    if tasks is None or (empty_is_default and not tasks):
        return DEFAULT_CASE
    return key


def _branch(task: WorkflowTask, output: Mapping[str, Any]) -> str:
    return taken_case(task, output.get("selectedCase"))


def switch_subject(task: WorkflowTask) -> str | None:
    """What a SWITCH branches on: the input a value-param names, or the script."""
    inputs = task.input_parameters or {}
    if task.evaluator_type in (None, "value-param") and task.expression:
        return f"on {scalar_text(inputs.get(task.expression)) or task.expression}"
    return f"on {task.expression}" if task.expression else None


KIND = Kind(
    type="SWITCH",
    builder=Switch,
    summary="Runs the tasks of the case whose key equals a value or a script's result.",
    example=lambda: [
        Switch(
            "decide",
            value="success",
            cases={"success": [Noop("finalize_it")]},
            default=[Noop("roll_it_back")],
        )
    ],
    plan=_plan,
    check=_check,
    detail=switch_subject,
    branch=_branch,
    shape="rhombus",
    operator=True,
)

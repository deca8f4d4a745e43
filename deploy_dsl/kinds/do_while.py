"""DO_WHILE: runs a body of tasks until a condition is false, or once per item of a list."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Unpack, cast

from deploy_dsl.arguments import require
from deploy_dsl.checking import Placement, WorkflowScope, check_javascript, fails
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref
from deploy_dsl.findings import Code
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned, Snippet
from deploy_dsl.kinds.noop import Noop
from deploy_dsl.location import literal_location
from deploy_dsl.schemas import Scalar, Schema
from deploy_dsl.task import (
    CONDITION_EVALUATORS,
    CompileOptions,
    Evaluator,
    Task,
    TaskOptions,
    task_list,
)
from deploy_dsl.wire import WorkflowTask, walk

__all__ = ["KIND", "DoWhile", "LoopOutput"]

# In a DO_WHILE condition, `$.name` or `$['name']`.
_CONDITION_NAME: Final = re.compile(
    r"\$\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])(\s*\.\s*output\b)?"
)


class LoopOutput:
    """A DO_WHILE's `output` as the type checker sees it. Never instantiated: a Ref at run
    time."""

    iteration: int


class DoWhile(Task[LoopOutput]):
    """Runs `body` until `condition` (a script over `$.<ref>` values) is false.

    With `items`, it runs once per item of a list (DoWhile.isListIteration), and the condition
    may be empty. Its own inputs are evaluated again before every iteration, so they may read
    the loop's output (`DoWhile.iteration_of(ref)`).

    Args:
        ref: the task reference name (see Task).
        condition: loopCondition, evaluated after each iteration.
        body: the tasks of one iteration.
        evaluator: evaluatorType of the condition, when not the server's default.
        items: the list to iterate over (a reference to it, or a `${...}` string): one
            iteration per item.
        **options: TaskOptions (`inputs` are visible to the condition).
    """

    type = "DO_WHILE"

    def __init__(
        self,
        ref: str,
        *,
        condition: str,
        body: Sequence[Task],
        evaluator: Evaluator | None = None,
        items: Ref | str | Sequence[Any] | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        require(f"DO_WHILE {ref!r}", "condition", condition, str)
        require(f"DO_WHILE {ref!r}", "items", items, Ref, str, optional=True)
        if not body:
            raise DefinitionError(f"DO_WHILE {ref!r}: needs at least one task in its body")
        self.condition = condition
        self.script_location = literal_location(condition)
        self.body = task_list(ref, "body", body)
        self.evaluator = evaluator
        self.items = items

    @property
    def iteration(self) -> int:
        """`${<ref>.output.iteration}`: the number of the current (or last) iteration."""
        return DoWhile.iteration_of(self.ref)

    def output_fields(self) -> Schema:
        return {"iteration": Scalar(int)}

    @staticmethod
    def iteration_of(ref: str) -> int:
        """The iteration reference of a loop not built yet, for use inside its own body (or its
        own inputs).

        Args:
            ref: the loop's reference name.
        """
        # A Ref at run time, the number it resolves to for the checker (`f"wave {n}"`).
        return cast(int, Ref(f"{ref}.output.iteration", Scalar(int)))

    def children(self) -> list[list[Task]]:
        return [self.body]

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {
            "evaluatorType": self.evaluator,
            "loopCondition": self.condition,
            "items": None if self.items is None else str(self.items),
            "loopOver": [task.to_wire(options) for task in self.body],
        }


def _check(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    if task.loop_condition is None or not task.loop_over:
        scope.report(
            Code.DO_WHILE_INCOMPLETE,
            ref,
            "DO_WHILE needs loopCondition and loopOver: "
            + fails(placement, "the workflow FAILS there"),
        )
        return
    inputs = task.input_parameters or {}
    # DoWhile.isListIteration: with `items` (or an `_items` input) the loop walks a list and
    # an empty condition is how it is written.
    iterates_a_list = bool(task.items and task.items.strip()) or "_items" in inputs
    if not task.loop_condition.strip():
        if not iterates_a_list:
            scope.report(
                Code.DO_WHILE_INCOMPLETE,
                ref,
                "loopCondition is empty: the body runs once",
                "warning",
            )
        return
    _check_loop_condition(scope, task)


def _check_loop_condition(scope: WorkflowScope, task: WorkflowTask) -> None:
    """`DoWhile.evaluateCondition` runs the condition as a script over a map of the loop's
    inputs, its own output (under its reference) and each body task's output (under the task's
    reference); `${...}` is not substituted there."""
    ref = task.task_reference_name
    condition = str(task.loop_condition)
    if "${" in condition:
        scope.report(
            Code.LOOP_CONDITION,
            ref,
            "loopCondition holds `${...}`, which is not substituted in a condition: the "
            "DO_WHILE FAILS (a script syntax error); read values as `$.name`",
        )
        return
    # DoWhile.evaluateCondition runs it with ScriptEvaluator.evalBool, whatever evaluatorType.
    check_javascript(
        scope, ref, "loopCondition", condition, "the DO_WHILE FAILS when it evaluates it"
    )
    body = {inner.task_reference_name for inner in walk(task.loop_over or [])}
    known = {ref} | body | set(task.input_parameters or {})
    for match in _CONDITION_NAME.finditer(condition):
        name = match.group(1) or match.group(2)
        if name not in known:
            scope.report(
                Code.LOOP_CONDITION,
                ref,
                f"loopCondition reads $.{name}, which the condition cannot see (it sees the "
                f"loop's inputs, `$.{ref}` and the body's tasks): it is undefined there and "
                "the DO_WHILE FAILS or ends early; pass the value in the DO_WHILE's inputs",
            )
        elif match.group(3) and name in body:
            scope.report(
                Code.LOOP_CONDITION,
                ref,
                f"in loopCondition `$.{name}` already is that task's output: "
                f"`$.{name}.output` is undefined unless the output has a field 'output'",
                "warning",
            )


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    condition, body = raw.get("loopCondition"), raw.get("loopOver")
    if not isinstance(condition, str) or not isinstance(body, list) or not body:
        return "DO_WHILE needs a string loopCondition and a non-empty loopOver"
    kwargs: list[tuple[str, Snippet]] = [("condition", code.literal(condition))]
    evaluator = raw.get("evaluatorType")
    if isinstance(evaluator, str) and evaluator in CONDITION_EVALUATORS:
        kwargs.append(("evaluator", code.literal(evaluator)))
    if isinstance(raw.get("items"), str):
        kwargs.append(("items", code.value(raw["items"])))
    return ImportPlan(DoWhile, kwargs, [("body", code.tasks(body))], nested=frozenset({"loopOver"}))


def _detail(task: WorkflowTask) -> str | None:
    return f"over {task.items}" if task.items else None


KIND = Kind(
    type="DO_WHILE",
    builder=DoWhile,
    summary="Runs a body of tasks until a condition is false, or once per item of a list.",
    example=lambda: [
        DoWhile(
            "retry_loop",
            condition="if ($.retry_loop['iteration'] < 2) { true; } else { false; }",
            body=[Noop("attempt")],
        )
    ],
    plan=_plan,
    check=_check,
    detail=_detail,
    shape="hexagon",
    operator=True,
)

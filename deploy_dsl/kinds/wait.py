"""WAIT: waits for a duration, until a time, or until something completes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Unpack

from deploy_dsl.arguments import require
from deploy_dsl.checking import Placement, WorkflowScope, fails, given
from deploy_dsl.durations import duration_problem, until_problem
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref
from deploy_dsl.findings import Code
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned
from deploy_dsl.task import CompileOptions, Task, TaskOptions
from deploy_dsl.wire import WorkflowTask

__all__ = ["KIND", "Wait"]


class Wait(Task[Ref]):
    """Waits for a duration (`"30s"`, `"2m"`) or until a time; `Wait.for_signal` waits until
    something completes the task from outside.

    Args:
        ref: the task reference name (see Task).
        duration: how long to wait, in Conductor's grammar: whole numbers with units d, h, m,
            s in that order (`"30s"`, `"1m 30s"`, `"2 hours"`), or a reference to one.
        until: a time to wait until (`"2030-01-01 10:00"`, `"2030-01-01 10:00 UTC"`), or a
            reference to one.
        **options: TaskOptions.
    """

    type = "WAIT"

    def __init__(
        self,
        ref: str,
        *,
        duration: str | Ref | None = None,
        until: str | Ref | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        self._init(ref, duration, until, signal=False, options=options)

    def _init(
        self,
        ref: str,
        duration: str | Ref | None,
        until: str | Ref | None,
        *,
        signal: bool,
        options: TaskOptions,
    ) -> None:
        if duration is not None and until is not None:
            raise DefinitionError(f"WAIT task {ref!r}: give duration or until, not both")
        if duration is None and until is None and not signal:
            raise DefinitionError(
                f"WAIT task {ref!r}: give duration= or until=; to wait until something "
                "completes it from outside, write Wait.for_signal(...)"
            )
        require(f"WAIT task {ref!r}", "duration", duration, str, Ref, optional=True)
        require(f"WAIT task {ref!r}", "until", until, str, Ref, optional=True)
        super().__init__(ref, **options)
        self.duration = duration
        self.until = until

    @classmethod
    def for_signal(cls, ref: str, **options: Unpack[TaskOptions]) -> Wait:
        """A WAIT with neither duration nor until: it stays IN_PROGRESS until completed through
        the task API (`deploy-dsl approve`, a person, another system).

        Args:
            ref: the task reference name (see Task).
            **options: TaskOptions.
        """
        wait = cls.__new__(cls)
        wait._init(ref, None, None, signal=True, options=options)
        return wait

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        fields = {"duration": self.duration, "until": self.until}
        return {**{k: v for k, v in fields.items() if v is not None}, **self.inputs}


def _check(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    inputs = task.input_parameters or {}
    duration, until = inputs.get("duration"), inputs.get("until")
    if given(duration) and given(until):
        scope.report(
            Code.WAIT_DURATION,
            ref,
            "WAIT has both duration and until: " + fails(placement, "the task FAILS"),
        )
        return
    problem = None
    if duration is not None:
        problem = duration_problem(duration)
    if until is not None and problem is None:
        problem = until_problem(until)
    if problem is not None:
        where = "" if placement.registration_checked else " (inside a DO_WHILE: at run time)"
        scope.report(Code.WAIT_DURATION, ref, problem + where)
    elif "duration" in inputs and not given(duration) and not given(until):
        scope.report(
            Code.WAIT_DURATION,
            ref,
            "duration is blank: the WAIT never ends by itself, only when something completes "
            "it from outside (leave duration out to say so)",
            scope.lenient(),
        )


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    for key in ("duration", "until"):  # the builder takes one of them, not both
        if isinstance(inputs.get(key), str):
            return ImportPlan(
                Wait, [(key, code.literal(inputs[key]))], owned_inputs=frozenset({key})
            )
    return ImportPlan(Wait, constructor="for_signal")


def _detail(task: WorkflowTask) -> str | None:
    inputs = task.input_parameters or {}
    value = inputs.get("duration") or inputs.get("until")
    return value if isinstance(value, str) else None


KIND = Kind(
    type="WAIT",
    builder=Wait,
    summary="Waits for a duration, until a time, or until something completes it.",
    example=lambda: [Wait("settle", duration="30s")],
    plan=_plan,
    check=_check,
    detail=_detail,
    shape="rounded",
    flow="external",
)

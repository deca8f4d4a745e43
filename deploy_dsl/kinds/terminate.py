"""TERMINATE: ends the workflow with a status, a reason and an output."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, Unpack, get_args

from deploy_dsl.checking import Placement, WorkflowScope, fails
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref
from deploy_dsl.findings import Code
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned, Snippet
from deploy_dsl.task import CompileOptions, Task, TaskOptions
from deploy_dsl.wire import WorkflowTask

__all__ = ["KIND", "Terminate", "TerminationStatus"]

TerminationStatus = Literal["COMPLETED", "FAILED", "TERMINATED"]
TERMINATION_STATUSES: Final = frozenset(get_args(TerminationStatus))


class Terminate(Task[Ref]):
    """Ends the workflow with a status, a reason and an output.

    Args:
        ref: the task reference name (see Task).
        status: terminationStatus: `COMPLETED`, `FAILED` or `TERMINATED`.
        reason: terminationReason, shown as the workflow's reasonForIncompletion.
        output: workflowOutput, the workflow's output when it ends here.
        **options: TaskOptions.
    """

    type = "TERMINATE"

    def __init__(
        self,
        ref: str,
        *,
        status: TerminationStatus,
        reason: Any = None,
        output: Any = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        if status not in TERMINATION_STATUSES:
            raise DefinitionError(
                f"Terminate {ref!r}: status {status!r} is not one of {get_args(TerminationStatus)}"
            )
        self.status = status
        self.reason = reason
        self.termination_output = output

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        fields: dict[str, Any] = {"terminationStatus": self.status}
        if self.reason is not None:
            fields["terminationReason"] = self.reason
        if self.termination_output is not None:
            fields["workflowOutput"] = self.termination_output
        return {**fields, **self.inputs}


def _check(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    status = (task.input_parameters or {}).get("terminationStatus")
    if status not in TERMINATION_STATUSES:
        # Terminate.validateInputStatus: a literal, case-sensitive, never an expression.
        scope.report(
            Code.TERMINATE_BAD_STATUS,
            ref,
            f"terminationStatus is {status!r}; it must be exactly one of "
            f"{', '.join(sorted(TERMINATION_STATUSES))}: "
            + fails(placement, "the TERMINATE task stays IN_PROGRESS forever"),
        )
    if task.optional:
        scope.report(
            Code.TERMINATE_OPTIONAL,
            ref,
            "a TERMINATE task cannot be optional: the server rejects it",
        )


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    status = inputs.get("terminationStatus")
    if not isinstance(status, str) or status not in TERMINATION_STATUSES:
        return f"terminationStatus {status!r} is not one the Terminate builder takes"
    kwargs: list[tuple[str, Snippet]] = [("status", code.literal(status))]
    owned = {"terminationStatus"}
    for key, argument in (("terminationReason", "reason"), ("workflowOutput", "output")):
        if inputs.get(key) is not None:  # a null stays in inputs=, the builder drops it
            kwargs.append((argument, code.value(inputs[key])))
            owned.add(key)
    return ImportPlan(Terminate, kwargs, owned_inputs=frozenset(owned))


def _detail(task: WorkflowTask) -> str | None:
    status = (task.input_parameters or {}).get("terminationStatus")
    return status if isinstance(status, str) else None


KIND = Kind(
    type="TERMINATE",
    builder=Terminate,
    summary="Ends the workflow with a status, a reason and an output.",
    example=lambda: [Terminate("stop", status="COMPLETED", reason="nothing to deploy")],
    plan=_plan,
    check=_check,
    detail=_detail,
    shape="stadium",
    operator=True,
    ends_workflow=True,
)

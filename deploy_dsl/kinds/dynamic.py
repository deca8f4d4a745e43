"""DYNAMIC: runs the task whose name an input gives at run time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Unpack

from deploy_dsl.arguments import require
from deploy_dsl.checking import Placement, WorkflowScope, fails
from deploy_dsl.expressions import Ref
from deploy_dsl.findings import Code
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned, Snippet
from deploy_dsl.task import CompileOptions, Task, TaskOptions
from deploy_dsl.wire import WorkflowTask

__all__ = ["KIND", "Dynamic"]


class Dynamic(Task[Ref]):
    """Runs the task whose name is known only at run time (DYNAMIC).

    DynamicTaskMapper reads the name from the input `param` names and schedules that TaskDef's
    task in this one's place.

    Args:
        ref: the task reference name (see Task).
        task_name: the name of the task to run (usually a reference); written as the input
            `param` names.
        param: dynamicTaskNameParam, the input that holds the name.
        **options: TaskOptions (`inputs` go to the task that runs).
    """

    type = "DYNAMIC"

    def __init__(
        self,
        ref: str,
        *,
        task_name: str | Ref | None = None,
        param: str = "taskToExecute",
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        owner = f"Dynamic {ref!r}"
        require(owner, "task_name", task_name, str, Ref, optional=True)
        require(owner, "param", param, str)
        self.task_name = task_name
        self.param = param

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        if self.task_name is None:
            return self.inputs
        return {self.param: self.task_name, **self.inputs}

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {"dynamicTaskNameParam": self.param}


def _check(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    if not task.dynamic_task_name_param:
        scope.report(
            Code.TASK_FIELD_MISSING,
            task.task_reference_name,
            "DYNAMIC has no dynamicTaskNameParam: " + fails(placement, "it FAILS"),
        )


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    param = raw.get("dynamicTaskNameParam")
    if not isinstance(param, str) or not param:
        return "DYNAMIC has no dynamicTaskNameParam"
    kwargs: list[tuple[str, Snippet]] = []
    if param != "taskToExecute":
        kwargs.append(("param", code.literal(param)))
    if isinstance(inputs.get(param), str):
        kwargs.append(("task_name", code.value(inputs[param])))
        return ImportPlan(Dynamic, kwargs, owned_inputs=frozenset({param}))
    return ImportPlan(Dynamic, kwargs)


def _detail(task: WorkflowTask) -> str | None:
    param = task.dynamic_task_name_param
    value = (task.input_parameters or {}).get(param) if param else None
    return f"runs {value}" if isinstance(value, str) else None


KIND = Kind(
    type="DYNAMIC",
    builder=Dynamic,
    summary="Runs the task whose name an input gives at run time.",
    example=lambda: [Dynamic("run_step", task_name="lint_manifest")],
    plan=_plan,
    check=_check,
    detail=_detail,
    flow="stand_in",
)

"""FORK_JOIN_DYNAMIC: forks at run time, one branch per item; a JOIN after it waits."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Generic, Unpack

from deploy_dsl.arguments import require
from deploy_dsl.checking import Placement, WorkflowScope, fails
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref, Shape
from deploy_dsl.findings import Code
from deploy_dsl.kind import (
    Importing,
    ImportPlan,
    Kind,
    Planned,
    Snippet,
    WorkflowCall,
    scalar_text,
)
from deploy_dsl.kinds.fork_join import check_join_after
from deploy_dsl.kinds.join import Join
from deploy_dsl.kinds.sub_workflow import WorkflowTarget, example_callee, fixed_version
from deploy_dsl.schemas import ANY, MapOf, Schema
from deploy_dsl.task import CompileOptions, Task, TaskOptions
from deploy_dsl.wire import WorkflowTask

__all__ = ["KIND", "DynamicFork"]


class DynamicFork(Task[Ref], Generic[Shape]):
    """Forks at run time; follow it with a Join whose join_on is empty (`DynamicFork.join`).

    One branch per item of `fork_inputs`: a sub-workflow of `workflow`, or a task named `task`.
    The older form names the inputs that hold the tasks and their inputs (`tasks_param`).

    Args:
        ref: the task reference name (see Task).
        workflow: the workflow to run once per item (a Workflow or ExternalWorkflow).
        task: forkTaskName: the task to run once per item, instead of a workflow.
        task_type: forkTaskType, the type of `task` (SIMPLE unless a system task is named).
        fork_inputs: the list of inputs, one per branch (usually a reference).
        latest: run whatever version of `workflow` is newest when the fork runs.
        tasks_param: the older form: the input holding the tasks to fork.
        inputs_param: the older form: the input holding their inputs.
        **options: TaskOptions.
    """

    type = "FORK_JOIN_DYNAMIC"

    def __init__(
        self,
        ref: str,
        *,
        workflow: WorkflowTarget[Shape] | None = None,
        task: str | Ref | None = None,
        task_type: str | None = None,
        fork_inputs: Ref | Sequence[Any] | None = None,
        latest: bool = False,
        tasks_param: str | None = None,
        inputs_param: str | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        owner = f"FORK_JOIN_DYNAMIC {ref!r}"
        modes = [workflow is not None, task is not None, tasks_param is not None]
        if sum(modes) != 1:
            raise DefinitionError(
                f"{owner}: give one of workflow= or task= (with fork_inputs=), or tasks_param="
            )
        if tasks_param is None and fork_inputs is None:
            raise DefinitionError(f"{owner}: workflow= and task= need fork_inputs=")
        require(owner, "task", task, str, Ref, optional=True)
        require(owner, "task_type", task_type, str, optional=True)
        require(owner, "tasks_param", tasks_param, str, optional=True)
        require(owner, "inputs_param", inputs_param, str, optional=True)
        require(owner, "latest", latest, bool)
        self.workflow = workflow
        self.task = task
        self.task_type_name = task_type
        self.fork_inputs = fork_inputs
        self.latest = latest
        self.tasks_param = tasks_param
        self.inputs_param = inputs_param

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.workflow is not None:
            fields["forkTaskWorkflow"] = self.workflow.name
            if not self.latest:
                # ForkJoinDynamicTaskMapper reads it as a String.
                fields["forkTaskWorkflowVersion"] = str(self.workflow.version)
        elif self.task is not None:
            fields["forkTaskName"] = self.task
            if self.task_type_name is not None:
                fields["forkTaskType"] = self.task_type_name
        if self.fork_inputs is not None:
            fields["forkTaskInputs"] = self.fork_inputs
        return {**fields, **self.inputs}

    def join(self, ref: str, **options: Unpack[TaskOptions]) -> Join[dict[str, Shape]]:
        """The JOIN after this fork: it waits for every forked task, and its output holds each
        one's output under the forked task's reference (with `workflow`, typed by that
        workflow's output, and by its output model for the type checker).

        Args:
            ref: the JOIN's reference name.
            **options: TaskOptions.
        """
        item: Schema = getattr(self.workflow, "output_schema", ANY)
        return Join(ref, outputs=MapOf(item), **options)

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {
            "dynamicForkTasksParam": self.tasks_param,
            "dynamicForkTasksInputParamName": self.inputs_param,
        }


def _check(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    inputs = task.input_parameters or {}
    complete = (
        "forkTaskInputs" in inputs
        or (task.dynamic_fork_tasks_param and task.dynamic_fork_tasks_input_param_name)
        or task.dynamic_fork_join_tasks_param
    )
    if not complete:
        scope.report(
            Code.DYNAMIC_FORK_PARAMS,
            ref,
            "FORK_JOIN_DYNAMIC needs inputParameters.forkTaskInputs, or both "
            "dynamicForkTasksParam and dynamicForkTasksInputParamName: "
            + fails(placement, "the workflow FAILS there"),
        )
    for key in ("forkTaskWorkflow", "forkTaskWorkflowVersion"):
        if key in inputs and not isinstance(inputs[key], str):
            # ForkJoinDynamicTaskMapper casts both to String.
            scope.report(
                Code.DYNAMIC_FORK_PARAMS,
                ref,
                f"{key} is {inputs[key]!r}, not a string: the server accepts it, and the fork "
                "fails with a ClassCastException when it is reached",
            )


def _calls(task: WorkflowTask) -> Iterator[WorkflowCall]:
    inputs = task.input_parameters or {}
    forked = inputs.get("forkTaskWorkflow")
    if isinstance(forked, str) and "${" not in forked:
        version = fixed_version(inputs.get("forkTaskWorkflowVersion"))
        yield WorkflowCall(forked, version, "dynamic fork")


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    tasks_param = raw.get("dynamicForkTasksParam")
    if isinstance(tasks_param, str):
        kwargs: list[tuple[str, Snippet]] = [("tasks_param", code.literal(tasks_param))]
        inputs_param = raw.get("dynamicForkTasksInputParamName")
        if isinstance(inputs_param, str):
            kwargs.append(("inputs_param", code.literal(inputs_param)))
        return ImportPlan(DynamicFork, kwargs)
    if "forkTaskInputs" not in inputs:
        return "a dynamic fork needs dynamicForkTasksParam or forkTaskInputs"
    fork_inputs = code.value(inputs["forkTaskInputs"])
    if not isinstance(fork_inputs.value, Ref | list | str):
        return "forkTaskInputs is neither a list nor a reference"
    name = inputs.get("forkTaskWorkflow")
    if name is not None:
        return _workflow_plan(inputs, name, fork_inputs, code)
    task = inputs.get("forkTaskName")
    if not isinstance(task, str):
        return "a dynamic fork needs a fixed forkTaskWorkflow or forkTaskName"
    kwargs = [("task", code.value(task)), ("fork_inputs", fork_inputs)]
    task_type = inputs.get("forkTaskType")
    if isinstance(task_type, str):
        kwargs.append(("task_type", code.literal(task_type)))
    owned = frozenset({"forkTaskName", "forkTaskInputs"} | ({"forkTaskType"} & inputs.keys()))
    return ImportPlan(DynamicFork, kwargs, owned_inputs=owned)


def _workflow_plan(
    inputs: Mapping[str, Any], name: Any, fork_inputs: Snippet, code: Importing
) -> Planned:
    version = inputs.get("forkTaskWorkflowVersion")
    if not isinstance(name, str) or "${" in name:
        return "the forked workflow's name is computed at run time (no builder for that)"
    latest = "forkTaskWorkflowVersion" not in inputs
    number = None
    if not latest:
        if not (isinstance(version, str) and version.isdigit() and str(int(version)) == version):
            return f"forkTaskWorkflowVersion {version!r} is not a version the builder writes"
        number = int(version)
    target = code.workflow(name, number)
    kwargs: list[tuple[str, Snippet]] = [("workflow", target), ("fork_inputs", fork_inputs)]
    if latest:
        kwargs.append(("latest", code.literal(True)))
    owned = frozenset({"forkTaskWorkflow", "forkTaskWorkflowVersion", "forkTaskInputs"})
    return ImportPlan(DynamicFork, kwargs, owned_inputs=owned)


def _detail(task: WorkflowTask) -> str | None:
    call = next(_calls(task), None)
    if call is not None:
        return call.label
    inputs = task.input_parameters or {}
    param = task.dynamic_fork_tasks_param
    if param:
        return f"tasks from {scalar_text(inputs.get(param)) or param}"
    name = scalar_text(inputs.get("forkTaskName"))
    return f"{name} per input" if name else None


def _example() -> list[Task]:
    fork = DynamicFork("fan_out", workflow=example_callee(), fork_inputs=[{"scope": "svc-a"}])
    return [fork, fork.join("fanned_in")]


KIND = Kind(
    type="FORK_JOIN_DYNAMIC",
    builder=DynamicFork,
    summary="Forks at run time, one sub-workflow or task per input; the JOIN after it waits.",
    example=_example,
    plan=_plan,
    check=_check,
    check_next=check_join_after,
    detail=_detail,
    calls=_calls,
    shape="fork",
    flow="callee",
    operator=True,
)

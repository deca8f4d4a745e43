"""What a flow-test run did, read from the executions the engine recorded (pure).

Tasks are in the order the engine scheduled them (`seq`), retries and DO_WHILE iterations
included, each with its input as the engine resolved it and the definition's task object it
came from, so a test asks `result.last(swap_traffic).input` rather than matching strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from deploy_dsl.client.recording import FAILURE_WORKFLOW_KEY
from deploy_dsl.kinds.fork_join_dynamic import DynamicFork
from deploy_dsl.task import Task
from deploy_dsl.testing.errors import FlowTestError, StoppedRun
from deploy_dsl.testing.mocks import InIteration
from deploy_dsl.testing.plan import Level

__all__ = ["FailureRunner", "FlowResult", "TaskRun", "read_result"]


@dataclass(frozen=True)
class TaskRun:
    """One task the engine scheduled: one attempt, in one iteration."""

    ref: str  # the reference the engine gave it: `summarize_wave__2`, `_deploy_wave_0__1`
    type: str  # the definition's task type
    status: str
    attempt: int  # 0 for the first attempt, then 1, 2, ... for each retry
    iteration: int | None  # the DO_WHILE iteration, for a task in a loop body
    fork_index: int | None  # the item's index, for a sub-workflow a dynamic fork started
    input: dict[str, Any]  # as the engine resolved it
    output: dict[str, Any]
    reason: str | None
    task: Task | None  # the definition's task object
    task_id: str
    elapsed: float | None  # seconds from its start to its end (or last update)
    child: FlowResult | None  # the sub-workflow it ran

    def __repr__(self) -> str:
        return f"TaskRun({self.ref} {self.type} {self.status}, attempt {self.attempt})"

    @property
    def body(self) -> Any:
        """An HTTP task's request body, as sent."""
        return (self.input.get("http_request") or {}).get("body")

    @property
    def response_body(self) -> Any:
        """An HTTP task's response body."""
        return (self.output.get("response") or {}).get("body")


@dataclass(frozen=True)
class FlowResult:
    """One execution: the workflow under test or one of its sub-workflows."""

    workflow: str
    workflow_id: str
    status: str
    reason: str | None
    output: dict[str, Any]
    tasks: tuple[TaskRun, ...]
    failed_refs: tuple[str, ...]  # failedReferenceTaskNames
    # When it failed or timed out: its failure workflow, run with the input the server gave it
    # (the server's own run of it, `failure_started`, is stopped: see FlowRunner).
    failure: FlowResult | None = None
    failure_started: str | None = None
    # Why the runner stopped this run before it ended (a replay keeps such runs to compare them
    # as far as they went; a flow test raises instead).
    stopped: StoppedRun | None = None
    clock: tuple[int, int] = (0, 0)  # the server's startTime and endTime of the execution (ms)

    def __repr__(self) -> str:
        return (
            f"FlowResult({self.workflow} {self.status}, reason={self.reason!r}, refs={self.refs})"
        )

    @property
    def refs(self) -> list[str]:
        """The references of every task scheduled, in order (retries repeat a reference)."""
        return [run.ref for run in self.tasks]

    def runs(self, task: Task | InIteration) -> list[TaskRun]:
        """Every attempt of the task (in every iteration, or in the one given), in order."""
        target, iteration = (
            (task.task, task.iteration) if isinstance(task, InIteration) else (task, None)
        )
        return [
            run
            for run in self.tasks
            if run.task is target
            and run.fork_index is None
            and (iteration is None or run.iteration == iteration)
        ]

    def ran(self, task: Task | InIteration) -> bool:
        return bool(self.runs(task))

    def last(self, task: Task | InIteration) -> TaskRun:
        """The task's last attempt (in its last iteration, or in the one given)."""
        found = self.runs(task)
        if not found:
            raise FlowTestError(f"{self._name(task)} never ran in {self.workflow}: {self.refs}")
        return found[-1]

    def child(self, task: Task | InIteration) -> FlowResult:
        """The execution of a SubWorkflow task (its last attempt)."""
        child = self.last(task).child
        if child is None:
            raise FlowTestError(f"{self._name(task)} started no sub-workflow in {self.workflow}")
        return child

    def forked(self, fork: DynamicFork[Any], iteration: int | None = None) -> list[FlowResult]:
        """The sub-workflows a dynamic fork started (in one DO_WHILE iteration), by item."""
        children = [
            run
            for run in self.tasks
            if run.task is fork
            and run.fork_index is not None
            and (iteration is None or run.iteration == iteration)
        ]
        children.sort(key=lambda run: (run.iteration or 0, run.fork_index or 0))
        return [run.child for run in children if run.child is not None]

    def fingerprint(self) -> Any:
        """Everything a test can assert on, as JSON, with the server's random ids replaced by
        what they stand for, and its clock's readings (a script's `Date.now()`: whole numbers
        of milliseconds from the execution's start to its end) by `<server time>`: equal across
        runs that behaved the same."""
        names: dict[str, str] = {}
        _name_ids(self, "", names)
        pattern = re.compile("|".join(re.escape(i) for i in sorted(names, key=len, reverse=True)))
        text = json.dumps(_fingerprint(self), sort_keys=True)
        named = json.loads(pattern.sub(lambda m: names[m.group(0)], text) if names else text)
        return _without_clock(named, *self.clock)

    @staticmethod
    def _name(task: Task | InIteration) -> str:
        if isinstance(task, InIteration):
            return f"{task.task.ref!r} (iteration {task.iteration})"
        return repr(task.ref)


ExecutionReader = Callable[[str], Mapping[str, Any]]
# The failure workflow the server started for an execution (its id), run with mocks.
FailureRunner = Callable[[str, Level], "FlowResult"]


def read_result(
    execution: Mapping[str, Any],
    level: Level,
    read: ExecutionReader,
    failure: FailureRunner,
    stopped: StoppedRun | None = None,
) -> FlowResult:
    """The result of an execution and, through `read` (GET /workflow/{id}), its sub-workflows;
    `failure` runs the failure workflow of any that failed; `stopped` says why the runner
    stopped it, if it did."""
    tasks = sorted(execution.get("tasks") or [], key=lambda t: int(t.get("seq") or 0))
    runs = tuple(_task_run(task, level, read, failure) for task in tasks)
    output = dict(execution.get("output") or {})
    started = output.get(FAILURE_WORKFLOW_KEY)
    return FlowResult(
        workflow=str(execution.get("workflowName") or level.workflow.name),
        workflow_id=str(execution.get("workflowId")),
        status=str(execution.get("status")),
        reason=execution.get("reasonForIncompletion") or None,
        output=output,
        tasks=runs,
        failed_refs=tuple(execution.get("failedReferenceTaskNames") or ()),
        failure=failure(str(started), level) if started else None,
        failure_started=str(started) if started else None,
        stopped=stopped,
        clock=(int(execution.get("startTime") or 0), int(execution.get("endTime") or 0)),
    )


def _task_run(
    task: Mapping[str, Any], level: Level, read: ExecutionReader, failure: FailureRunner
) -> TaskRun:
    ref = str(task.get("referenceTaskName"))
    placed = level.index.resolve(ref)
    child = None
    child_id = task.get("subWorkflowId")
    if child_id:
        child_level = level.child(ref)
        if child_level is not None:
            child = read_result(read(str(child_id)), child_level, read, failure)
    iteration = task.get("iteration") or (placed.iteration if placed else None) or None
    start, end = int(task.get("startTime") or 0), int(task.get("endTime") or 0)
    end = end or int(task.get("updateTime") or 0)
    return TaskRun(
        ref=ref,
        type=str((task.get("workflowTask") or {}).get("type") or task.get("taskType")),
        status=str(task.get("status")),
        attempt=int(task.get("retryCount") or 0),
        iteration=iteration,
        fork_index=placed.fork_index if placed else None,
        input=dict(task.get("inputData") or {}),
        output=dict(task.get("outputData") or {}),
        reason=task.get("reasonForIncompletion") or None,
        task=placed.task if placed else None,
        task_id=str(task.get("taskId")),
        elapsed=(end - start) / 1000 if start and end >= start else None,
        child=child,
    )


def _name_ids(result: FlowResult, path: str, names: dict[str, str]) -> None:
    here = path or result.workflow
    names[result.workflow_id] = f"<workflow {here}>"
    for run in result.tasks:
        names[run.task_id] = f"<task {here} > {run.ref} attempt {run.attempt}>"
        if run.child is not None:
            _name_ids(run.child, f"{here} > {run.ref}", names)
    if result.failure_started:
        names[result.failure_started] = f"<failure workflow of {here}, as the server started it>"
    if result.failure is not None:
        _name_ids(result.failure, f"{here} > failure workflow", names)


def _without_clock(value: Any, start: int, end: int) -> Any:
    if isinstance(value, dict):
        return {key: _without_clock(item, start, end) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_clock(item, start, end) for item in value]
    is_number = isinstance(value, int) and not isinstance(value, bool)
    return "<server time>" if is_number and 0 < start <= value <= end else value


def _fingerprint(result: FlowResult) -> dict[str, Any]:
    return {
        "workflow": result.workflow,
        "id": result.workflow_id,
        "status": result.status,
        "reason": result.reason,
        "output": result.output,
        "failed": list(result.failed_refs),
        "failure": _fingerprint(result.failure) if result.failure else None,
        "tasks": [
            {
                "ref": run.ref,
                "type": run.type,
                "status": run.status,
                "attempt": run.attempt,
                "iteration": run.iteration,
                "input": run.input,
                "output": run.output,
                "reason": run.reason,
                "child": _fingerprint(run.child) if run.child else None,
            }
            for run in result.tasks
        ],
    }

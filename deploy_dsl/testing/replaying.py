"""A recorded execution run again, on the engine, against the definition as it is now.

Temporal's Replayer for Conductor: the current definition runs through the flow-test runner
(`POST /api/workflow/test`, isolated, on the server of the settings) with the recorded outputs
as its mocks, so every SWITCH, loop, fork and script is the engine's own, on what the tasks
answered when it really ran. Which recorded tasks answer as mocks is their kind's `flow`
(deploy_dsl.kind): worker, system, external and stand-in tasks replay their recorded
attempts, in order (a TIMED_OUT attempt runs past the TaskDef's timeout again); the engine runs
the rest; a sub-workflow or a dynamic fork's child runs with the mocks of the execution it
started in the recording; a failure workflow with those of the one the server started.

A task the new definition reaches and the recording never ran has no answer: the run is
stopped there and the task reported, never answered with a guess. The result is compared with
the recording (deploy_dsl.testing.divergence): the same path and outcome, or the first task
where the path leaves the recorded one, and the outcome each reaches.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.outcome import OUTCOME_FIELD
from deploy_dsl.client.recording import RecordedExecution, RecordedTask
from deploy_dsl.client.settings import Connection
from deploy_dsl.errors import DeployDslError
from deploy_dsl.kinds import kind_at_run_time
from deploy_dsl.kinds.fork_join_dynamic import DynamicFork
from deploy_dsl.task import CompileOptions, Task
from deploy_dsl.testing.divergence import (
    Divergence,
    Outcome,
    first_divergence,
    lanes,
)
from deploy_dsl.testing.errors import FlowTestError, InputRefused, MissingMock
from deploy_dsl.testing.plan import Level, TaskDefs, timed_out_ms
from deploy_dsl.testing.references import TaskIndex, answered_by_mock
from deploy_dsl.testing.result import FlowResult
from deploy_dsl.testing.runner import FlowRunner, checked_input
from deploy_dsl.workflow import AnyWorkflow, Workflow

__all__ = [
    "DEFAULT_JOBS",
    "Load",
    "Replay",
    "ReplayFailed",
    "recorded_level",
    "replay",
    "replay_many",
    "replayed_execution",
]

# Replays at a time: on the local server (2 cores, `python -m bench replay`), 4 at a time was
# the fastest; 8 were slower than 4.
DEFAULT_JOBS = 4

# What a recorded attempt's status is as a mock (TaskResult.Status). COMPLETED_WITH_ERRORS is
# how the decider ends an optional task that FAILED. TIMED_OUT is not a status the test
# endpoint takes: such an attempt is replayed as in progress past its timeout (timed_out_ms).
_AS_MOCK = {
    "COMPLETED": "COMPLETED",
    "FAILED": "FAILED",
    "FAILED_WITH_TERMINAL_ERROR": "FAILED_WITH_TERMINAL_ERROR",
    "COMPLETED_WITH_ERRORS": "FAILED",
}


# Inputs the server gives an execution besides its caller's.
_SERVER_INPUTS = frozenset({"__index"})


@dataclass(frozen=True)
class Replay:
    """One recorded execution replayed against the current definition."""

    recording: RecordedExecution
    replayed: RecordedExecution | None  # None when the new definition refused the input
    divergence: Divergence | None
    recorded_outcome: Outcome
    replayed_outcome: Outcome
    refused: str | None = None  # why the new input model refuses the recorded input

    @property
    def matches(self) -> bool:
        """Same path, same outcome."""
        return (
            self.refused is None
            and self.divergence is None
            and self.recorded_outcome.same(self.replayed_outcome)
        )

    def summary(self) -> str:
        """One line: how the replay compares with the recording."""
        if self.matches:
            return f"same path, same outcome: {self.recorded_outcome.text()}"
        if self.refused is not None:
            return f"the new definition refuses the recorded input: {self.refused}"
        if self.divergence is not None:
            return f"diverges at {self.divergence.where}"
        if self.replayed_outcome.status is None:
            return "same path as far as it ran; the new definition did not finish"
        return "same path, another outcome"

    def explain(self) -> list[str]:
        """The summary, then what each side did where they part, then both outcomes."""
        lines = [self.summary()]
        if self.matches or self.refused is not None:
            return lines
        if self.divergence is not None:
            lines.append(f"recording:      {self.divergence.recorded}")
            lines.append(f"new definition: {self.divergence.replayed}")
            if self.divergence.unrecorded is not None:
                lines.append(
                    f"                ({self.divergence.unrecorded}: a task the recording "
                    "does not have; no recorded answer, so the replay stops there)"
                )
        lines.append(f"outcome:        recording {self.recorded_outcome.text()}")
        lines.append(f"                new definition {self.replayed_outcome.text()}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "workflowId": self.recording.workflow_id,
            "version": self.recording.version,
            "matches": self.matches,
            "summary": self.summary(),
            "divergence": self.divergence.to_json() if self.divergence else None,
            "refusedInput": self.refused,
            "recorded": self.recorded_outcome.to_json(),
            "replayed": self.replayed_outcome.to_json(),
        }


def replay(
    runner: FlowRunner,
    workflow: AnyWorkflow,
    recording: RecordedExecution,
    *,
    outcome_key: str = OUTCOME_FIELD,
    budget_seconds: float | None = None,
) -> Replay:
    """Runs `workflow` on the engine with `recording`'s answers and compares the two."""
    if recording.workflow != workflow.name:
        raise FlowTestError(
            f"recording {recording.workflow_id} is of {recording.workflow}, not {workflow.name}"
        )
    recorded_outcome = Outcome.of(recording, outcome_key)
    try:
        checked_input(workflow, _own_input(recording.input))
    except InputRefused as error:
        return Replay(
            recording,
            None,
            None,
            recorded_outcome,
            Outcome(None, None, outcome_key, "not run"),
            str(error),
        )
    level = recorded_level(workflow, recording, runner.taskdefs, workflow.name)
    result = runner.run_planned(workflow, recording.input, level, budget_seconds=budget_seconds)
    replayed = replayed_execution(result, workflow)
    return Replay(
        recording,
        replayed,
        first_divergence(recording, replayed, lanes(workflow)),
        recorded_outcome,
        Outcome.of(replayed, outcome_key, _stopped(result)),
    )


@dataclass(frozen=True)
class ReplayFailed:
    """A recording that could not be read or replayed: the error, in one line."""

    label: str
    error: str


# Reads one recording, with the replaying thread's client (a file needs none).
Load = Callable[[ConductorApi], RecordedExecution]


def replay_many(
    connection: Connection,
    taskdefs: TaskDefs,
    workflow: AnyWorkflow,
    loads: Sequence[tuple[str, Load]],
    *,
    jobs: int = DEFAULT_JOBS,
    outcome_key: str = OUTCOME_FIELD,
    budget_seconds: float | None = None,
    done: Callable[[Replay | ReplayFailed], None] | None = None,
) -> list[Replay | ReplayFailed]:
    """Reads and replays each (label, load), `jobs` at a time, in the order given: each test
    request holds one of the server's request threads until its run ends, and the engine runs
    several side by side. Each replay takes a client and a runner no other one uses at the
    time; all are made here first (the SDK's first import is not safe from several threads)."""
    count = max(1, min(jobs, len(loads)))
    idle: queue.SimpleQueue[tuple[ConductorApi, FlowRunner]] = queue.SimpleQueue()
    for _ in range(count):
        idle.put((ConductorApi(connection), FlowRunner(connection, taskdefs)))

    def one(item: tuple[str, Load]) -> Replay | ReplayFailed:
        label, load = item
        api, runner = idle.get()
        try:
            found: Replay | ReplayFailed = replay(
                runner,
                workflow,
                load(api),
                outcome_key=outcome_key,
                budget_seconds=budget_seconds,
            )
        except DeployDslError as error:
            found = ReplayFailed(label, " ".join(str(error).split()))
        finally:
            idle.put((api, runner))
        if done is not None:
            done(found)
        return found

    with ThreadPoolExecutor(count, thread_name_prefix="replay") as pool:
        return list(pool.map(one, loads))


def _own_input(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The input as the workflow's input model sees it: without what the server adds to a
    dynamic fork's children (`__index`, ForkJoinDynamicTaskMapper.getDynamicTasksSimple)."""
    return {key: value for key, value in inputs.items() if key not in _SERVER_INPUTS}


def _stopped(result: FlowResult) -> str | None:
    """Why the replay was stopped, here or in any execution it started."""
    error = result.stopped
    if isinstance(error, MissingMock) and error.task is not None:
        return f"stopped at {error.task}, a task the recording never ran (no recorded answer)"
    if error is not None:
        return str(error)
    for run in result.tasks:
        if run.child is not None and (found := _stopped(run.child)) is not None:
            return found
    return _stopped(result.failure) if result.failure is not None else None


# --- the recording as mocks ------------------------------------------------------------------


def recorded_level(
    workflow: AnyWorkflow, recorded: RecordedExecution, taskdefs: TaskDefs, path: str
) -> Level:
    """The mocks of `workflow` that answer what `recorded` ran, as the runner takes them."""
    level = Level(TaskIndex.of(workflow), path, taskdefs)
    attempts: dict[str, list[RecordedTask]] = {}
    for task in recorded.tasks:
        attempts.setdefault(task.ref, []).append(task)
    for ref, runs in attempts.items():
        placed = level.index.resolve(ref)
        if placed is None:  # the new definition has no such task: nothing to answer
            continue
        started = next((run.execution for run in reversed(runs) if run.execution), None)
        callee = getattr(placed.task, "workflow", None)
        if started is not None and isinstance(callee, Workflow):
            child = recorded_level(callee, started, taskdefs, f"{path} > {ref}")
            names = [ref]
            if isinstance(placed.task, DynamicFork) and placed.fork_index is not None:
                names = level.index.fork_child_refs(
                    placed.task, placed.fork_index, placed.iteration
                )
            level.children.update(dict.fromkeys(names, child))
        elif answered_by_mock(runs[0].type):
            answers, covered = _answers(runs, taskdefs.get(placed.task.name))
            if answers:
                level.mocks[ref], level.attempts[ref] = answers, covered
    failure = workflow.failure_workflow
    if recorded.failure_workflow is not None and isinstance(failure, Workflow):
        where = f"{path} > failure workflow {failure.name}"
        level.failure = recorded_level(failure, recorded.failure_workflow, taskdefs, where)
    return level


def _answers(
    runs: Sequence[RecordedTask], taskdef: Mapping[str, Any] | None
) -> tuple[list[dict[str, Any]], int]:
    """The recorded attempts as the test endpoint's TaskMocks, up to the first one that was
    never answered (CANCELED, SKIPPED: the execution ended around it), and how many attempts
    they answer."""
    wired: list[dict[str, Any]] = []
    covered = 0
    for run in runs:
        if run.status == "TIMED_OUT":
            past = timed_out_ms(taskdef)
            if past is None:  # the new TaskDef never times out: the replay waits, and says so
                break
            # A plain IN_PROGRESS first: a back-dated one as an attempt's first update is
            # response-timed out instead (see plan._wire_mocks).
            wired.append({"status": "IN_PROGRESS", "output": run.output})
            wired.append({"status": "IN_PROGRESS", "output": run.output, "executionTime": past})
        elif run.status in _AS_MOCK:
            wired.append({"status": _AS_MOCK[run.status], "output": run.output})
        else:
            break
        covered += 1
    return wired, covered


# --- the replay as a recording -----------------------------------------------------------------


def replayed_execution(result: FlowResult, workflow: AnyWorkflow) -> RecordedExecution:
    """What the replay ran, in the recording's form (names as in the definitions: the runner's
    scratch copies of forked and failure workflows carry names of their own)."""
    tasks = []
    for run in result.tasks:
        task_type = run.task.task_type if run.task is not None else run.type
        child = None
        callee = getattr(run.task, "workflow", None)
        if run.child is not None and isinstance(callee, Workflow):
            child = replayed_execution(run.child, callee)
        tasks.append(
            RecordedTask(
                ref=run.ref,
                type=task_type,
                iteration=run.iteration or 0,
                retry_count=run.attempt,
                status=run.status,
                branch=_branch(run.task, run.status, run.output),
                output=run.output,
                execution=child,
            )
        )
    failure = None
    if result.failure is not None and isinstance(workflow.failure_workflow, Workflow):
        failure = replayed_execution(result.failure, workflow.failure_workflow)
    return RecordedExecution(
        workflow=workflow.name,
        version=workflow.version or 1,
        workflow_id=result.workflow_id,
        status=result.status,
        reason=result.reason,
        output=result.output,
        tasks=tuple(tasks),
        failure_workflow=failure,
    )


def _branch(task: Task | None, status: str, output: Mapping[str, Any]) -> str | None:
    kind = kind_at_run_time(task.task_type) if task is not None else None
    if task is None or kind is None or kind.branch is None or status != "COMPLETED":
        return None
    return kind.branch(task.to_wire(CompileOptions()), output)

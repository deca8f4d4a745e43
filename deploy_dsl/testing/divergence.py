"""Where a replayed execution first leaves the recorded one's path, and the outcome each
reaches (pure).

The path of an execution is its tasks in the order the engine scheduled them: reference,
iteration, attempt, status, the branch a SWITCH or DECISION took, and the path of the
sub-workflow a task ran, compared depth first; then the failure workflow. Tasks on parallel
branches of a FORK_JOIN are compared branch by branch: the order between branches is how
fast each branch's workers answered, which a replay (answered at once) does not reproduce.
The first divergence is the one earliest in the recorded run.

The outcome is the workflow's status and its declared outcome output (`outcome` unless told
otherwise: a deploy's `finalized` or `rolled_back`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deploy_dsl.client.outcome import OUTCOME_FIELD
from deploy_dsl.client.recording import RecordedExecution, RecordedTask
from deploy_dsl.kinds.fork_join import Fork
from deploy_dsl.kinds.switch import DEFAULT_CASE
from deploy_dsl.task import Task
from deploy_dsl.workflow import AnyWorkflow, Workflow

__all__ = ["Divergence", "Lanes", "Outcome", "first_divergence", "lanes"]

# workflow name -> task reference -> the FORK_JOIN branches it sits in (outermost first).
Lanes = Mapping[str, Mapping[str, tuple[tuple[str, int], ...]]]


@dataclass(frozen=True)
class Outcome:
    """How an execution ended: its status (None: the replay was stopped before the end, and
    `stopped` says why) and its declared outcome output."""

    status: str | None
    value: Any = None
    key: str = OUTCOME_FIELD
    stopped: str | None = None

    @classmethod
    def of(cls, execution: RecordedExecution, key: str, stopped: str | None = None) -> Outcome:
        if stopped is not None:
            return cls(None, None, key, stopped)
        return cls(execution.status, execution.output.get(key), key)

    def same(self, other: Outcome) -> bool:
        return (self.status, self.value) == (other.status, other.value) and self.status is not None

    def text(self) -> str:
        if self.status is None:
            return f"did not finish: {self.stopped}"
        if self.value is None:
            return f"{self.status} (no {self.key} output)"
        shown = self.value if isinstance(self.value, str) else json.dumps(self.value)
        return f"{self.status}, {self.key} {shown}"

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, self.key: self.value, "stopped": self.stopped}


@dataclass(frozen=True)
class Divergence:
    """The first task where the replay leaves the recorded path."""

    where: str  # the executions down to it, then the task: "deploy_simple_v1 > decide_outcome"
    recorded: str  # what the recording did there
    replayed: str  # what the new definition does
    # The new definition runs a task the recording has no run of (nothing to answer it with):
    # reported as such, the replay stopped there rather than guessing an answer.
    unrecorded: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.where,
            "recording": self.recorded,
            "newDefinition": self.replayed,
            "unrecordedTask": self.unrecorded,
        }


def lanes(workflow: AnyWorkflow) -> dict[str, dict[str, tuple[tuple[str, int], ...]]]:
    """The FORK_JOIN branches of every task of `workflow` and of the project workflows it
    calls, by workflow name."""
    found: dict[str, dict[str, tuple[tuple[str, int], ...]]] = {}
    _workflow_lanes(workflow, found)
    return found


def _workflow_lanes(
    workflow: AnyWorkflow, found: dict[str, dict[str, tuple[tuple[str, int], ...]]]
) -> None:
    if workflow.name in found:
        return
    here = found[workflow.name] = {}
    _task_lanes(workflow.tasks, (), here)
    callees = [getattr(task, "workflow", None) for task in _all(workflow.tasks)]
    for callee in [*callees, workflow.failure_workflow]:
        if isinstance(callee, Workflow):
            _workflow_lanes(callee, found)


def _task_lanes(
    tasks: Sequence[Task],
    lane: tuple[tuple[str, int], ...],
    found: dict[str, tuple[tuple[str, int], ...]],
) -> None:
    for task in tasks:
        found[task.ref] = lane
        for number, child in enumerate(task.children()):
            inner = (*lane, (task.ref, number)) if isinstance(task, Fork) else lane
            _task_lanes(child, inner, found)


def _all(tasks: Sequence[Task]) -> list[Task]:
    return [t for task in tasks for t in (task, *_all([c for b in task.children() for c in b]))]


def first_divergence(
    recorded: RecordedExecution, replayed: RecordedExecution, lanes: Lanes
) -> Divergence | None:
    """The first place where `replayed` leaves `recorded`'s path, or None if it never does."""
    found = _compare(recorded, replayed, recorded.workflow, lanes)
    return found[0] if found is not None else None


_Step = tuple[int, RecordedTask]
# A divergence, and whether it is weak: a task the replay CANCELED where the recording's ended
# otherwise. That follows from something else (the runner stopped the replay at a task it had
# no answer for, or the workflow failed around it): a loop or a sub-workflow task is CANCELED
# long before the change inside it that made it so. A weak one is reported only when the
# executions differ in nothing else.
_Found = tuple[Divergence, bool]


def _compare(
    recorded: RecordedExecution, replayed: RecordedExecution, where: str, lanes: Lanes
) -> _Found | None:
    lane_of = lanes.get(recorded.workflow, {})
    known = {task.ref for task in recorded.tasks}
    ours, theirs = _by_lane(recorded.tasks, lane_of), _by_lane(replayed.tasks, lane_of)
    found: list[tuple[bool, int, Divergence]] = []
    for lane in {**ours, **theirs}:
        steps, other = ours.get(lane, []), theirs.get(lane, [])
        for index in range(max(len(steps), len(other))):
            mine = steps[index] if index < len(steps) else None
            new = other[index] if index < len(other) else None
            following = (_after(steps, index), _after(other, index))
            step = _step(mine, new, following, where, known, lanes)
            if step is not None:
                position = mine[0] if mine is not None else len(recorded.tasks) + index
                found.append((step[1], position, step[0]))
                if not step[1]:
                    break
    if found:
        weak, _, divergence = min(found, key=lambda item: (item[0], item[1]))
        return divergence, weak
    return _failure_workflows(recorded, replayed, where, lanes)


def _by_lane(
    tasks: Sequence[RecordedTask], lane_of: Mapping[str, tuple[tuple[str, int], ...]]
) -> dict[tuple[tuple[str, int], ...], list[_Step]]:
    found: dict[tuple[tuple[str, int], ...], list[_Step]] = {}
    for position, task in enumerate(tasks):
        found.setdefault(lane_of.get(_base_ref(task), ()), []).append((position, task))
    return found


def _base_ref(task: RecordedTask) -> str:
    """A loop body's task without the `__<iteration>` the engine appends."""
    suffix = f"__{task.iteration}"
    return task.ref[: -len(suffix)] if task.iteration and task.ref.endswith(suffix) else task.ref


def _after(steps: Sequence[_Step], index: int) -> RecordedTask | None:
    return steps[index + 1][1] if index + 1 < len(steps) else None


def _step(
    mine: _Step | None,
    new: _Step | None,
    following: tuple[RecordedTask | None, RecordedTask | None],
    where: str,
    known: set[str],
    lanes: Lanes,
) -> _Found | None:
    """How one task differs, said of each side (the recording in the past, the new definition
    in the present); `following` is the task after it on each side, `known` the references
    the recorded execution ran."""
    if mine is None and new is None:
        return None
    if mine is None:
        assert new is not None
        task = new[1]
        unrecorded = None if task.ref in known else task.ref
        return Divergence(
            f"{where} > {task.ref}",
            "ran nothing more on this path",
            f"goes on to {_run(task)}",
            unrecorded,
        ), False
    recorded = mine[1]
    if new is None:
        return Divergence(
            f"{where} > {recorded.ref}",
            f"went on to {_ran(recorded)}",
            "runs nothing more on this path",
        ), False
    task = new[1]
    if (recorded.ref, recorded.retry_count) != (task.ref, task.retry_count):
        return Divergence(
            f"{where} > {recorded.ref}",
            f"ran {_ran(recorded)} next",
            f"runs {_run(task)} next",
            None if task.ref in known else task.ref,
        ), False
    inside = _child(recorded, task, where, lanes)
    if inside is not None and not inside[1]:
        return inside
    if recorded.branch != task.branch:
        return Divergence(
            f"{where} > {recorded.ref}",
            f"{recorded.ref} took {_case(recorded.branch)}{_then(following[0])}",
            f"{task.ref} takes {_case(task.branch)}{_then(following[1])}",
        ), False
    if recorded.status != task.status:
        return Divergence(
            f"{where} > {recorded.ref}",
            f"{_attempt(recorded)} ended {recorded.status}",
            f"{_attempt(task)} ends {task.status}",
        ), task.status == "CANCELED"
    return inside


def _child(
    recorded: RecordedTask, replayed: RecordedTask, where: str, lanes: Lanes
) -> _Found | None:
    here = f"{where} > {recorded.ref}"
    if recorded.execution is not None and replayed.execution is not None:
        return _compare(recorded.execution, replayed.execution, here, lanes)
    if recorded.execution is not None or replayed.execution is not None:
        return Divergence(
            here,
            "started a sub-workflow" if recorded.execution is not None else "started none",
            "starts a sub-workflow" if replayed.execution is not None else "starts none",
        ), replayed.status == "CANCELED"
    return None


def _failure_workflows(
    recorded: RecordedExecution, replayed: RecordedExecution, where: str, lanes: Lanes
) -> _Found | None:
    ours, theirs = recorded.failure_workflow, replayed.failure_workflow
    if ours is None and theirs is None:
        return None
    name = (ours or theirs or recorded).workflow
    here = f"{where} > failure workflow {name}"
    if ours is not None and theirs is not None:
        return _compare(ours, theirs, here, lanes)
    return Divergence(
        here,
        f"the server started {name}" if ours is not None else "no failure workflow ran",
        f"the server starts {name}" if theirs is not None else "no failure workflow runs",
    ), False


def _ran(task: RecordedTask) -> str:
    return f"{_attempt(task)} ({task.type}, {task.status})"


def _run(task: RecordedTask) -> str:
    """A replayed task; one the runner stopped at is CANCELED, which says nothing of it."""
    return f"{_attempt(task)} ({task.type})"


def _attempt(task: RecordedTask) -> str:
    return f"{task.ref} (retry {task.retry_count})" if task.retry_count else task.ref


def _case(branch: str | None) -> str:
    if branch == DEFAULT_CASE:
        return "the default case"
    return f"case {branch!r}" if branch is not None else "no case"


def _then(task: RecordedTask | None) -> str:
    return f", then {task.ref}" if task is not None else ""

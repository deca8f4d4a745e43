"""Where each task of a workflow sits, and the reference names the engine gives it at run time
(pure).

A task in a DO_WHILE body runs as `<ref>__<iteration>` (Conductor 3.32.3
TaskUtils.appendIteration, used by WorkflowExecutorOps.scheduleNextIteration). A sub-workflow
forked by a FORK_JOIN_DYNAMIC runs as `_<name>_<index>`, where name is the fork's `forkTaskName`
input or else its reference, or as `_<fork ref>_<name>_<index>` once the execution already holds
a FORK_JOIN_DYNAMIC task (ForkJoinDynamicTaskMapper.getMappedTasks counts them and passes the
flag to getDynamicTasksSimple): in a loop, the first wave's children are `_deploy_wave_0__1`
and the second's `_deploy_wave_deploy_wave_0__2`. Mocks are sent under every name a child can
get; the names nobody takes are ignored by the server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from deploy_dsl.errors import DefinitionError
from deploy_dsl.kind import MOCKED_RUNS
from deploy_dsl.kinds import kind_at_run_time
from deploy_dsl.kinds.do_while import DoWhile
from deploy_dsl.kinds.fork_join_dynamic import DynamicFork
from deploy_dsl.task import Task
from deploy_dsl.workflow import AnyWorkflow

__all__ = [
    "Placed",
    "TaskIndex",
    "answered_by_mock",
    "find_task",
    "fork_task_name",
]


def answered_by_mock(task_type: str) -> bool:
    """Whether a mock answers a task of the type in a flow test (its kind's `flow`); the
    engine runs the others itself."""
    kind = kind_at_run_time(task_type)
    return kind is not None and kind.flow in MOCKED_RUNS


_ITERATION = re.compile(r"(.+)__(\d+)\Z")
T = TypeVar("T", bound=Task)


@dataclass(frozen=True)
class Placed:
    """A task of the definition found behind a runtime reference."""

    task: Task
    iteration: int | None = None  # the DO_WHILE iteration, for a task in a loop body
    fork_index: int | None = None  # the item's index, for a child of a dynamic fork


@dataclass
class TaskIndex:
    """Every task of one workflow (nested ones included) by reference, with the loop it is in."""

    workflow: AnyWorkflow
    by_ref: dict[str, Task] = field(default_factory=dict)
    loop_of: dict[str, str] = field(default_factory=dict)
    _ids: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, workflow: AnyWorkflow) -> TaskIndex:
        index = cls(workflow)
        index._add(workflow.tasks, None)
        return index

    def _add(self, tasks: Sequence[Task], loop: str | None) -> None:
        for task in tasks:
            self.by_ref[task.ref] = task
            self._ids.add(id(task))
            if loop is not None:
                self.loop_of[task.ref] = loop
            inner = task.ref if isinstance(task, DoWhile) else loop
            for child in task.children():
                self._add(child, inner)

    def __contains__(self, task: object) -> bool:
        return id(task) in self._ids

    def forks(self) -> Iterator[DynamicFork[Any]]:
        return (t for t in self.by_ref.values() if isinstance(t, DynamicFork))

    def runtime_ref(self, task: Task, iteration: int | None) -> str:
        return task.ref if iteration is None else f"{task.ref}__{iteration}"

    def fork_child_refs(
        self, fork: DynamicFork[Any], index: int, iteration: int | None
    ) -> list[str]:
        """Every reference the engine may give the fork's child number `index`."""
        name = fork_task_name(fork)
        suffix = "" if iteration is None else f"__{iteration}"
        return [f"_{name}_{index}{suffix}", f"_{fork.ref}_{name}_{index}{suffix}"]

    def resolve(self, runtime_ref: str) -> Placed | None:
        """The definition's task behind a reference the engine gave, or None."""
        base, iteration = runtime_ref, None
        found = _ITERATION.match(runtime_ref)
        if found and runtime_ref not in self.by_ref:
            base, iteration = found.group(1), int(found.group(2))
        task = self.by_ref.get(base)
        if task is not None:
            return Placed(task, iteration)
        for fork in self.forks():
            name = re.escape(fork_task_name(fork))
            child = re.fullmatch(rf"_(?:{re.escape(fork.ref)}_)?{name}_(\d+)", base)
            if child:
                return Placed(fork, iteration, int(child.group(1)))
        return None


def fork_task_name(fork: DynamicFork[Any]) -> str:
    """The `forkTaskName` the engine names a fork's children after: the input, if the
    definition gives one as a literal, else the fork's reference."""
    given = fork.inputs.get("forkTaskName")
    return given if isinstance(given, str) and given else fork.ref


@overload
def find_task(workflow: AnyWorkflow, ref: str) -> Task: ...


@overload
def find_task(workflow: AnyWorkflow, ref: str, kind: type[T]) -> T: ...


def find_task(workflow: AnyWorkflow, ref: str, kind: type[Task] = Task) -> Task:
    """The definition's task object with reference `ref`, nested ones included: what a test
    keys the mocks of a task by when the definition module does not name it (a SWITCH case's
    SubWorkflow). `kind` checks what it is, and types the result.

    Args:
        workflow: the workflow holding the task.
        ref: its reference name.
        kind: the builder class it must be (Task by default).
    """
    found = TaskIndex.of(workflow).by_ref.get(ref)
    if found is None:
        known = ", ".join(sorted(TaskIndex.of(workflow).by_ref))
        raise DefinitionError(f"{workflow.name} has no task {ref!r}; it has {known}")
    if not isinstance(found, kind):
        raise DefinitionError(
            f"{workflow.name}: task {ref!r} is a {type(found).__name__}, not a {kind.__name__}"
        )
    return found

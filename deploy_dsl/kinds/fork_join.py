"""FORK_JOIN: runs task lists in parallel; a JOIN after it waits for them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Unpack

from deploy_dsl.checking import Placement, WorkflowScope, fails
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref
from deploy_dsl.findings import Code
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned
from deploy_dsl.kinds.join import Join
from deploy_dsl.kinds.noop import Noop
from deploy_dsl.task import CompileOptions, Task, TaskOptions, task_list
from deploy_dsl.wire import WorkflowTask, walk

__all__ = ["KIND", "Fork", "check_join_after"]


class Fork(Task[Ref]):
    """Runs each branch in parallel; the next task must be a Join (see `Fork.join`).

    Args:
        ref: the task reference name (see Task).
        branches: the task lists that run in parallel.
        **options: TaskOptions.
    """

    type = "FORK_JOIN"

    def __init__(
        self, ref: str, *, branches: Sequence[Sequence[Task]], **options: Unpack[TaskOptions]
    ) -> None:
        super().__init__(ref, **options)
        if not branches:
            raise DefinitionError(f"FORK_JOIN {ref!r}: needs at least one branch")
        self.branches = [task_list(ref, f"branch {i}", b) for i, b in enumerate(branches)]

    def children(self) -> list[list[Task]]:
        return list(self.branches)

    def branch_ends(self) -> list[str]:
        return [branch[-1].ref for branch in self.branches if branch]

    def join(self, ref: str, **options: Unpack[TaskOptions]) -> Join[Ref]:
        """The JOIN that waits for the last task of every branch; its output holds each
        branch end's output under that task's reference (open to the type checker: the keys
        are the references).

        Args:
            ref: the JOIN's reference name.
            **options: TaskOptions.
        """
        ends = [branch[-1] for branch in self.branches if branch]
        outputs = {end.ref: end.output_fields() for end in ends}
        return Join(ref, join_on=[end.ref for end in ends], outputs=outputs, **options)

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {"forkTasks": [[t.to_wire(options) for t in b] for b in self.branches]}


def _check(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    if not task.fork_tasks:
        scope.report(
            Code.FORK_NO_BRANCHES,
            ref,
            "FORK_JOIN has no forkTasks: " + fails(placement, "the workflow FAILS there"),
        )
    elif any(not branch for branch in task.fork_tasks):
        # ForkJoinTaskMapper takes the first task of every branch.
        scope.report(
            Code.FORK_NO_BRANCHES,
            ref,
            "FORK_JOIN has an empty branch: the server accepts it, and then the workflow's "
            "start fails (or it stops with nothing scheduled) when the fork is reached",
        )


def check_join_after(
    scope: WorkflowScope, task: WorkflowTask, following: WorkflowTask | None
) -> None:
    """A fork must be followed by a JOIN (`ForkJoinTaskMapper`: else the workflow FAILS), and
    the JOIN's joinOn decides what it waits for (`Join.execute`: every named task terminal)."""
    ref = task.task_reference_name
    if following is None or following.type != "JOIN":
        scope.report(
            Code.FORK_WITHOUT_JOIN,
            ref,
            f"{task.type} must be followed by a JOIN: the workflow FAILS when the fork is reached",
        )
        return
    if task.type == "FORK_JOIN":
        _check_join_on(scope, task.fork_tasks or [], following)


def _check_join_on(
    scope: WorkflowScope, forks: Sequence[Sequence[WorkflowTask]], join: WorkflowTask
) -> None:
    join_ref = join.task_reference_name
    join_on = join.join_on or []
    if not join_on:
        scope.report(
            Code.JOIN_NOT_BRANCH_END,
            join_ref,
            "joinOn is empty: the JOIN completes at once, without waiting for any branch",
            "warning",
        )
    ends = {branch[-1].task_reference_name: branch[-1] for branch in forks if branch}
    case_ends = {
        case[-1].task_reference_name: (end, key)
        for end in ends.values()
        if end.type in ("SWITCH", "DECISION")
        for key, case in (end.decision_cases or {}).items()
        if case
    }
    inside = {task.task_reference_name for branch in forks for task in walk(branch)}
    for name in join_on:
        if name in ends and ends[name].type in ("SWITCH", "DECISION"):
            scope.report(
                Code.JOIN_NOT_BRANCH_END,
                join_ref,
                f"joinOn names {name!r}, a SWITCH that ends its branch: a SWITCH completes at "
                "once, so the JOIN does not wait for its case's tasks; end the branch with a "
                "task after the SWITCH",
                "warning",
            )
        elif name in ends:
            continue
        elif name in case_ends:
            switch, key = case_ends[name]
            scope.report(
                Code.JOIN_NOT_BRANCH_END,
                join_ref,
                f"joinOn names {name!r}, the last task of case {key!r} of "
                f"{switch.task_reference_name!r}: the JOIN never completes unless that case "
                "is taken",
            )
        elif name in inside:
            scope.report(
                Code.JOIN_NOT_BRANCH_END,
                join_ref,
                f"joinOn names {name!r}, which does not end its branch: the JOIN does not wait "
                "for the rest of that branch",
                "warning",
            )
        else:
            scope.report(
                Code.JOIN_NOT_BRANCH_END,
                join_ref,
                f"joinOn names {name!r}, which is not a task of the fork's branches (branch "
                f"ends: {', '.join(sorted(ends)) or 'none'}): the JOIN never completes",
            )


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    branches = raw.get("forkTasks")
    if not isinstance(branches, list) or not branches:
        return "FORK_JOIN has no forkTasks"
    if not all(isinstance(branch, list) for branch in branches):
        return "FORK_JOIN has a branch that is not a task list"
    body = code.sequence([code.tasks(branch) for branch in branches])
    return ImportPlan(Fork, bodies=[("branches", body)], nested=frozenset({"forkTasks"}))


def _example() -> list[Task]:
    fork = Fork("both", branches=[[Noop("left")], [Noop("right")]])
    return [fork, fork.join("joined")]


KIND = Kind(
    type="FORK_JOIN",
    builder=Fork,
    summary="Runs task lists in parallel; the JOIN after it waits for them.",
    example=_example,
    plan=_plan,
    check=_check,
    check_next=check_join_after,
    shape="fork",
    operator=True,
)

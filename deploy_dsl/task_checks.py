"""Per-task checks every task type shares, and the dispatch to each type's own checks (its
KIND's `check`), as the Conductor 3.32 server decides them.

Registration (`WorkflowTaskTypeConstraint`) refuses some mistakes, but only for tasks it sees:
not inside a DO_WHILE body. There the same mistake registers and then fails, or hangs, at run
time, so each message says which happens where the task sits.
"""

from __future__ import annotations

from deploy_dsl.checking import Placement, WorkflowScope
from deploy_dsl.findings import Code
from deploy_dsl.kinds import KINDS, RUNTIME_NAMES, SERVER_ONLY_TYPES
from deploy_dsl.wire import WorkflowTask

__all__ = ["check_following", "check_task"]


def check_task(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref, kind = task.task_reference_name, task.type
    if not task.name or not ref:
        scope.report(
            Code.EMPTY_NAME,
            ref or None,
            "a task needs a non-empty name and taskReferenceName: the server rejects it",
        )
    if "__" in ref:
        _check_double_underscore(scope, placement)
    if task.start_delay is not None and task.start_delay < 0:
        scope.report(
            Code.NEGATIVE_START_DELAY,
            ref,
            f"startDelay is {task.start_delay}: the server rejects a negative delay",
        )
    known = KINDS.get(kind)
    if known is not None:
        if known.check is not None:
            known.check(scope, placement)
    elif kind in RUNTIME_NAMES:
        scope.report(
            Code.FORK_TYPE,
            ref,
            f"type {kind} is the name {RUNTIME_NAMES[kind]} has at run time, not a definition "
            f"type: the task waits for a worker forever and its branches never run; use "
            f"{RUNTIME_NAMES[kind]}",
        )
    elif kind not in SERVER_ONLY_TYPES:
        scope.report(
            Code.UNKNOWN_TASK_TYPE,
            ref,
            f"task type {kind!r} is not one Conductor OSS ships; without a worker polling for "
            "it the task stays SCHEDULED",
            "warning",
        )


def check_following(
    scope: WorkflowScope, task: WorkflowTask, following: WorkflowTask | None
) -> None:
    """The checks a type makes of the task after it (a fork needs a JOIN)."""
    known = KINDS.get(task.type)
    if known is not None and known.check_next is not None:
        known.check_next(scope, task, following)


def _check_double_underscore(scope: WorkflowScope, placement: Placement) -> None:
    ref = placement.task.task_reference_name
    if placement.loops:
        # TaskUtils.removeIterationFromTaskRefName cuts at the first '__': the loop never counts
        # the task as done and schedules it again on every pass.
        scope.report(
            Code.DOUBLE_UNDERSCORE_REF,
            ref,
            f"reference name {ref!r} contains '__', Conductor's iteration delimiter: inside a "
            "DO_WHILE it is cut there, so the loop never completes and reschedules the task",
        )
    else:
        scope.report(
            Code.DOUBLE_UNDERSCORE_REF,
            ref,
            f"reference name {ref!r} contains '__', Conductor's iteration delimiter: a DO_WHILE "
            "body task named like its prefix would be confused with it",
            "warning",
        )

"""What a run is waiting on, read from its executions while the test call runs (pure).

Two things make WorkflowTestService (Conductor 3.32.3) wait when nothing will ever come:

- A task no mock answers. The service stops at once only for a task of the workflow under test
  that has no mock key. Inside a sub-workflow, or once a reference's mocks are used up, the
  parent's loop goes on calling decide (MAX_LOOPS = 20,000 passes, about a minute) while the
  task sits SCHEDULED. Found here, the runner stops the run and names the task.
- An execution left undecided. The service applies a mock with ExecutionService.updateTask,
  whose decide gives up when it cannot take the workflow's lock in time; the server's sweeper
  takes that lock on every new sub-workflow ("Pushed workflow ... for expedited evaluation",
  then "Couldn't acquire lock to sweep workflow ..." in the server log). The execution then has
  no pending task, and the service's loop only decides workflows through their pending tasks:
  it spins until the sweeper comes back (workflowOffsetTimeout, 30 s). Found here, the runner
  asks the server to decide it (PUT /workflow/decide/{id}), as the sweeper would later.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from deploy_dsl.kinds.fork_join_dynamic import DynamicFork
from deploy_dsl.kinds.sub_workflow import SubWorkflow
from deploy_dsl.testing.plan import Level
from deploy_dsl.testing.references import answered_by_mock

__all__ = ["TASK_DONE", "Look", "look"]

TASK_DONE = frozenset(
    {"COMPLETED", "COMPLETED_WITH_ERRORS", "FAILED", "FAILED_WITH_TERMINAL_ERROR", "CANCELED",
     "TIMED_OUT", "SKIPPED"}
)  # fmt: skip


@dataclass
class Look:
    """One look at a running tree of executions."""

    stuck: str | None = None  # what no mock answers, said in a line
    stuck_task: str | None = None  # where it is: "deploy_simple_v1 > rollback > notify"
    # RUNNING executions without a pending task: nothing will move them but a decide.
    idle: list[str] = field(default_factory=list)


def look(
    execution: Mapping[str, Any], level: Level, read: Callable[[str], Mapping[str, Any]]
) -> Look:
    """The first task, here or in a sub-workflow, that waits for a mock it does not have (its
    reference has no mocks, or more attempts than they answer), and the idle executions."""
    found = Look()
    _look(execution, level, read, found)
    return found


def _look(
    execution: Mapping[str, Any],
    level: Level,
    read: Callable[[str], Mapping[str, Any]],
    found: Look,
) -> None:
    tasks = sorted(execution.get("tasks") or [], key=lambda t: int(t.get("seq") or 0))
    pending = [t for t in tasks if t.get("status") not in TASK_DONE]
    if execution.get("status") == "RUNNING" and not pending:
        found.idle.append(str(execution.get("workflowId")))
    attempts = Counter(str(t.get("referenceTaskName")) for t in tasks)
    for task in pending:
        ref = str(task.get("referenceTaskName"))
        placed = level.index.resolve(ref)
        if placed is None:
            continue
        if isinstance(placed.task, SubWorkflow | DynamicFork):
            child_id = task.get("subWorkflowId")
            child = level.child(ref)
            if child_id and child is not None:
                _look(read(str(child_id)), child, read, found)
            continue
        covered = level.attempts.get(ref, 0)
        if (
            found.stuck is None
            and answered_by_mock(placed.task.task_type)
            and attempts[ref] > covered
        ):
            given = f"its mocks answer {covered} attempt(s)" if covered else "no mock given"
            found.stuck_task = f"{level.path} > {ref}"
            found.stuck = (
                f"no mock for {level.path} > {ref} ({placed.task.task_type} task "
                f"{placed.task.name!r}, attempt {attempts[ref]}: {given})"
            )

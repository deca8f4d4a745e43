"""What a mocked task answers in a flow test, one attempt (or one poll) at a time (pure).

A mock is keyed by the definition's own task object (`mocks={swap_traffic: responds({...})}`),
never by a string, and its answer is checked against that task's response model when the run is
prepared. A list of mocks is used in order: a failure is retried per the task's TaskDef and each
retry takes the next mock, so `[fails(), responds(...)]` is "fails once, then succeeds".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from deploy_dsl.errors import DefinitionError
from deploy_dsl.location import Location, caller_location
from deploy_dsl.task import Task

__all__ = [
    "InIteration",
    "Mock",
    "MockStatus",
    "at_iteration",
    "completes",
    "fails",
    "in_progress",
    "responds",
    "times_out",
]

# TaskResult.Status values the test endpoint accepts (TIMED_OUT is refused with a 500: a
# timeout is simulated with times_out(), an attempt that has run past its TaskDef's timeout).
MockStatus = Literal["COMPLETED", "FAILED", "FAILED_WITH_TERMINAL_ERROR", "IN_PROGRESS"]


@dataclass(frozen=True)
class Mock:
    """One answer of a mocked task. Build it with responds, fails, in_progress, times_out or
    completes; the run turns it into the task's output (an HTTP task's is `response`)."""

    status: MockStatus
    # An HTTP answer: the response's status code and body (None: not an HTTP answer).
    status_code: int | None = None
    body: Any = None
    # A non-HTTP task's whole output.
    output: Mapping[str, Any] | None = None
    # Seconds the attempt has been running when this answer arrives (its start is back-dated).
    elapsed: float | None = None
    # The attempt has run past its TaskDef's timeoutSeconds (the run works out how long).
    timed_out: bool = False
    # The body is deliberately outside the step's answer model (not checked against it).
    off_contract: bool = False
    location: Location | None = None

    @property
    def ends_attempt(self) -> bool:
        """Whether the task's attempt is over after this answer: completed, failed or timed
        out. An in-progress answer keeps the same attempt for the next mock."""
        return self.status != "IN_PROGRESS" or self.timed_out

    def describe(self) -> str:
        what = "times_out()" if self.timed_out else self.status
        return f"{what}, written at {self.location}" if self.location else what


def responds(
    body: Any,
    *,
    status_code: int = 200,
    elapsed: float | None = None,
    off_contract: bool = False,
) -> Mock:
    """An HTTP task's successful answer: the task COMPLETES with `response.body` = body.

    The body (a dict or an instance of the step's answer model) is checked against the task's
    response model before the run, so a misspelt or missing field is an error naming it.

    Args:
        body: the response body.
        status_code: a 2xx status code.
        elapsed: seconds the call took (a slow step); must stay within the TaskDef's timeout.
        off_contract: an answer the step's contract does not allow, on purpose (a worker that
            says "degraded"): the body is not checked.
    """
    if not 200 <= status_code < 300:
        raise DefinitionError(f"responds(): status_code {status_code} is not 2xx; use fails()")
    _check_elapsed("responds", elapsed)
    return Mock(
        "COMPLETED",
        status_code=status_code,
        body=body,
        elapsed=elapsed,
        off_contract=off_contract,
        location=caller_location(),
    )


def fails(
    *,
    status_code: int = 500,
    body: Any = None,
    output: Mapping[str, Any] | None = None,
    terminal: bool = False,
) -> Mock:
    """A failed attempt; it is retried per the task's TaskDef unless `terminal`.

    Args:
        status_code: an HTTP task's response status (not checked against the answer model).
        body: an HTTP task's response body (default `{"error": "mocked failure"}`), not
            checked against the answer model.
        output: a non-HTTP task's output instead.
        terminal: FAILED_WITH_TERMINAL_ERROR: no retry.
    """
    if output is not None and body is not None:
        raise DefinitionError("fails(): give body= (an HTTP task) or output=, not both")
    return Mock(
        "FAILED_WITH_TERMINAL_ERROR" if terminal else "FAILED",
        status_code=None if output is not None else status_code,
        body=body,
        output=output,
        location=caller_location(),
    )


def in_progress(
    *,
    status_code: int = 503,
    body: Any = None,
    output: Mapping[str, Any] | None = None,
    elapsed: float | None = None,
) -> Mock:
    """The attempt is still running (an HTTP 503 with Retry-After: the server calls again);
    the next mock answers the same attempt. A list may not end with it: the run would wait.

    Args:
        status_code: an HTTP task's response status.
        body: an HTTP task's response body (not checked against the answer model).
        output: a non-HTTP task's output instead.
        elapsed: seconds the attempt has been running by now; must stay within the TaskDef's
            timeout (past it, write times_out()).
    """
    if output is not None and body is not None:
        raise DefinitionError("in_progress(): give body= (an HTTP task) or output=, not both")
    _check_elapsed("in_progress", elapsed)
    return Mock(
        "IN_PROGRESS",
        status_code=None if output is not None else status_code,
        body=body,
        output=output,
        elapsed=elapsed,
        location=caller_location(),
    )


def times_out(*, status_code: int = 503, body: Any = None) -> Mock:
    """The attempt is still running when its TaskDef's timeoutSeconds pass: the engine times
    it out at once and applies the TaskDef's timeout policy (TIME_OUT_WF ends the workflow
    TIMED_OUT; RETRY starts a new attempt, which takes the next mock).

    Args:
        status_code: an HTTP task's last response status.
        body: an HTTP task's last response body.
    """
    return Mock(
        "IN_PROGRESS",
        status_code=status_code,
        body=body,
        timed_out=True,
        location=caller_location(),
    )


def completes(output: Mapping[str, Any] | None = None, *, elapsed: float | None = None) -> Mock:
    """A non-HTTP task (SIMPLE, WAIT, ...) completes with this output.

    Args:
        output: the task's output.
        elapsed: seconds the attempt took.
    """
    _check_elapsed("completes", elapsed)
    return Mock("COMPLETED", output=dict(output or {}), elapsed=elapsed, location=caller_location())


@dataclass(frozen=True)
class InIteration:
    """A task inside a DO_WHILE, in one iteration (the first is 1)."""

    task: Task
    iteration: int


def at_iteration(task: Task, iteration: int) -> InIteration:
    """The mock key for `task` in one iteration of the DO_WHILE it is in: the engine names
    each iteration's task `<ref>__<iteration>` (TaskUtils.appendIteration).

    Args:
        task: a task of a DO_WHILE's body.
        iteration: the iteration, from 1.
    """
    if not isinstance(task, Task):
        raise DefinitionError(f"at_iteration(): {task!r} is not a task")
    if not isinstance(iteration, int) or isinstance(iteration, bool) or iteration < 1:
        raise DefinitionError(f"at_iteration({task.ref!r}, {iteration!r}): iterations start at 1")
    return InIteration(task, iteration)


def _check_elapsed(where: str, elapsed: float | None) -> None:
    if elapsed is not None and (not isinstance(elapsed, int | float) or elapsed <= 0):
        raise DefinitionError(f"{where}(): elapsed must be a positive number of seconds")

"""Flow tests: a workflow run on the real Conductor engine with its tasks mocked (an edge).

The workflow is the definition's own object; mocks are keyed by its task objects and checked
against each step's answer model before the run; the engine runs the SWITCHes, loops, forks,
scripts, retries and timeouts for real, through Conductor's `POST /api/workflow/test`, on the
local server the end-to-end tests use, without the worker. The pytest plugin (`plugin`) gives
tests the `flow` fixture.

Runs are deterministic on a server that runs system tasks on one thread, as the local one does
(deploy_dsl/local/conductor.py): with several, Conductor 3.32.3 can write a stale copy of a
JOIN over its completed state when a forked sub-workflow finishes while it is being evaluated.
"""

from deploy_dsl.testing.errors import (
    FlowTestError,
    MissingMock,
    MockError,
    RunDidNotFinish,
    StoppedRun,
)
from deploy_dsl.testing.mocks import (
    InIteration,
    Mock,
    at_iteration,
    completes,
    fails,
    in_progress,
    responds,
    times_out,
)
from deploy_dsl.testing.plugin import Flow
from deploy_dsl.testing.references import find_task
from deploy_dsl.testing.result import FlowResult, TaskRun
from deploy_dsl.testing.runner import FlowRunner

__all__ = [
    "Flow",
    "FlowResult",
    "FlowRunner",
    "FlowTestError",
    "InIteration",
    "MissingMock",
    "Mock",
    "MockError",
    "RunDidNotFinish",
    "StoppedRun",
    "TaskRun",
    "at_iteration",
    "completes",
    "fails",
    "find_task",
    "in_progress",
    "responds",
    "times_out",
]

"""Flow tests: a workflow run on the real Conductor engine with its tasks mocked (an edge).

The workflow is the definition's own object; mocks are keyed by its task objects and checked
against each step's answer model before the run; the engine runs the SWITCHes, loops, forks,
scripts, retries and timeouts for real, through Conductor's `POST /api/workflow/test`, on the
local server the end-to-end tests use, without the worker. The pytest plugin (`plugin`) gives
tests the `flow` fixture. A replay (`replay`) runs a recorded execution again, its recorded
answers as the mocks, against the definition as it is now.

What determinism rests on: Conductor 3.32.3 evaluates a JOIN on its system-task threads, and
a forked sub-workflow that finishes during an evaluation re-queues the JOIN
(WorkflowExecutorOps.expediteInProgressJoinTasks); if a second thread completes it first, the
first one's stale copy is written over it (AsyncSystemTaskExecutor.execute updates the task
unconditionally) and the JOIN stays IN_PROGRESS or CANCELED. Measured: 3 of 20 runs of
tests/flows differed on a server with 4 threads and a pool of connections, and a rollout flow
test hung in 2 of 4 full test runs with 20 shared threads; so the local server gives JOINs a
pool of one thread of their own (deploy_dsl.local.conductor). On another server the same race
can make a run differ.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploy_dsl.testing.errors import (
        FlowTestError,
        InputRefused,
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
    from deploy_dsl.testing.replaying import Replay, ReplayFailed, replay, replay_many
    from deploy_dsl.testing.result import FlowResult, TaskRun
    from deploy_dsl.testing.runner import FlowRunner

__all__ = [
    "Flow",
    "FlowResult",
    "FlowRunner",
    "FlowTestError",
    "InIteration",
    "InputRefused",
    "MissingMock",
    "Mock",
    "MockError",
    "Replay",
    "ReplayFailed",
    "RunDidNotFinish",
    "StoppedRun",
    "TaskRun",
    "at_iteration",
    "completes",
    "fails",
    "find_task",
    "in_progress",
    "replay",
    "replay_many",
    "responds",
    "times_out",
]

# Imported on first use: pytest imports this package for the plugin in every session of a
# project that installs deploy-dsl, and most of those sessions run no flow test. Hidden from
# type checkers, which see the imports above and so still reject a misspelt name.
_HOMES = {
    "Flow": "plugin",
    "FlowResult": "result",
    "FlowRunner": "runner",
    "FlowTestError": "errors",
    "InIteration": "mocks",
    "InputRefused": "errors",
    "MissingMock": "errors",
    "Mock": "mocks",
    "MockError": "errors",
    "Replay": "replaying",
    "ReplayFailed": "replaying",
    "RunDidNotFinish": "errors",
    "StoppedRun": "errors",
    "TaskRun": "result",
    "at_iteration": "mocks",
    "completes": "mocks",
    "fails": "mocks",
    "find_task": "references",
    "in_progress": "mocks",
    "replay": "replaying",
    "replay_many": "replaying",
    "responds": "mocks",
    "times_out": "mocks",
}

if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
        globals()[name] = value
        return value

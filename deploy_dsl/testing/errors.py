"""The errors a flow test raises: each says in one line what was wrong and where."""

from __future__ import annotations

from deploy_dsl.errors import DeployDslError

__all__ = [
    "FlowTestError",
    "InputRefused",
    "MissingMock",
    "MockError",
    "RunDidNotFinish",
    "StoppedRun",
]


class FlowTestError(DeployDslError):
    """A flow test could not run as written."""


class InputRefused(FlowTestError):
    """The input does not fit the workflow's input model; nothing was sent."""


class MockError(FlowTestError):
    """A mock does not fit its task (a field its answer model does not have, a key that is not
    in the workflow, a list that can never finish); found before anything is sent."""


class StoppedRun(FlowTestError):
    """A run the flow test stopped (terminated) on the server."""

    def __init__(self, message: str, workflow_id: str | None = None) -> None:
        super().__init__(message)
        self.workflow_id = workflow_id  # the execution of the workflow under test


class MissingMock(StoppedRun):
    """The run reached a task that no mock answers; it was stopped there."""

    def __init__(
        self, message: str, workflow_id: str | None = None, task: str | None = None
    ) -> None:
        super().__init__(message, workflow_id)
        self.task = task  # the executions down to the task, then the task


class RunDidNotFinish(StoppedRun):
    """The run did not end within its time budget; it was stopped."""

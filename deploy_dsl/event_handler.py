"""The EventHandler builder and its actions: what the server does when a message arrives on an
event queue (pure).

A handler listens on `event`, `<queue type>:<queue name>`: `conductor:<workflow>:<queue>` is
the server's own queue, where an EVENT task with `sink: "conductor:<queue>"` in workflow
`<workflow>` publishes (measured on 3.32.3: `Event.getQueueName` puts the publishing workflow's
name in between); `sqs:`, `kafka:`, `amqp_queue:`, `amqp_exchange:`, `nats:`, `nats_stream:`
and `jsm:` are other brokers a server may be configured with. The message's JSON is the
payload: a string `"${path}"` in an action (`payload("workflowId")`) is replaced by the value at
that JSON path (`SimpleActionProcessor`, through `ParametersUtils.replace`), keeping its type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from deploy_dsl.arguments import require
from deploy_dsl.controls import ApprovalDecision, ApprovalGate
from deploy_dsl.errors import DefinitionError
from deploy_dsl.location import caller_location
from deploy_dsl.schedule import start_input
from deploy_dsl.task import Task
from deploy_dsl.trigger_wire import (
    EventAction,
    EventHandlerDef,
    StartWorkflowDetails,
    TaskDetails,
    TerminateDetails,
    VariablesDetails,
)
from deploy_dsl.workflow import AnyTarget, ExternalWorkflow, Workflow

__all__ = [
    "Action",
    "CompleteTask",
    "EventHandler",
    "FailTask",
    "StartWorkflowAction",
    "TerminateWorkflow",
    "UpdateVariables",
    "payload",
]


def payload(path: str) -> str:
    """`"${path}"`: the value at `path` in the event's message (a JSON path such as
    `workflowId` or `approval.by`), filled in by the server when the action runs.

    Args:
        path: where in the message, dot-separated.
    """
    require("payload", "path", path, str)
    if not path or "${" in path or "}" in path:
        raise DefinitionError(f"payload path {path!r} must be a non-empty JSON path")
    return f"${{{path}}}"


class Action:
    """One thing an event handler does with a message (subclasses say which)."""

    def __init__(self, workflow: AnyTarget | None) -> None:
        self.workflow = workflow
        self.location = caller_location()

    @property
    def target(self) -> AnyTarget:
        """The workflow the action acts on (every action but TerminateWorkflow has one)."""
        if self.workflow is None:
            raise DefinitionError(f"{type(self).__name__} acts on no workflow of its own")
        return self.workflow

    def describe(self) -> str:
        """What it does to its workflow, for that workflow's docs page."""
        raise NotImplementedError

    def to_wire(self) -> EventAction:
        raise NotImplementedError


class StartWorkflowAction(Action):
    """Starts a workflow for each message (the event handler's action; the task that starts a
    workflow is StartWorkflow).

    Args:
        workflow: the Workflow (or ExternalWorkflow) to start, at its version.
        input: its input: a model instance or a mapping, checked against the workflow's input
            model; values may read the message (`payload("release.version")`).
        correlation_id: the run's correlation id (may read the message).
    """

    def __init__(
        self,
        *,
        workflow: AnyTarget,
        input: BaseModel | Mapping[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> None:
        require("StartWorkflowAction", "workflow", workflow, Workflow, ExternalWorkflow)
        require("StartWorkflowAction", "input", input, BaseModel, Mapping, optional=True)
        require("StartWorkflowAction", "correlation_id", correlation_id, str, optional=True)
        super().__init__(workflow)
        self.input = input
        self.correlation_id = correlation_id

    def describe(self) -> str:
        return "starts it"

    def to_wire(self) -> EventAction:
        details = StartWorkflowDetails(
            name=self.target.name,
            version=self.target.version,
            correlation_id=self.correlation_id,
            input=start_input(self.input),
        )
        return EventAction(action="start_workflow", start_workflow=details)


class CompleteTask(Action):
    """Completes a task that waits in a running workflow (a WAIT, such as an ApprovalGate's, or
    a HUMAN or SIMPLE task), with `output` as its output.

    The server finds the task by the workflow id the message gives and the task's reference
    (the latest iteration of one in a loop). It adds `workflowId`, `taskRefName` and the
    event's name to the output.

    Args:
        workflow: the workflow the task is in (checked: it holds the task).
        task: the task, an ApprovalGate (its WAIT), or a task reference.
        workflow_id: the running workflow's id, usually read from the message
            (`payload("workflowId")`).
        output: the task's output; values may read the message. An ApprovalGate's is checked
            against its decision (`approved`, `by`, `reason`).
    """

    def __init__(
        self,
        *,
        workflow: AnyTarget,
        task: Task | ApprovalGate | str,
        workflow_id: str,
        output: Mapping[str, Any] | None = None,
    ) -> None:
        owner = type(self).__name__
        require(owner, "workflow", workflow, Workflow, ExternalWorkflow)
        require(owner, "task", task, Task, ApprovalGate, str)
        require(owner, "workflow_id", workflow_id, str)
        require(owner, "output", output, Mapping, optional=True)
        super().__init__(workflow)
        self.task = task.wait if isinstance(task, ApprovalGate) else task
        self.decision: type[BaseModel] | None = (
            ApprovalDecision if isinstance(task, ApprovalGate) else None
        )
        self.workflow_id = workflow_id
        self.output = dict(output or {})

    @property
    def ref(self) -> str:
        return self.task if isinstance(self.task, str) else self.task.ref

    def describe(self) -> str:
        return f"completes its task `{self.ref}`"

    def details(self) -> TaskDetails:
        return TaskDetails(
            workflow_id=self.workflow_id, task_ref_name=self.ref, output=self.output or None
        )

    def to_wire(self) -> EventAction:
        return EventAction(action="complete_task", complete_task=self.details())


class FailTask(CompleteTask):
    """Fails a task that waits in a running workflow; the workflow then fails (or retries the
    task, per its TaskDef), as for any failed task.

    Args:
        workflow: the workflow the task is in.
        task: the task, an ApprovalGate (its WAIT), or a task reference.
        workflow_id: the running workflow's id, usually `payload("workflowId")`.
        reason: the task's reasonForIncompletion (may read the message).
        output: the task's output.
    """

    def __init__(
        self,
        *,
        workflow: AnyTarget,
        task: Task | ApprovalGate | str,
        workflow_id: str,
        reason: str | None = None,
        output: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(workflow=workflow, task=task, workflow_id=workflow_id, output=output)
        require("FailTask", "reason", reason, str, optional=True)
        self.reason = reason

    def describe(self) -> str:
        return f"fails its task `{self.ref}`"

    def details(self) -> TaskDetails:
        return super().details().model_copy(update={"reason_for_incompletion": self.reason})

    def to_wire(self) -> EventAction:
        return EventAction(action="fail_task", fail_task=self.details())


class TerminateWorkflow(Action):
    """Terminates a running workflow.

    Args:
        workflow_id: its id, usually `payload("workflowId")`.
        reason: why (may read the message).
    """

    def __init__(self, *, workflow_id: str, reason: str | None = None) -> None:
        require("TerminateWorkflow", "workflow_id", workflow_id, str)
        require("TerminateWorkflow", "reason", reason, str, optional=True)
        super().__init__(None)
        self.workflow_id = workflow_id
        self.reason = reason

    def describe(self) -> str:
        return "terminates the workflow the message names"

    def to_wire(self) -> EventAction:
        details = TerminateDetails(workflow_id=self.workflow_id, termination_reason=self.reason)
        return EventAction(action="terminate_workflow", terminate_workflow=details)


class UpdateVariables(Action):
    """Sets variables of a running workflow.

    Args:
        workflow: the workflow (its variables model, when it has one, checks `variables`).
        workflow_id: the running workflow's id, usually `payload("workflowId")`.
        variables: the variables to set; values may read the message.
        append_array: append to list variables instead of replacing them.
    """

    def __init__(
        self,
        *,
        workflow: AnyTarget,
        workflow_id: str,
        variables: Mapping[str, Any],
        append_array: bool | None = None,
    ) -> None:
        require("UpdateVariables", "workflow", workflow, Workflow, ExternalWorkflow)
        require("UpdateVariables", "workflow_id", workflow_id, str)
        require("UpdateVariables", "variables", variables, Mapping)
        require("UpdateVariables", "append_array", append_array, bool, optional=True)
        super().__init__(workflow)
        self.workflow_id = workflow_id
        self.variables = dict(variables)
        self.append_array = append_array

    def describe(self) -> str:
        return f"sets its variables {', '.join(f'`{name}`' for name in self.variables)}"

    def to_wire(self) -> EventAction:
        details = VariablesDetails(
            workflow_id=self.workflow_id, variables=self.variables, append_array=self.append_array
        )
        return EventAction(action="update_workflow_variables", update_workflow_variables=details)


class EventHandler:
    """What the server does with each message on an event queue: its actions, in order, when
    the condition holds.

        EventHandler("release_approvals", event="conductor:release_bot:approvals",
                     actions=[CompleteTask(workflow=release_v1, task=gate,
                                           workflow_id=payload("workflowId"),
                                           output={"approved": True, "by": payload("by")})])

    Args:
        name: the handler's name, unique on the server.
        event: the queue, `<type>:<name>`: `conductor:<publishing workflow>:<queue>` for the
            server's own queue (an EVENT task's `sink: "conductor:<queue>"`), or a broker's
            (`sqs:...`, `kafka:...`, `amqp_queue:...`, `nats:...`) on a server that has one.
        actions: what to do with each message, in order (at least one).
        condition: a JavaScript expression over the message (`$.approved == true`); messages
            for which it is false are acknowledged and ignored.
        active: whether the server runs it.
    """

    def __init__(
        self,
        name: str,
        *,
        event: str,
        actions: Sequence[Action],
        condition: str | None = None,
        active: bool = True,
    ) -> None:
        require("EventHandler", "name", name, str)
        if not name:
            raise DefinitionError("an EventHandler needs a name")
        owner = f"EventHandler {name!r}"
        require(owner, "event", event, str)
        require(owner, "actions", actions, list, tuple)
        require(owner, "condition", condition, str, optional=True)
        require(owner, "active", active, bool)
        if not actions:
            # EventHandler.actions is @NotEmpty: the server refuses it.
            raise DefinitionError(f"{owner}: needs at least one action")
        for action in actions:
            if not isinstance(action, Action):
                raise DefinitionError(f"{owner}: actions must be actions, got {action!r:.60}")
        self.name = name
        self.event = event
        self.actions = list(actions)
        self.condition = condition
        self.active = active
        self.location = caller_location()

    def to_wire(self) -> EventHandlerDef:
        return EventHandlerDef(
            name=self.name,
            event=self.event,
            condition=self.condition,
            active=self.active,
            actions=[action.to_wire() for action in self.actions],
        )

"""Pydantic models of the wire forms of schedules and event handlers (pure).

Modelled on the 3.32.3 server's own classes: `io.orkes.conductor.scheduler.model.
WorkflowSchedule` (what `POST /api/scheduler/schedules` takes) with its
`com.netflix.conductor.common.metadata.workflow.StartWorkflowRequest`, and
`com.netflix.conductor.common.metadata.events.EventHandler` (`POST /api/event`) with its
`Action` and the action types' classes. Field order is the key order of build/schedules.json
and build/event_handlers.json: identity first, then when or on what, then what it starts.
An event handler's action keys are snake_case on the wire (`start_workflow`, `complete_task`),
as the server's Jackson mapper writes the Java field names; everything else is camelCase.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from deploy_dsl.wire import WireModel

__all__ = [
    "ACTION_TYPES",
    "ActionType",
    "EventAction",
    "EventHandlerDef",
    "StartWorkflowDetails",
    "StartWorkflowRequest",
    "TaskDetails",
    "TerminateDetails",
    "VariablesDetails",
    "WorkflowSchedule",
]

# EventHandler.Action.Type in conductor-common 3.32.3, less start_agent (Orkes agents, which
# the OSS server does not run).
ActionType = Literal[
    "start_workflow",
    "complete_task",
    "fail_task",
    "terminate_workflow",
    "update_workflow_variables",
]
ACTION_TYPES: tuple[ActionType, ...] = (
    "start_workflow",
    "complete_task",
    "fail_task",
    "terminate_workflow",
    "update_workflow_variables",
)


class StartWorkflowRequest(WireModel):
    name: str
    version: int | None = None
    correlation_id: str | None = None
    input: dict[str, Any] | None = None


class WorkflowSchedule(WireModel):
    name: str
    description: str | None = None
    cron_expression: str
    zone_id: str | None = None
    paused: bool | None = None
    paused_reason: str | None = None
    run_catchup_schedule_instances: bool | None = None
    schedule_start_time: int | None = None
    schedule_end_time: int | None = None
    start_workflow_request: StartWorkflowRequest


class StartWorkflowDetails(WireModel):
    """EventHandler.StartWorkflow."""

    name: str
    version: int | None = None
    correlation_id: str | None = None
    input: dict[str, Any] | None = None


class TaskDetails(WireModel):
    """EventHandler.TaskDetails: which task (by workflow id and reference, or by task id)."""

    workflow_id: str | None = None
    task_ref_name: str | None = None
    task_id: str | None = None
    output: dict[str, Any] | None = None
    reason_for_incompletion: str | None = None


class TerminateDetails(WireModel):
    """EventHandler.TerminateWorkflow."""

    workflow_id: str
    termination_reason: str | None = None


class VariablesDetails(WireModel):
    """EventHandler.UpdateWorkflowVariables."""

    workflow_id: str
    variables: dict[str, Any]
    append_array: bool | None = None


class EventAction(WireModel):
    action: ActionType
    start_workflow: StartWorkflowDetails | None = Field(default=None, alias="start_workflow")
    complete_task: TaskDetails | None = Field(default=None, alias="complete_task")
    fail_task: TaskDetails | None = Field(default=None, alias="fail_task")
    terminate_workflow: TerminateDetails | None = Field(default=None, alias="terminate_workflow")
    update_workflow_variables: VariablesDetails | None = Field(
        default=None, alias="update_workflow_variables"
    )
    expand_inline_json: bool | None = Field(default=None, alias="expandInlineJSON")


class EventHandlerDef(WireModel):
    name: str
    event: str
    condition: str | None = None
    evaluator_type: str | None = None
    active: bool | None = None
    actions: list[EventAction]

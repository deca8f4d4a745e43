"""Pydantic models of Conductor's wire format: WorkflowDef, WorkflowTask, TaskDef.

Field order here is the key order of the canonical JSON in build/, so it is chosen for reading:
identity first, then inputs, then the type-specific parts. Unknown fields are kept (extra="allow")
and dumped after the known ones, so a definition written for a newer server survives a round trip.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["SubWorkflowParams", "TaskDef", "WireModel", "WorkflowDef", "WorkflowTask", "dump"]


class WireModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        protected_namespaces=(),
    )


class SubWorkflowParams(WireModel):
    name: str | None = None
    version: int | str | None = None
    task_to_domain: dict[str, str] | None = None
    workflow_definition: Any = None
    idempotency_key: str | None = None
    idempotency_strategy: str | None = None
    priority: int | str | None = None


class WorkflowTask(WireModel):
    name: str
    task_reference_name: str
    type: str = "SIMPLE"
    description: str | None = None
    optional: bool | None = None
    start_delay: int | None = None
    async_complete: bool | None = None
    permissive: bool | None = None
    retry_count: int | None = None
    rate_limited: bool | None = None
    input_parameters: dict[str, Any] | None = None
    # SWITCH and the older DECISION
    evaluator_type: str | None = None
    expression: str | None = None
    case_value_param: str | None = None
    case_expression: str | None = None
    script_expression: str | None = None
    decision_cases: dict[str, list[WorkflowTask]] | None = None
    default_case: list[WorkflowTask] | None = None
    # FORK_JOIN, FORK_JOIN_DYNAMIC, JOIN, EXCLUSIVE_JOIN
    fork_tasks: list[list[WorkflowTask]] | None = None
    dynamic_fork_tasks_param: str | None = None
    dynamic_fork_tasks_input_param_name: str | None = None
    dynamic_task_name_param: str | None = None
    join_on: list[str] | None = None
    join_status: str | None = None
    default_exclusive_join_task: list[str] | None = None
    # DO_WHILE
    loop_condition: str | None = None
    loop_over: list[WorkflowTask] | None = None
    # SUB_WORKFLOW, EVENT
    sub_workflow_param: SubWorkflowParams | None = None
    sink: str | None = None
    task_definition: dict[str, Any] | None = None
    on_state_change: dict[str, Any] | None = None
    cache_config: dict[str, Any] | None = None

    def children(self) -> list[list[WorkflowTask]]:
        """Every nested task list (branches, cases, loop body), in definition order."""
        lists: list[list[WorkflowTask]] = []
        if self.decision_cases:
            lists.extend(self.decision_cases.values())
        if self.default_case:
            lists.append(self.default_case)
        if self.fork_tasks:
            lists.extend(self.fork_tasks)
        if self.loop_over:
            lists.append(self.loop_over)
        return lists


class WorkflowDef(WireModel):
    name: str
    description: str | None = None
    version: int | None = None
    schema_version: int | None = None
    owner_email: str | None = None
    input_parameters: list[str] | None = None
    output_parameters: dict[str, Any] | None = None
    variables: dict[str, Any] | None = None
    input_template: dict[str, Any] | None = None
    tasks: list[WorkflowTask]
    failure_workflow: str | None = None
    failure_workflow_version: int | None = None
    restartable: bool | None = None
    workflow_status_listener_enabled: bool | None = None
    timeout_policy: str | None = None
    timeout_seconds: int | None = None


class TaskDef(WireModel):
    name: str
    description: str | None = None
    owner_email: str | None = None
    retry_count: int | None = None
    retry_logic: str | None = None
    retry_delay_seconds: int | None = None
    backoff_scale_factor: int | None = None
    timeout_seconds: int | None = None
    response_timeout_seconds: int | None = None
    timeout_policy: str | None = None
    poll_timeout_seconds: int | None = None
    concurrent_exec_limit: int | None = None
    rate_limit_per_frequency: int | None = None
    rate_limit_frequency_in_seconds: int | None = None
    input_keys: list[str] | None = None
    output_keys: list[str] | None = None
    input_template: dict[str, Any] | None = None


def dump(model: WireModel) -> dict[str, Any]:
    """The JSON-ready dict of a wire model: camelCase keys, unset fields left out."""
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")

"""Pydantic models of Conductor's wire format: WorkflowDef, WorkflowTask, TaskDef.

Field order here is the key order of the canonical JSON in build/, so it is chosen for reading:
identity first, then inputs, then the type-specific parts. Unknown fields are kept (extra="allow")
and dumped after the known ones, so a definition written for a newer server survives a round trip.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = [
    "AUDIT_FIELDS",
    "Branch",
    "SubWorkflowParams",
    "TaskDef",
    "WireModel",
    "WorkflowDef",
    "WorkflowTask",
    "dump",
    "walk",
]


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


@dataclass(frozen=True)
class Branch:
    """One task list nested in a task: a case, the default case, a fork branch, a loop body."""

    kind: Literal["case", "default", "fork", "loop"]
    label: str
    tasks: list[WorkflowTask]


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
    dynamic_fork_join_tasks_param: str | None = None
    dynamic_task_name_param: str | None = None
    join_on: list[str] | None = None
    join_status: str | None = None
    join_mode: str | None = None
    default_exclusive_join_task: list[str] | None = None
    # DO_WHILE
    loop_condition: str | None = None
    items: str | None = None
    loop_over: list[WorkflowTask] | None = None
    # SUB_WORKFLOW, EVENT
    sub_workflow_param: SubWorkflowParams | None = None
    sink: str | None = None
    task_definition: dict[str, Any] | None = None
    on_state_change: dict[str, Any] | None = None
    cache_config: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None

    def branches(self) -> list[Branch]:
        """Every nested task list (cases, the default case, fork branches, the loop body), in
        definition order: the one place that knows which fields hold tasks."""
        found = [Branch("case", key, case) for key, case in (self.decision_cases or {}).items()]
        if self.default_case:
            found.append(Branch("default", "default", self.default_case))
        found += [
            Branch("fork", str(i), branch) for i, branch in enumerate(self.fork_tasks or (), 1)
        ]
        if self.loop_over:
            found.append(Branch("loop", "loop", self.loop_over))
        return found

    def children(self) -> list[list[WorkflowTask]]:
        """Every nested task list, in definition order."""
        return [branch.tasks for branch in self.branches()]


def walk(tasks: Sequence[WorkflowTask]) -> Iterator[WorkflowTask]:
    """Every task, nested ones included, depth first in definition order; iterative, so a
    deeply nested file cannot exhaust the interpreter's stack."""
    stack = [iter(tasks)]
    while stack:
        task = next(stack[-1], None)
        if task is None:
            stack.pop()
            continue
        yield task
        for branch in reversed(task.branches()):
            stack.append(iter(branch.tasks))


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
    workflow_status_listener_sink: str | None = None
    timeout_policy: str | None = None
    timeout_seconds: int | None = None
    rate_limit_config: dict[str, Any] | None = None
    input_schema: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    enforce_schema: bool | None = None
    cache_config: dict[str, Any] | None = None
    masked_fields: list[str] | None = None
    metadata: dict[str, Any] | None = None


class TaskDef(WireModel):
    name: str
    description: str | None = None
    owner_email: str | None = None
    retry_count: int | None = None
    retry_logic: str | None = None
    retry_delay_seconds: int | None = None
    backoff_scale_factor: int | None = None
    max_retry_delay_seconds: int | None = None
    backoff_jitter_ms: int | None = None
    timeout_seconds: int | None = None
    response_timeout_seconds: int | None = None
    total_timeout_seconds: int | None = None
    timeout_policy: str | None = None
    poll_timeout_seconds: int | None = None
    concurrent_exec_limit: int | None = None
    rate_limit_per_frequency: int | None = None
    rate_limit_frequency_in_seconds: int | None = None
    isolation_group_id: str | None = None
    execution_name_space: str | None = None
    base_type: str | None = None
    input_keys: list[str] | None = None
    output_keys: list[str] | None = None
    runtime_metadata: list[str] | None = None
    input_template: dict[str, Any] | None = None
    input_schema: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    enforce_schema: bool | None = None
    task_status_listener_enabled: bool | None = None


# What the server writes on every definition it stores (`Auditable`): never part of a
# definition, left out of comparisons and imports.
AUDIT_FIELDS = frozenset({"ownerApp", "createTime", "updateTime", "createdBy", "updatedBy"})


def dump(model: WireModel) -> dict[str, Any]:
    """The JSON-ready dict of a wire model: camelCase keys, unset fields left out."""
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")

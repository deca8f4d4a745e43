"""What a Conductor 3.32.3 server fills in on its own, so that a plan can tell a value someone
set from a value nobody set (pure).

Measured on conductor-server-3.32.3-boot (SQLite): minimal definitions registered (a TaskDef with
only `name` and `ownerEmail` through POST /api/metadata/taskdefs; a WorkflowDef with only `name`,
`version` and SIMPLE, SWITCH, FORK_JOIN, JOIN, DO_WHILE, INLINE, SUB_WORKFLOW, HTTP tasks through
PUT /api/metadata/workflow) and read back with GET. The values are the field initialisers of
`com.netflix.conductor.common.metadata.tasks.TaskDef`, `...workflow.WorkflowDef` and
`...workflow.WorkflowTask` in conductor-common 3.32.3, serialised by the server's Jackson mapper;
fields that read back as null or as an empty list or map are not listed (an empty value and an
absent one mean the same to the server, and both sides of a comparison drop them). What was
sent and read back is kept in tests/data/conductor_3.32.3_defaults.json; tests/test_plan_diff.py
checks the table against it, tests/e2e/test_plan.py against the running server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "ACTION_DEFAULTS",
    "EVENT_HANDLER_DEFAULTS",
    "SCHEDULE_DEFAULTS",
    "SERVER_MANAGED",
    "START_REQUEST_DEFAULTS",
    "TASKDEF_DEFAULTS",
    "TASK_DEFAULTS",
    "WORKFLOW_DEFAULTS",
    "is_empty",
    "with_defaults",
]

# `com.netflix.conductor.common.metadata.Auditable`: written by the server on every write
# (MetadataServiceImpl.registerTaskDef / updateWorkflowDef), never by a definition; and a
# schedule's own bookkeeping (WorkflowSchedule.updatedTime, nextRunTime; SchedulerService).
SERVER_MANAGED: Final = frozenset(
    {"createTime", "updateTime", "createdBy", "updatedBy", "ownerApp", "updatedTime", "nextRunTime"}
)

WORKFLOW_DEFAULTS: Final[Mapping[str, Any]] = {
    "schemaVersion": 2,
    "restartable": True,
    "workflowStatusListenerEnabled": False,
    "timeoutPolicy": "ALERT_ONLY",
    "timeoutSeconds": 0,
    "enforceSchema": True,
}

TASK_DEFAULTS: Final[Mapping[str, Any]] = {
    "type": "SIMPLE",
    "startDelay": 0,
    "optional": False,
    "asyncComplete": False,
    "permissive": False,
}

TASKDEF_DEFAULTS: Final[Mapping[str, Any]] = {
    "retryCount": 3,
    "timeoutSeconds": 0,
    "timeoutPolicy": "TIME_OUT_WF",
    "retryLogic": "FIXED",
    "retryDelaySeconds": 60,
    "responseTimeoutSeconds": 3600,
    "rateLimitPerFrequency": 0,
    "rateLimitFrequencyInSeconds": 1,
    "backoffScaleFactor": 1,
    "maxRetryDelaySeconds": 0,
    "backoffJitterMs": 0,
    "totalTimeoutSeconds": 0,
    "taskStatusListenerEnabled": True,
    "enforceSchema": False,
}


# io.orkes.conductor.scheduler.model.WorkflowSchedule (the scheduler jar of 3.32.3) and its
# StartWorkflowRequest: a schedule sent with only a name, cron and workflow reads back with these.
SCHEDULE_DEFAULTS: Final[Mapping[str, Any]] = {
    "zoneId": "UTC",
    "paused": False,
    "runCatchupScheduleInstances": False,
}
START_REQUEST_DEFAULTS: Final[Mapping[str, Any]] = {"priority": 0}

# com.netflix.conductor.common.metadata.events.EventHandler and its Action.
EVENT_HANDLER_DEFAULTS: Final[Mapping[str, Any]] = {"active": False}
ACTION_DEFAULTS: Final[Mapping[str, Any]] = {"expandInlineJSON": False}


def is_empty(value: Any) -> bool:
    """Null, `{}` and `[]`: what the server writes for a field nobody set."""
    return value is None or value == {} or value == []


def with_defaults(body: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The definition as the server holds it: its defaults under the stated fields, the
    server-managed fields and the empty ones left out. Only this level: nested definitions
    (tasks, a task's taskDefinition) are the caller's to walk."""
    stated = {key: value for key, value in body.items() if value is not None}
    merged = {**stated, **{key: value for key, value in defaults.items() if key not in stated}}
    return {
        key: value
        for key, value in merged.items()
        if key not in SERVER_MANAGED and not is_empty(value)
    }

"""The public surface for definition modules: `from deploy_dsl.dsl import ...`."""

from deploy_dsl.controls import (
    ApprovalGate,
    ApprovalVerdict,
    BatchedFanOut,
    FailureThreshold,
    previous_result,
)
from deploy_dsl.event_handler import (
    CompleteTask,
    EventHandler,
    FailTask,
    StartWorkflow,
    TerminateWorkflow,
    UpdateVariables,
    payload,
)
from deploy_dsl.expressions import WORKFLOW, Ref, workflow_input, workflow_variables
from deploy_dsl.flow import Decision, DoWhile, DynamicFork, Fork, Join, SubWorkflow, Switch
from deploy_dsl.schedule import Schedule
from deploy_dsl.taskdef import RetryPolicy, TaskDef
from deploy_dsl.tasks import (
    GenericTask,
    Http,
    Inline,
    JsonJq,
    SetVariable,
    Simple,
    Task,
    Terminate,
    Wait,
    WorkerEndpoint,
)
from deploy_dsl.workflow import ExternalWorkflow, Workflow

__all__ = [
    "WORKFLOW",
    "ApprovalGate",
    "ApprovalVerdict",
    "BatchedFanOut",
    "CompleteTask",
    "Decision",
    "DoWhile",
    "DynamicFork",
    "EventHandler",
    "ExternalWorkflow",
    "FailTask",
    "FailureThreshold",
    "Fork",
    "GenericTask",
    "Http",
    "Inline",
    "Join",
    "JsonJq",
    "Ref",
    "RetryPolicy",
    "Schedule",
    "SetVariable",
    "Simple",
    "StartWorkflow",
    "SubWorkflow",
    "Switch",
    "Task",
    "TaskDef",
    "Terminate",
    "TerminateWorkflow",
    "UpdateVariables",
    "Wait",
    "WorkerEndpoint",
    "Workflow",
    "payload",
    "previous_result",
    "workflow_input",
    "workflow_variables",
]

# What the public names that are values, not builders, stand for (in the generated reference).
CONSTANTS = {
    "WORKFLOW": "The running workflow: `WORKFLOW.workflowId`, `WORKFLOW.input`, "
    "`WORKFLOW.variables` and the other fields of `${workflow.*}`.",
}

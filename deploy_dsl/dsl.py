"""The public surface for definition modules: `from deploy_dsl.dsl import ...`."""

from deploy_dsl.canary import (
    MANUAL,
    Abort,
    Analysis,
    AnalysisResult,
    CanaryStep,
    CanarySteps,
    Metric,
)
from deploy_dsl.controls import (
    ApprovalGate,
    ApprovalVerdict,
    BatchedFanOut,
    FailureThreshold,
    previous_result,
)
from deploy_dsl.expressions import WORKFLOW, Ref, workflow_input, workflow_variables
from deploy_dsl.flow import Decision, DoWhile, DynamicFork, Fork, Join, SubWorkflow, Switch
from deploy_dsl.taskdef import RetryPolicy, TaskDef
from deploy_dsl.tasks import (
    GenericTask,
    Http,
    Inline,
    JsonJq,
    PrometheusEndpoint,
    SetVariable,
    Simple,
    Task,
    Terminate,
    Wait,
    WorkerEndpoint,
)
from deploy_dsl.workflow import ExternalWorkflow, Workflow

__all__ = [
    "MANUAL",
    "WORKFLOW",
    "Abort",
    "Analysis",
    "AnalysisResult",
    "ApprovalGate",
    "ApprovalVerdict",
    "BatchedFanOut",
    "CanaryStep",
    "CanarySteps",
    "Decision",
    "DoWhile",
    "DynamicFork",
    "ExternalWorkflow",
    "FailureThreshold",
    "Fork",
    "GenericTask",
    "Http",
    "Inline",
    "Join",
    "JsonJq",
    "Metric",
    "PrometheusEndpoint",
    "Ref",
    "RetryPolicy",
    "SetVariable",
    "Simple",
    "SubWorkflow",
    "Switch",
    "Task",
    "TaskDef",
    "Terminate",
    "Wait",
    "WorkerEndpoint",
    "Workflow",
    "previous_result",
    "workflow_input",
    "workflow_variables",
]

# What the public names that are values, not builders, stand for (in the generated reference).
CONSTANTS = {
    "WORKFLOW": "The running workflow: `WORKFLOW.workflowId`, `WORKFLOW.input`, "
    "`WORKFLOW.variables` and the other fields of `${workflow.*}`.",
    "MANUAL": "A CanaryStep's pause that waits for `deploy-dsl promote` or `deploy-dsl abort`.",
}

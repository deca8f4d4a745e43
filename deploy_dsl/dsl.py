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
from deploy_dsl.event_handler import (
    CompleteTask,
    EventHandler,
    FailTask,
    StartWorkflowAction,
    TerminateWorkflow,
    UpdateVariables,
    payload,
)
from deploy_dsl.expressions import WORKFLOW, Ref, nullsafe, workflow_input, workflow_variables
from deploy_dsl.kinds.decision import Decision
from deploy_dsl.kinds.do_while import DoWhile
from deploy_dsl.kinds.dynamic import Dynamic
from deploy_dsl.kinds.event import Event
from deploy_dsl.kinds.exclusive_join import ExclusiveJoin
from deploy_dsl.kinds.fork_join import Fork
from deploy_dsl.kinds.fork_join_dynamic import DynamicFork
from deploy_dsl.kinds.generic import GenericTask
from deploy_dsl.kinds.http import Http, PrometheusEndpoint, WorkerEndpoint
from deploy_dsl.kinds.human import Human
from deploy_dsl.kinds.inline import Inline
from deploy_dsl.kinds.join import Join
from deploy_dsl.kinds.json_jq import JsonJq
from deploy_dsl.kinds.kafka_publish import KafkaPublish
from deploy_dsl.kinds.lambda_task import Lambda
from deploy_dsl.kinds.noop import Noop
from deploy_dsl.kinds.set_variable import SetVariable
from deploy_dsl.kinds.simple import Simple
from deploy_dsl.kinds.start_workflow import StartWorkflow
from deploy_dsl.kinds.sub_workflow import SubWorkflow
from deploy_dsl.kinds.switch import Switch
from deploy_dsl.kinds.terminate import Terminate
from deploy_dsl.kinds.wait import Wait
from deploy_dsl.options import CacheConfig, RateLimitConfig, SchemaDef, StateChangeEvent
from deploy_dsl.schedule import Schedule
from deploy_dsl.task import ExportedFields, Task, TaskOptions
from deploy_dsl.taskdef import RateLimit, RetryPolicy, TaskDef
from deploy_dsl.workflow import AnyWorkflow, ExternalWorkflow, Workflow, WorkflowExportedFields

__all__ = [
    "MANUAL",
    "WORKFLOW",
    "Abort",
    "Analysis",
    "AnalysisResult",
    "AnyWorkflow",
    "ApprovalGate",
    "ApprovalVerdict",
    "BatchedFanOut",
    "CacheConfig",
    "CanaryStep",
    "CanarySteps",
    "CompleteTask",
    "Decision",
    "DoWhile",
    "Dynamic",
    "DynamicFork",
    "Event",
    "EventHandler",
    "ExclusiveJoin",
    "ExportedFields",
    "ExternalWorkflow",
    "FailTask",
    "FailureThreshold",
    "Fork",
    "GenericTask",
    "Http",
    "Human",
    "Inline",
    "Join",
    "JsonJq",
    "KafkaPublish",
    "Lambda",
    "Metric",
    "Noop",
    "PrometheusEndpoint",
    "RateLimit",
    "RateLimitConfig",
    "Ref",
    "RetryPolicy",
    "Schedule",
    "SchemaDef",
    "SetVariable",
    "Simple",
    "StartWorkflow",
    "StartWorkflowAction",
    "StateChangeEvent",
    "SubWorkflow",
    "Switch",
    "Task",
    "TaskDef",
    "TaskOptions",
    "Terminate",
    "TerminateWorkflow",
    "UpdateVariables",
    "Wait",
    "WorkerEndpoint",
    "Workflow",
    "WorkflowExportedFields",
    "nullsafe",
    "payload",
    "previous_result",
    "workflow_input",
    "workflow_variables",
]

# What the public names that are values, not builders, stand for (in the generated reference).
CONSTANTS = {
    "AnyWorkflow": "Any Workflow, for annotations: a bare `Workflow` is one without an output "
    "model.",
    "WORKFLOW": "The running workflow: `WORKFLOW.workflowId`, `WORKFLOW.input`, "
    "`WORKFLOW.variables` and the other fields of `${workflow.*}`.",
    "MANUAL": "A CanaryStep's pause that waits for `deploy-dsl promote` or `deploy-dsl abort`.",
}

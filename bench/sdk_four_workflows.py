"""The four workflows of this repository built with conductor-python's own DSL, for comparison.

Run as a script: `python bench/sdk_four_workflows.py OUT_DIR`. It writes the same files
`deploy-dsl build` writes (workflows and task definitions), through the SDK's models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from conductor.client.http.api_client import ApiClient
from conductor.client.http.models.task_def import TaskDef
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.task.do_while_task import DoWhileTask
from conductor.client.workflow.task.dynamic_fork_task import DynamicForkTask
from conductor.client.workflow.task.http_task import HttpTask
from conductor.client.workflow.task.inline import InlineTask
from conductor.client.workflow.task.join_task import JoinTask
from conductor.client.workflow.task.set_variable_task import SetVariableTask
from conductor.client.workflow.task.sub_workflow_task import SubWorkflowTask
from conductor.client.workflow.task.switch_task import SwitchTask
from conductor.client.workflow.task.terminate_task import TerminateTask, WorkflowStatus

OWNER = "platform-team@example.com"
WORKER = "http://localhost:3000"
STEPS = [
    "create_infrastructure", "wait_infrastructure_created", "swap_traffic", "effective_status",
    "finalize_deployment", "rollback_deployment", "cleanup_old_resources", "update_monitoring",
    "notify_success", "restore_previous_traffic", "cleanup_failed_resources", "notify_failure",
]  # fmt: skip


def step(name: str, body: dict[str, Any]) -> HttpTask:
    request = {
        "uri": f"{WORKER}/{name}",
        "method": "POST",
        "body": body,
        "contentType": "application/json",
        "accept": "application/json",
        "connectionTimeOut": 2000,
        "readTimeOut": 10000,
    }
    return HttpTask(name, request)


def identity(deployment_id: str = "${workflow.workflowId}") -> dict[str, Any]:
    return {
        "scope": "${workflow.input.scope}",
        "version": "${workflow.input.version}",
        "env": "${workflow.input.env}",
        "deploymentId": deployment_id,
    }


def workflow(name: str, version: int, inputs: list[str]) -> ConductorWorkflow:
    built = ConductorWorkflow(executor=None, name=name, version=version)
    built.owner_email(OWNER)
    built.input_parameters(inputs)
    return built


def follow_up(name: str, steps: list[str]) -> ConductorWorkflow:
    built = workflow(name, 1, ["scope", "version", "env", "deploymentId", "infrastructureId"])
    body = {
        **identity("${workflow.input.deploymentId}"),
        "infrastructureId": "${workflow.input.infrastructureId}",
    }
    for item in steps:
        built.add(step(item, body))
    built.output_parameters({"deploymentId": "${workflow.input.deploymentId}"})
    return built


def deploy() -> ConductorWorkflow:
    built = workflow("deploy_simple_v1", 7, ["scope", "version", "env"])
    infra = "${create_infrastructure.output.response.body.infrastructureId}"
    body = {**identity(), "infrastructureId": infra}
    built.add(step("create_infrastructure", identity()))
    for item in ("wait_infrastructure_created", "swap_traffic", "effective_status"):
        built.add(step(item, body))
    decide = SwitchTask("decide_outcome", "${effective_status.output.response.body.status}")
    finalize = SubWorkflowTask("finalize", "finalize_deployment_v1", 1)
    finalize.input_parameters.update(body)
    record_ok = SetVariableTask("record_finalized")
    record_ok.input_parameters.update({"outcome": "finalized"})
    rollback = SubWorkflowTask("rollback", "rollback_deployment_v1", 1)
    rollback.input_parameters.update(body)
    record_bad = SetVariableTask("record_rolled_back")
    record_bad.input_parameters.update({"outcome": "rolled_back"})
    decide.switch_case("success", [finalize, step("finalize_deployment", body), record_ok])
    decide.default_case([rollback, step("rollback_deployment", body), record_bad])
    built.add(decide)
    built.variables({"outcome": None})
    built.output_parameters({"outcome": "${workflow.variables.outcome}", "infrastructureId": infra})
    return built


def pipeline() -> ConductorWorkflow:
    built = workflow("pipeline_simple_v1", 3, ["waves", "halt_on_rollback"])
    prepare = InlineTask(
        "prepare_wave",
        "(function () { return $.waves[$.wave - 1].services; })()",
        {"waves": "${workflow.input.waves}", "wave": "${run_waves.output.iteration}"},
    )
    fork = DynamicForkTask("deploy_wave", join_task=JoinTask("join_wave"))
    fork.input_parameters.update(
        {
            "forkTaskWorkflow": "deploy_simple_v1",
            "forkTaskWorkflowVersion": "7",
            "forkTaskInputs": "${prepare_wave.output.result}",
        }
    )
    summarize = InlineTask(
        "summarize_wave",
        "(function () { return {}; })()",
        {"results": "${join_wave.output}", "wave": "${run_waves.output.iteration}"},
    )
    halt = SwitchTask("halt_on_rollback", "${summarize_wave.output.result.halt}")
    halt.switch_case(
        "true",
        [
            TerminateTask(
                "halt_pipeline", WorkflowStatus.FAILED, "${summarize_wave.output.result.reason}"
            )
        ],
    )
    loop = DoWhileTask(
        "run_waves", "$.run_waves['iteration'] < $.waves.length", [prepare, fork, summarize, halt]
    )
    loop.input_parameters.update({"waves": "${workflow.input.waves}"})
    built.add(loop)
    return built


def main() -> None:
    out = Path(sys.argv[1])
    (out / "workflows").mkdir(parents=True, exist_ok=True)
    client = ApiClient()
    workflows = [
        deploy(),
        follow_up(
            "finalize_deployment_v1",
            ["cleanup_old_resources", "update_monitoring", "notify_success"],
        ),
        pipeline(),
        follow_up(
            "rollback_deployment_v1",
            ["restore_previous_traffic", "cleanup_failed_resources", "notify_failure"],
        ),
    ]
    for built in workflows:
        definition = client.sanitize_for_serialization(built.to_workflow_def())
        path = out / "workflows" / f"{built.name}.json"
        path.write_text(json.dumps(definition, indent=2) + "\n")
    taskdefs = [
        TaskDef(
            name=name,
            owner_email=OWNER,
            retry_count=10,
            retry_logic="FIXED",
            retry_delay_seconds=1,
            timeout_seconds=120,
            response_timeout_seconds=30,
        )
        for name in STEPS
    ]
    serialized = [client.sanitize_for_serialization(t) for t in taskdefs]
    (out / "taskdefs.json").write_text(json.dumps(serialized, indent=2) + "\n")


if __name__ == "__main__":
    main()

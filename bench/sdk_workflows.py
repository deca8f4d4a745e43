"""The workflows of this repository built with conductor-python's own DSL, for comparison.

Run as a script: `python bench/sdk_workflows.py OUT_DIR`. It writes the files `deploy-dsl build`
writes for a fixed set of this project's workflows (COVERED, and their task definitions; not
the docs, which the SDK has no counterpart for), through the SDK's models: the same names, task
types, references, inputs and policies. The JavaScript of the INLINE tasks, the descriptions
and the version numbers are data, not structure: they are read from the committed build/
rather than copied in here, so they cannot drift (reading them is a few small JSON files,
charged to this script). A workflow added to definitions/ is not covered here, and needs not
be.

`tests/test_bench_sdk_workflows.py` checks that it writes those workflows and their task
definitions as build/ holds them, task reference for task reference, so the bench compares like
with like.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
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
from conductor.client.workflow.task.timeout_policy import TimeoutPolicy
from conductor.client.workflow.task.wait_task import WaitTask

__all__ = ["COVERED", "main"]

BUILD = Path(__file__).resolve().parent.parent / "build"
OWNER = "platform-team@example.com"
WORKER = "http://localhost:3000"
PROMETHEUS_QUERY = "http://localhost:9090/api/v1/query"
# The workflows written here: the project's, as of when the bench was written.
COVERED = (
    "deploy_simple_v1", "deploy_failed_v1", "finalize_deployment_v1", "pipeline_simple_v1",
    "rollback_deployment_v1", "rollout_v1", "rollout_wave_v1", "canary_v1",
)  # fmt: skip
# Their versions, as build/ holds them: data, like the scripts and descriptions.
VERSIONS = {
    name: json.loads((BUILD / "workflows" / f"{name}.json").read_text(encoding="utf-8"))["version"]
    for name in COVERED
}
CANARY_INPUTS = ("scope", "version", "env", "interval", "count", "window", "max_error_rate",
                 "max_latency_p99", "on_inconclusive", "pause_before_full")  # fmt: skip
CANARY_WEIGHTS = (10, 25, 50, 100)
# rollout_wave_v1's inputs, which rollout_v1 passes from its prepare_wave result
WAVE_INPUTS = ("name", "services", "max_parallel", "max_failures",
               "approval", "wave", "label", "canary")  # fmt: skip
# task name -> (retry logic, timeout): every other policy is the same for all of them
STEPS = {
    "cleanup_failed_resources": ("EXPONENTIAL_BACKOFF", 120),
    "cleanup_old_resources": ("FIXED", 120),
    "create_infrastructure": ("FIXED", 120),
    "deployment_status": ("FIXED", 120),
    "effective_status": ("FIXED", 120),
    "finalize_deployment": ("FIXED", 120),
    "notify_failure": ("EXPONENTIAL_BACKOFF", 120),
    "notify_success": ("FIXED", 120),
    "restore_previous_traffic": ("EXPONENTIAL_BACKOFF", 120),
    "rollback_deployment": ("EXPONENTIAL_BACKOFF", 120),
    "swap_traffic": ("FIXED", 120),
    "update_monitoring": ("FIXED", 120),
    "wait_infrastructure_created": ("FIXED", 300),
}


class Texts:
    """Descriptions and scripts, by workflow and task reference, from build/."""

    def __init__(self) -> None:
        self.workflows: dict[str, str] = {}
        self.tasks: dict[tuple[str, str], dict[str, Any]] = {}
        for name in COVERED:
            path = BUILD / "workflows" / f"{name}.json"
            data = json.loads(path.read_text(encoding="utf-8"))
            self.workflows[data["name"]] = data.get("description", "")
            for task in _walk(data["tasks"]):
                self.tasks[(data["name"], task["taskReferenceName"])] = task

    def script(self, workflow: str, ref: str) -> str:
        expression: str = self.tasks[(workflow, ref)]["inputParameters"]["expression"]
        return expression

    def description(self, workflow: str, ref: str) -> str | None:
        text: str | None = self.tasks[(workflow, ref)].get("description")
        return text


def _walk(tasks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for task in tasks:
        yield task
        for branch in (task.get("decisionCases") or {}).values():
            yield from _walk(branch)
        for key in ("defaultCase", "loopOver"):
            yield from _walk(task.get(key) or [])


def step(name: str, body: dict[str, Any], ref: str | None = None) -> HttpTask:
    request = {
        "uri": f"{WORKER}/{name}",
        "method": "POST",
        "body": body,
        "contentType": "application/json",
        "accept": "application/json",
        "connectionTimeOut": 2000,
        "readTimeOut": 10000,
    }
    task = HttpTask(ref or name, request)
    task.name = name
    return task


def identity(deployment_id: str = "${workflow.workflowId}") -> dict[str, Any]:
    return {
        "scope": "${workflow.input.scope}",
        "version": "${workflow.input.version}",
        "env": "${workflow.input.env}",
        "deploymentId": deployment_id,
    }


def workflow(texts: Texts, name: str, inputs: list[str], timeout: int) -> ConductorWorkflow:
    built = ConductorWorkflow(executor=None, name=name, version=VERSIONS[name])
    built.description = texts.workflows[name]
    built.owner_email(OWNER)
    built.input_parameters(inputs)
    built.timeout_policy(TimeoutPolicy.TIME_OUT_WORKFLOW)
    built.timeout_seconds(timeout)
    return built


def inline(texts: Texts, workflow_name: str, ref: str, bindings: dict[str, Any]) -> InlineTask:
    task = InlineTask(ref, texts.script(workflow_name, ref), bindings)
    task.description = texts.description(workflow_name, ref)
    return task


def value_switch(ref: str, value: str) -> SwitchTask:
    return SwitchTask(ref, value)  # the SDK writes it as switchCaseValue, as deploy-dsl does


def sub_workflow(ref: str, name: str, inputs: dict[str, Any]) -> SubWorkflowTask:
    task = SubWorkflowTask(ref, name, VERSIONS[name])
    task.name = name
    task.input_parameters.update(inputs)
    return task


def set_outcome(ref: str, outcome: str) -> SetVariableTask:
    task = SetVariableTask(ref)
    task.input_parameters.update({"outcome": outcome})
    return task


def fork(ref: str, join: str, callee: str, version: int, items: str) -> DynamicForkTask:
    task = DynamicForkTask(ref, join_task=JoinTask(join, join_on=[]))
    task.input_parameters.update(
        {
            "forkTaskWorkflow": callee,
            "forkTaskWorkflowVersion": str(version),
            "forkTaskInputs": items,
        }
    )
    return task


def follow_up(texts: Texts, name: str, steps: list[str]) -> ConductorWorkflow:
    inputs = ["scope", "version", "env", "deploymentId", "infrastructureId"]
    built = workflow(texts, name, inputs, 600)
    body = {
        **identity("${workflow.input.deploymentId}"),
        "infrastructureId": "${workflow.input.infrastructureId}",
    }
    for item in steps:
        built.add(step(item, body))
    built.output_parameters(
        {
            "deploymentId": "${workflow.input.deploymentId}",
            "notification": f"${{{steps[-1]}.output.response.body}}",
        }
    )
    return built


def rolled_back(body: dict[str, Any], prefix: str = "") -> list[Any]:
    return [
        sub_workflow(f"{prefix}rollback", "rollback_deployment_v1", body),
        step("rollback_deployment", body, f"{prefix}rollback_deployment"),
        set_outcome(f"{prefix}record_rolled_back", "rolled_back"),
    ]


def health_check(body: dict[str, Any]) -> list[Any]:
    decide = value_switch("decide_outcome", "${effective_status.output.response.body.status}")
    decide.switch_case(
        "success",
        [
            sub_workflow("finalize", "finalize_deployment_v1", body),
            step("finalize_deployment", body),
            set_outcome("record_finalized", "finalized"),
        ],
    )
    decide.default_case(rolled_back(body))
    return [step("effective_status", body), decide]


def deploy(texts: Texts) -> ConductorWorkflow:
    built = workflow(texts, "deploy_simple_v1", ["scope", "version", "env"], 900)
    infra = "${create_infrastructure.output.response.body.infrastructureId}"
    body = {**identity(), "infrastructureId": infra}
    built.add(step("create_infrastructure", identity()))
    built.add(step("wait_infrastructure_created", body))
    built.add(set_outcome("traffic_at_risk", "rolled_back"))
    built.add(step("swap_traffic", body))
    for task in health_check(body):
        built.add(task)
    built.variables({"outcome": None})
    built.failure_workflow("deploy_failed_v1")
    built.output_parameters(
        {
            "outcome": "${workflow.variables.outcome}",
            **{key: f"${{workflow.input.{key}}}" for key in ("scope", "version", "env")},
            "deploymentId": "${workflow.workflowId}",
            "infrastructureId": infra,
            "status": "${effective_status.output.response.body.status}",
        }
    )
    return built


def deploy_failed(texts: Texts) -> ConductorWorkflow:
    inputs = ["scope", "version", "env", "workflowId", "reason", "failureStatus", "failureTaskId"]
    built = workflow(texts, "deploy_failed_v1", inputs, 1800)
    status = step("deployment_status", identity("${workflow.input.workflowId}"))
    infra = "${deployment_status.output.response.body.infrastructureId}"
    body = {**identity("${workflow.input.workflowId}"), "infrastructureId": infra}
    built.add(status)
    decide = value_switch(
        "roll_back_if_traffic_moved", "${deployment_status.output.response.body.needsRollback}"
    )
    decide.switch_case("true", rolled_back(body))
    built.add(decide)
    built.variables({"outcome": None})
    built.output_parameters(
        {
            "outcome": "${workflow.variables.outcome}",
            "deploymentId": "${workflow.input.workflowId}",
            "scope": "${workflow.input.scope}",
            "failureStatus": "${workflow.input.failureStatus}",
            "reason": "${workflow.input.reason}",
        }
    )
    return built


def pipeline(texts: Texts) -> ConductorWorkflow:
    name = "pipeline_simple_v1"
    built = workflow(texts, name, ["waves", "halt_on_rollback"], 3600)
    wave = "${run_waves.output.iteration}"
    prepare = inline(
        texts, name, "prepare_wave", {"waves": "${workflow.input.waves}", "wave": wave}
    )
    deploys = fork(
        "deploy_wave",
        "join_wave",
        "deploy_simple_v1",
        VERSIONS["deploy_simple_v1"],
        "${prepare_wave.output.result}",
    )
    deploys.optional = True
    summarize = inline(
        texts,
        name,
        "summarize_wave",
        {
            "results": "${join_wave.output}",
            "wave": wave,
            "haltOnRollback": "${workflow.input.halt_on_rollback}",
        },
    )
    halt = value_switch("halt_on_rollback", "${summarize_wave.output.result.halt}")
    stop = TerminateTask(
        "halt_pipeline", WorkflowStatus.FAILED, "${summarize_wave.output.result.reason}"
    )
    stop.input_parameters.update(
        {"workflowOutput": {"haltedAfterWave": wave, "summary": "${summarize_wave.output.result}"}}
    )
    halt.switch_case("true", [stop])
    loop = DoWhileTask(
        "run_waves",
        "$.run_waves['iteration'] < $.waves.length",
        [prepare, deploys, summarize, halt],
    )
    loop.input_parameters.update({"waves": "${workflow.input.waves}"})
    built.add(loop)
    built.output_parameters({"waves": wave, "lastWave": "${summarize_wave.output.result}"})
    return built


def rollout_wave(texts: Texts) -> ConductorWorkflow:
    name = "rollout_wave_v1"
    built = workflow(texts, name, list(WAVE_INPUTS), 604800)
    ask = SwitchTask("ask_approval", "$.approval != null ? 'ask' : 'go'", use_javascript=True)
    ask.input_parameters.update({"approval": "${workflow.input.approval}"})
    gate = WaitTask("approve_wave")
    gate.description = texts.description(name, "approve_wave")
    gate.input_parameters.update(
        {
            "duration": "${workflow.input.approval.timeout}",
            "approval": {"gate": "approve_wave", "subject": "${workflow.input.label}"},
        }
    )
    verdict = inline(
        texts,
        name,
        "approve_wave_verdict",
        texts.tasks[(name, "approve_wave_verdict")]["inputParameters"],
    )
    decision = value_switch(
        "approve_wave_decision", "${approve_wave_verdict.output.result.approved}"
    )
    decision.description = texts.description(name, "approve_wave_decision")
    summary_inputs = texts.tasks[(name, "not_approved")]["inputParameters"]
    refused = inline(texts, name, "not_approved", summary_inputs)
    stop = TerminateTask(
        "wave_not_approved", WorkflowStatus.COMPLETED, "${not_approved.output.result.reason}"
    )
    stop.input_parameters.update({"workflowOutput": {"summary": "${not_approved.output.result}"}})
    decision.switch_case("false", [refused, stop])
    ask.switch_case("ask", [gate, verdict, decision])
    built.add(ask)
    batch = inline(
        texts, name, "deploys_batch", texts.tasks[(name, "deploys_batch")]["inputParameters"]
    )
    deploys = fork(
        "deploys_fork",
        "deploys_join",
        "deploy_simple_v1",
        VERSIONS["deploy_simple_v1"],
        "${deploys_batch.output.result}",
    )
    deploys.optional = True
    tally = inline(
        texts, name, "deploys_tally", texts.tasks[(name, "deploys_tally")]["inputParameters"]
    )
    built.add(
        DoWhileTask(
            "deploys", "$.deploys_tally['result']['done'] == false", [batch, deploys, tally]
        )
    )
    built.add(
        inline(
            texts, name, "summarize_wave", texts.tasks[(name, "summarize_wave")]["inputParameters"]
        )
    )
    built.output_parameters({"summary": "${summarize_wave.output.result}"})
    return built


def rollout(texts: Texts) -> ConductorWorkflow:
    name = "rollout_v1"
    built = workflow(texts, name, ["waves", "canary", "rollback_completed"], 604800)
    prepare = inline(
        texts, name, "prepare_wave", texts.tasks[(name, "prepare_wave")]["inputParameters"]
    )
    result = "${prepare_wave.output.result"
    wave = sub_workflow("wave", "rollout_wave_v1", {k: f"{result}.{k}}}" for k in WAVE_INPUTS})
    tally = inline(
        texts, name, "rollout_tally", texts.tasks[(name, "rollout_tally")]["inputParameters"]
    )
    loop = DoWhileTask(
        "run_waves",
        "$.run_waves['iteration'] < $.waves.length && $.rollout_tally['result']['halt'] == false",
        [prepare, wave, tally],
    )
    loop.input_parameters.update({"waves": "${workflow.input.waves}"})
    built.add(loop)
    tallied = "${rollout_tally.output.result"
    halted = value_switch("halted", f"{tallied}.halt}}")
    callee = "rollback_deployment_v1"
    back = fork("roll_back", "rolled_back", callee, VERSIONS[callee], f"{tallied}.rollBack}}")
    stop = TerminateTask("halt_rollout", WorkflowStatus.FAILED, f"{tallied}.reason}}")
    outputs = {
        "waves": "waves",
        "finalized": "finalized",
        "haltedAt": "haltedAt",
        "rolledBack": "rollBack",
    }
    stop.input_parameters.update(
        {"workflowOutput": {key: f"{tallied}.{field}}}" for key, field in outputs.items()}}
    )
    halted.switch_case("true", [back, stop])
    built.add(halted)
    built.output_parameters({"waves": f"{tallied}.waves}}", "finalized": f"{tallied}.finalized}}"})
    return built


class Canary:
    """canary_v1's tasks, step by step; the scripts, the markers and the aborted output are
    text, read from build/ like every script here."""

    name = "canary_v1"

    def __init__(self, texts: Texts, body: dict[str, Any]) -> None:
        self.texts = texts
        self.body = body

    def given(self, ref: str) -> dict[str, Any]:
        found: dict[str, Any] = self.texts.tasks[(self.name, ref)]["inputParameters"]
        return found

    def described(self, task: Any, ref: str) -> Any:
        task.description = self.texts.description(self.name, ref)
        return task

    def inline(self, ref: str) -> InlineTask:
        return inline(self.texts, self.name, ref, self.given(ref))

    def abort(self, prefix: str) -> list[Any]:
        end = TerminateTask(
            f"{prefix}_end", WorkflowStatus.FAILED, self.given(f"{prefix}_end")["terminationReason"]
        )
        end.input_parameters.update(
            {"workflowOutput": self.given(f"{prefix}_end")["workflowOutput"]}
        )
        return [*rolled_back(self.body, f"{prefix}_"), self.described(end, f"{prefix}_end")]

    def manual(self, ref: str) -> list[Any]:
        wait = self.described(WaitTask(ref), ref)
        wait.input_parameters.update(self.given(ref))
        go = value_switch(f"{ref}_go", f"${{{ref}_decision.output.result.promoted}}")
        go.switch_case("false", self.abort(f"{ref}_abort"))
        return [wait, self.inline(f"{ref}_decision"), self.described(go, f"{ref}_go")]

    def analysis(self, ref: str) -> list[Any]:
        wait = self.described(WaitTask(f"{ref}_wait"), f"{ref}_wait")
        wait.input_parameters.update({"duration": "${workflow.input.interval}"})
        queries = []
        for metric in ("error_rate", "latency_p99"):
            query = HttpTask(
                f"{ref}_{metric}",
                {
                    "uri": PROMETHEUS_QUERY,
                    "method": "POST",
                    "body": f"${{{ref}_queries.output.result.{metric}}}",
                    "contentType": "application/x-www-form-urlencoded",
                    "accept": "application/json",
                    "connectionTimeOut": 2000,
                    "readTimeOut": 5000,
                },
            )
            query.name = "prometheus_query"
            query.optional = True
            queries.append(self.described(query, f"{ref}_{metric}"))
        loop = DoWhileTask(
            ref,
            f"$.{ref}_measure['result']['done'] == false",
            [wait, *queries, self.inline(f"{ref}_measure")],
        )
        return [self.inline(f"{ref}_queries"), self.described(loop, ref)]

    def step(self, number: int, weight: int) -> list[Any]:
        prefix = f"canary_{number}"
        tasks: list[Any] = [
            step("swap_traffic", {**self.body, "weight": weight}, f"{prefix}_traffic"),
            *self.analysis(f"{prefix}_analysis"),
        ]
        rule = value_switch(f"{prefix}_rule", "${workflow.input.on_inconclusive}")
        rule.switch_case("abort", self.abort(f"{prefix}_inconclusive"))
        rule.default_case(self.manual(f"{prefix}_held"))
        verdict = value_switch(
            f"{prefix}_verdict", f"${{{prefix}_analysis_measure.output.result.verdict}}"
        )
        verdict.switch_case("failed", self.abort(f"{prefix}_failed"))
        verdict.switch_case("inconclusive", [self.described(rule, f"{prefix}_rule")])
        tasks.append(self.described(verdict, f"{prefix}_verdict"))
        if weight == 50:
            kind_ref = f"{prefix}_pause_kind"
            expression = self.texts.tasks[(self.name, kind_ref)]["expression"]
            kind = SwitchTask(kind_ref, expression, use_javascript=True)
            kind.input_parameters.update(self.given(kind_ref))
            timed = self.described(WaitTask(f"{prefix}_pause_timed"), f"{prefix}_pause_timed")
            timed.input_parameters.update({"duration": "${workflow.input.pause_before_full}"})
            kind.switch_case("manual", self.manual(f"{prefix}_pause"))
            kind.switch_case("timed", [timed])
            tasks.append(self.described(kind, kind_ref))
        return tasks


def canary(texts: Texts) -> ConductorWorkflow:
    built = workflow(texts, Canary.name, list(CANARY_INPUTS), 604800)
    infra = "${create_infrastructure.output.response.body.infrastructureId}"
    body = {**identity(), "infrastructureId": infra}
    steps = Canary(texts, body)
    built.add(step("create_infrastructure", identity()))
    built.add(step("wait_infrastructure_created", body))
    built.add(set_outcome("traffic_at_risk", "rolled_back"))
    for number, weight in enumerate(CANARY_WEIGHTS, start=1):
        for task in steps.step(number, weight):
            built.add(task)
    for task in health_check(body):
        built.add(task)
    built.variables({"outcome": None})
    built.failure_workflow("deploy_failed_v1")
    release = {
        **{key: f"${{workflow.input.{key}}}" for key in ("scope", "version", "env")},
        "deploymentId": "${workflow.workflowId}",
        "infrastructureId": infra,
    }
    built.output_parameters(
        {
            **release,
            "outcome": "${workflow.variables.outcome}",
            "status": "${effective_status.output.response.body.status}",
            "analyses": [
                f"${{canary_{n}_analysis_measure.output.result}}"
                for n in range(1, len(CANARY_WEIGHTS) + 1)
            ],
        }
    )
    return built


def taskdefs() -> list[TaskDef]:
    """By name, as build/taskdefs.json holds them."""
    return sorted(_taskdefs(), key=lambda taskdef: str(taskdef.name))


def _taskdefs() -> list[TaskDef]:
    return [
        TaskDef(
            name=name,
            description=f"POST /{name} on the deployment worker"
            if name != "wait_infrastructure_created"
            else f"POST /{name}: 503 with Retry-After until provisioned",
            owner_email=OWNER,
            retry_count=10,
            retry_logic=logic,
            retry_delay_seconds=1,
            timeout_seconds=timeout,
            response_timeout_seconds=30,
            timeout_policy="RETRY",
            poll_timeout_seconds=15,
        )
        for name, (logic, timeout) in STEPS.items()
    ] + [
        TaskDef(
            name="prometheus_query",
            description="POST /api/v1/query on Prometheus, for a canary analysis",
            owner_email=OWNER,
            retry_count=0,
            retry_logic="FIXED",
            retry_delay_seconds=1,
            timeout_seconds=30,
            response_timeout_seconds=15,
            timeout_policy="RETRY",
        )
    ]


def main() -> None:
    out = Path(sys.argv[1])
    (out / "workflows").mkdir(parents=True, exist_ok=True)
    texts = Texts()
    client = ApiClient()
    workflows = [
        canary(texts),
        deploy(texts),
        deploy_failed(texts),
        follow_up(
            texts,
            "finalize_deployment_v1",
            ["cleanup_old_resources", "update_monitoring", "notify_success"],
        ),
        pipeline(texts),
        follow_up(
            texts,
            "rollback_deployment_v1",
            ["restore_previous_traffic", "cleanup_failed_resources", "notify_failure"],
        ),
        rollout(texts),
        rollout_wave(texts),
    ]
    for built in workflows:
        definition = client.sanitize_for_serialization(built.to_workflow_def())
        path = out / "workflows" / f"{built.name}.json"
        path.write_text(json.dumps(definition, indent=2) + "\n")
    serialized = [client.sanitize_for_serialization(t) for t in taskdefs()]
    (out / "taskdefs.json").write_text(json.dumps(serialized, indent=2) + "\n")


if __name__ == "__main__":
    main()

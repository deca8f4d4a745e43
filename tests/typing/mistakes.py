"""Deliberate mistakes in a definitions module written the way definitions/ are: each line ends
with the error that both type checkers must report on it,
`# error: "<in both messages>" (mypy <code>, pyright <rule>)`.

Never built or imported: `make check` leaves it out, and tests/typing/test_checkers.py runs
mypy and pyright on it and compares what they report with these lines.
"""

from __future__ import annotations

from pydantic import BaseModel

from definitions.common import DeploymentInput, DeployVariables, identity, worker_step
from definitions.finalize_deployment import finalize_deployment_v1
from definitions.rollout_wave import rollout_wave_v1
from deploy_dsl.dsl import (
    WORKFLOW,
    CanaryStep,
    CompleteTask,
    Http,
    Inline,
    Schedule,
    Simple,
    SubWorkflow,
    Switch,
    Wait,
    Workflow,
    payload,
    workflow_input,
    workflow_variables,
)


class Verdict(BaseModel):
    ok: bool


inputs = workflow_input(DeploymentInput)
variables = workflow_variables(DeployVariables)
create = worker_step("create_infrastructure", identity(inputs))

# A typo in a reference, a step's answer, a builder's keyword, a task option.
scope = inputs.scpoe  # error: "scpoe" (mypy attr-defined, pyright reportAttributeAccessIssue)
infrastructure_id = create.output.response.body.infrastructureID  # error: "infrastructureID" (mypy attr-defined, pyright reportAttributeAccessIssue)
call = SubWorkflow("call", workflow=finalize_deployment_v1, input={"scope": inputs.scope})  # error: "input" (mypy call-arg, pyright reportCallIssue)
smoke = Http("smoke", uri="http://localhost:3000/health", optinal=True)  # error: "optinal" (mypy call-arg, pyright reportCallIssue)

# The other typed references: variables, the running workflow, a SIMPLE step's answer, a
# script's result, a sub-workflow's output model.
outcome = variables.outcom  # error: "outcom" (mypy attr-defined, pyright reportAttributeAccessIssue)
deployment_id = WORKFLOW.workflowID  # error: "workflowID" (mypy attr-defined, pyright reportAttributeAccessIssue)
lint = Simple("lint", response=Verdict)
lint_passed = lint.output.okk  # error: "okk" (mypy attr-defined, pyright reportAttributeAccessIssue)
check = Inline("check", script="true", result=Verdict)
check_passed = check.output.result.okk  # error: "okk" (mypy attr-defined, pyright reportAttributeAccessIssue)
wave = SubWorkflow("wave", workflow=rollout_wave_v1, inputs={})
wave_summary = wave.output.summry  # error: "summry" (mypy attr-defined, pyright reportAttributeAccessIssue)

# A step the worker does not have, arguments of the wrong type, a SWITCH case key that is
# not a string (the server compares the value's string form).
unknown = worker_step("create_infrastructur", identity(inputs))  # error: "worker_step" (mypy call-overload, pyright reportCallIssue)
timed = Http("timed", uri="http://localhost:3000/x", read_timeout_ms="2s")  # error: "read_timeout_ms" (mypy arg-type, pyright reportArgumentType)
later = Wait("later", duration="1s", start_delay="5")  # error: "start_delay" (mypy arg-type, pyright reportArgumentType)
decide = Switch("decide", value=inputs.env, cases={True: [Wait("w", duration="1s")]})  # error: "bool" (mypy dict-item, pyright reportArgumentType)
version = Workflow("v", version="2", owner_email=None, tasks=[later])  # error: "version" (mypy arg-type, pyright reportArgumentType)

# Schedules, event handlers and canaries take their keywords and targets typed the same way.
nightly = Schedule("platform_nightly", cron="@daily", workflow=rollout_wave_v1, zon="UTC")  # error: "zon" (mypy call-arg, pyright reportCallIssue)
by_name = Schedule("platform_by_name", cron="@daily", workflow="rollout_wave_v1")  # error: "workflow" (mypy arg-type, pyright reportArgumentType)
approve = CompleteTask(workflow=rollout_wave_v1, task="gate", workflow_id=payload("workflowId"), ouput={})  # error: "ouput" (mypy call-arg, pyright reportCallIssue)
step = CanaryStep(10, pauze="1m")  # error: "pauze" (mypy call-arg, pyright reportCallIssue)

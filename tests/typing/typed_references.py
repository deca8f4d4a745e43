"""What each reference is to the type checker (`make check`: mypy --strict and pyright strict
assert every `assert_type` here), and that the same module builds at run time
(tests/test_typed_references.py compiles it): typed where a model says what is there, Ref (the
explicit open type) where nothing does.
"""

from __future__ import annotations

from typing import Literal, assert_type

from pydantic import BaseModel, Field

from definitions.common import DeploymentInput, identity, worker_step
from definitions.deploy_simple import DeployOutput, deploy_simple_v1
from definitions.rollout_wave import WaveOutput, WaveSummary, rollout_wave_v1
from deploy_dsl.dsl import (
    WORKFLOW,
    Analysis,
    AnalysisResult,
    ApprovalGate,
    ApprovalVerdict,
    BatchedFanOut,
    DoWhile,
    DynamicFork,
    Event,
    GenericTask,
    Http,
    Human,
    Inline,
    JsonJq,
    Metric,
    Ref,
    SetVariable,
    Simple,
    StartWorkflow,
    SubWorkflow,
    Switch,
    Terminate,
    Wait,
    Workflow,
    nullsafe,
    previous_result,
    workflow_input,
    workflow_variables,
)
from worker.contract import CreateInfrastructureAnswer


class Settings(BaseModel):
    region: str
    replicas: int
    my_key: str = Field(default="", alias="my-key")


class Plan(BaseModel):
    scope: str
    settings: Settings | None = None
    services: list[DeploymentInput] = Field(default_factory=list[DeploymentInput])


class Tally(BaseModel):
    count: int


class Verdict(BaseModel):
    ok: bool
    problems: list[str]


class Vars(BaseModel):
    outcome: Literal["done", "failed"] | None = None


inputs = workflow_input(Plan)
variables = workflow_variables(Vars)
assert_type(inputs, Plan)
assert_type(inputs.scope, str)
assert_type(inputs.services[0], DeploymentInput)
assert_type(nullsafe(inputs.settings).replicas, int)
assert_type(nullsafe(inputs.settings).my_key, str)  # `${workflow.input.settings.my-key}`
assert_type(variables.outcome, Literal["done", "failed"] | None)
assert_type(WORKFLOW.workflowId, str)
assert_type(WORKFLOW.input, Ref)

first = inputs.services[0]
create = worker_step("create_infrastructure", identity(first))
assert_type(create.output.response.body, CreateInfrastructureAnswer)
assert_type(create.output.response.body.infrastructureId, str)
assert_type(create.output.response.statusCode, int)
smoke = Http("smoke", uri="http://localhost:3000/health")
assert_type(smoke.output.response.body, Ref)  # no response model: open
assert_type(smoke.output.response.body.anything, Ref)

lint = Simple("lint", inputs={"scope": inputs.scope}, response=Verdict)
assert_type(lint.output.problems, list[str])
assert_type(Simple("open_step").output, Ref)
review = Human("review", response=Verdict)
assert_type(review.output.ok, bool)
assert_type(GenericTask("llm", task_type="LLM_TEXT_COMPLETE").output, Ref)

count = Inline("count", script="$.n", inputs={"n": 1}, result=int)
assert_type(count.output.result, int)
tally = Inline("tally", script="({count: 1})", result=Tally)
assert_type(tally.output.result.count, int)
query = JsonJq("names", query="[.services[].scope]", inputs={"services": []}, result=list[str])
assert_type(query.output.result, list[str])
assert_type(query.output.resultList, list[list[str]])
assert_type(JsonJq("raw", query=".").output.result, Ref)
assert_type(previous_result("tally", Tally), Tally)

deploy = SubWorkflow("deploy", workflow=deploy_simple_v1, inputs={**identity(first)})
assert_type(deploy.output, DeployOutput)
assert_type(deploy.output.outcome, Literal["finalized", "rolled_back"] | None)
wave = SubWorkflow("wave", workflow=rollout_wave_v1, inputs={})
assert_type(wave.output, WaveOutput)
assert_type(wave.output.summary, WaveSummary)
by_name = SubWorkflow("by_name", workflow=inputs.scope, version=1, name="computed")
assert_type(by_name.output, Ref)  # a workflow named at run time: its output is open
fan = DynamicFork("fan", workflow=deploy_simple_v1, fork_inputs=inputs.services)
joined = fan.join("joined")
assert_type(joined.output, dict[str, DeployOutput])
started = StartWorkflow("start", workflow=deploy_simple_v1, start_input={**identity(first)})
assert_type(started.output.workflowId, str)

loop = DoWhile("loop", condition="$.loop['iteration'] < 2", body=[Wait("tick", duration="1s")])
assert_type(loop.output.iteration, int)
assert_type(DoWhile.iteration_of("loop"), int)
decide = Switch("decide", value=lint.output.ok, cases={"false": [Terminate("no", status="FAILED")]})
assert_type(decide.output.selectedCase, str)
assert_type(Event("announce", sink="conductor:done").output, Ref)

gate = ApprovalGate("gate", timeout=nullsafe(inputs.settings).region, subject=inputs.scope)
assert_type(gate.verdict, ApprovalVerdict)
fan_out = BatchedFanOut(
    "deploys",
    workflow=deploy_simple_v1,
    items=inputs.services,
    failed="output.outcome !== 'finalized'",
    max_parallel=count.output.result,
)
assert_type(fan_out.result.remaining, list[DeploymentInput])
assert_type(fan_out.result.succeeded, list[DeployOutput])
assert_type(fan_out.result.exceeded, bool)

errors = Metric("errors", query="sum(rate(errors_total[30s]))", success="result <= 0.05")
canary_run = Analysis(metrics=[errors], interval="10s", count=3).run("judge", where="step 1")
assert_type(canary_run.result, AnalysisResult)
assert_type(canary_run.result.reason, str | None)
assert_type(canary_run.result.verdict, Literal["running", "passed", "failed", "inconclusive"])

record = SetVariable("record", inputs={"outcome": "done"})

typed_references = Workflow(
    "typed_references",
    version=1,
    owner_email="owner@example.com",
    input=Plan,
    variables=Vars,
    tasks=[create, smoke, lint, count, tally, query, deploy, fan, joined, loop, decide, record],
    output={"scope": inputs.scope, "verdict": lint.output, "count": count.output.result},
)

"""preflight_v1: before a deploy, the team's own checks: its manifest linter (a SIMPLE task a
Python worker of the team polls for), a smoke request to the target's status page (an HTTP
call with a header), and an announcement on the server's event queue (EVENT) that event
handlers and other systems listen on."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from definitions.common import OWNER_EMAIL, DeploymentInput
from deploy_dsl.dsl import (
    WORKFLOW,
    Event,
    Http,
    JsonJq,
    RetryPolicy,
    Simple,
    Switch,
    TaskDef,
    Terminate,
    Workflow,
    workflow_input,
)

__all__ = [
    "LINT_TASKDEF",
    "LintRequest",
    "LintVerdict",
    "PreflightInput",
    "announce",
    "lint",
    "preflight_v1",
    "smoke",
]


class PreflightInput(DeploymentInput):
    """What to check before deploying a service."""

    manifest: str = Field(min_length=1, description="the deployment manifest, as text")
    status_url: str = Field(
        default="http://localhost:3000/health",
        description="the target's status page, asked once before the deploy",
    )


class LintRequest(BaseModel):
    """What the linter worker is given."""

    model_config = ConfigDict(extra="forbid")

    scope: str
    manifest: str


class LintVerdict(BaseModel):
    """What the linter worker answers."""

    ok: bool
    problems: list[str] = Field(default_factory=list)


inputs = workflow_input(PreflightInput)

# A SIMPLE task: any conductor-python worker polling `lint_manifest` completes it; the
# contract types its inputs here and `.output` for the tasks after it.
lint = Simple(
    "lint",
    name="lint_manifest",
    inputs={"scope": inputs.scope, "manifest": inputs.manifest},
    request=LintRequest,
    response=LintVerdict,
)
LINT_TASKDEF = TaskDef(
    "lint_manifest",
    owner_email=OWNER_EMAIL,
    description="the team's manifest linter, a Python worker (README: SIMPLE tasks)",
    retry=RetryPolicy(count=2, delay_seconds=1),
    timeout_seconds=60,
    response_timeout_seconds=30,
)

stop_on_lint = Switch(
    "lint_passed",
    value=lint.output.ok,
    cases={"true": []},
    default=[
        Terminate(
            "manifest_refused",
            status="FAILED",
            reason="the manifest linter refused it",
            output={"problems": lint.output.problems},
        )
    ],
)

# An HTTP call outside the worker, with a header; a non-2xx answer fails it.
smoke = Http(
    "smoke",
    uri=inputs.status_url,
    headers={"X-Deploy-Scope": inputs.scope, "Accept": "application/json"},
    read_timeout_ms=5000,
)
SMOKE_TASKDEF = TaskDef(
    "smoke",
    owner_email=OWNER_EMAIL,
    description="GET the target's status page before deploying",
    retry=RetryPolicy(count=2, delay_seconds=1),
    timeout_seconds=30,
    response_timeout_seconds=15,
)

summary = JsonJq(
    "summarize",
    query="{scope: .scope, version: .version, status: .status}",
    inputs={
        "scope": inputs.scope,
        "version": inputs.version,
        "status": smoke.output.response.statusCode,
    },
)

# Published to the server's own queue `conductor:preflight_v1:preflight_done`.
announce = Event(
    "announce",
    sink="conductor:preflight_done",
    inputs={"scope": inputs.scope, "version": inputs.version, "checkedBy": WORKFLOW.workflowId},
)

preflight_v1 = Workflow(
    "preflight_v1",
    version=1,
    description="Checks a deploy before it starts: the team's manifest linter (a SIMPLE worker), "
    "a smoke request to the target's status page, then an announcement on the event queue.",
    owner_email=OWNER_EMAIL,
    input=PreflightInput,
    tasks=[lint, stop_on_lint, smoke, summary, announce],
    output={"summary": summary.output.result, "lint": lint.output},
    timeout_seconds=300,
    timeout_policy="TIME_OUT_WF",
)

"""rollout_wave_v1: one wave of rollout_v1: an optional approval gate, then the wave's deploys
in batches of at most max_parallel, stopping once more than max_failures have rolled back.

A wave is a workflow of its own because it loops (the batches) and rollout_v1 loops over the
waves: a DO_WHILE inside a DO_WHILE is where Conductor's iteration bookkeeping is fragile.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

from definitions.common import OWNER_EMAIL, DeploymentInput, FollowUpInput
from definitions.deploy_simple import deploy_simple_v1
from deploy_dsl.dsl import (
    ApprovalGate,
    ApprovalVerdict,
    BatchedFanOut,
    Inline,
    Switch,
    Terminate,
    Workflow,
    nullsafe,
    workflow_input,
)
from deploy_dsl.durations import parse_duration

__all__ = ["Approval", "RolloutWave", "WaveInput", "WaveOutput", "WaveSummary", "rollout_wave_v1"]

# "25%", "12.5%": a share of the wave's deploys.
_PERCENTAGE = re.compile(r"\d+(\.\d+)?%")


class Approval(BaseModel):
    """Wait for a person before the wave starts."""

    model_config = ConfigDict(extra="forbid")

    timeout: str | None = Field(
        default=None,
        description="how long to wait ('30m', '1h 30m'); then the wave counts as rejected. "
        "Without one the gate waits until someone decides",
    )

    @field_validator("timeout")
    @classmethod
    def _a_duration_conductor_parses(cls, value: str | None) -> str | None:
        if value is not None and not parse_duration(value):
            raise ValueError(
                f"{value!r} is not a duration Conductor parses (whole numbers with units d, h, "
                "m, s in that order, e.g. '30s', '1m 30s', '2 hours')"
            )
        return value


class RolloutWave(BaseModel):
    """One wave of a rollout, as the rollout's input gives it."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description="label shown in reasons and summaries")
    services: list[DeploymentInput] = Field(min_length=1)
    max_parallel: int | None = Field(
        default=None, ge=1, description="at most this many deploys at a time; none: all at once"
    )
    max_failures: StrictInt | StrictStr = Field(
        default=0,
        description="rolled-back deploys tolerated, a count or a percentage of the wave "
        "('25%'); one more halts the rollout after the batch",
    )
    approval: Approval | None = Field(
        default=None, description="wait for a person before the wave starts"
    )

    @field_validator("max_failures")
    @classmethod
    def _a_count_or_a_percentage(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value >= 0:
            return value
        if isinstance(value, str) and _PERCENTAGE.fullmatch(value) and float(value[:-1]) <= 100:
            return value
        raise ValueError(f"{value!r} is neither a count (0 or more) nor a percentage 0%-100%")


class WaveInput(RolloutWave):
    """What rollout_v1 passes to one wave."""

    wave: int = Field(ge=1, description="the wave's number, from 1")
    label: str = Field(description="'wave 2 (eu)': how reasons and the gate name the wave")
    canary: bool = Field(
        default=False, description="deploy the first service alone first; stop if it fails"
    )


class WaveSummary(BaseModel):
    """What one wave did (summarize_wave's result, or not_approved's)."""

    wave: int
    label: str
    approval: ApprovalVerdict | None = Field(description="the gate's verdict; null: no gate")
    finalized: list[FollowUpInput] = Field(description="the deploys that finalized")
    rolledBack: list[str] = Field(description="scopes rolled back, or that failed")
    reasons: dict[str, str] = Field(description="why each scope of rolledBack is there")
    notStarted: list[DeploymentInput] = Field(description="deploys never started")
    batches: int = Field(description="batches run")
    halt: bool = Field(description="the rollout stops after this wave")
    reason: str | None = Field(description="why it stops, naming the wave and the services")


class WaveOutput(BaseModel):
    """What a wave answers rollout_v1, which reads `wave.output.summary`."""

    summary: WaveSummary


# The tally's results to the wave's words. A deploy that failed (the fork is optional) counts
# as rolled back: after traffic moved its failure workflow rolled it back.
SUMMARY_SCRIPT = """(function () {
  var t = $.tally;
  var services = $.services || [];
  var finalized = [];
  var rolledBack = [];
  var reasons = {};
  var notStarted = [];
  var i;
  function scopes(list) {
    var names = [];
    for (var j = 0; j < list.length; j++) { names.push(list[j].scope); }
    return names.join(', ');
  }
  if (t) {
    for (i = 0; i < t.succeeded.length; i++) {
      var o = t.succeeded[i];
      finalized.push({scope: o.scope, version: o.version, env: o.env,
                      deploymentId: o.deploymentId, infrastructureId: o.infrastructureId});
    }
    for (i = 0; i < t.failed.length; i++) {
      var out = t.failed[i].output || {};
      var scope = t.failed[i].item.scope;
      rolledBack.push(scope);
      if (out.outcome === 'rolled_back' && out.status === 'failure') {
        reasons[scope] = 'the health check failed; rolled back';
      } else if (out.outcome === 'rolled_back') {
        reasons[scope] = 'the deploy failed after traffic moved; rolled back by deploy_failed_v1';
      } else {
        reasons[scope] = 'the deploy failed before traffic moved';
      }
    }
    for (i = 0; i < t.remaining.length; i++) { notStarted.push(t.remaining[i]); }
  } else {
    for (i = 0; i < services.length; i++) { notStarted.push(services[i]); }
  }
  var reason = null;
  if (!t) {
    var verdict = $.approval ? $.approval.message : 'no verdict';
    reason = $.label + ' not approved (' + verdict + '): ' + scopes(services) + ' not deployed';
  } else if (t.exceeded === true) {
    reason = $.label + ' halted, ' + t.reason + ': ' + rolledBack.join(', ') + ' rolled back' +
      (notStarted.length ? '; ' + scopes(notStarted) + ' not started' : '');
  }
  return {
    wave: $.wave,
    label: $.label,
    approval: $.approval || null,
    finalized: finalized,
    rolledBack: rolledBack,
    reasons: reasons,
    notStarted: notStarted,
    batches: t ? t.batches : 0,
    halt: !t || t.exceeded === true,
    reason: reason
  };
})()"""

inputs = workflow_input(WaveInput)
# approval may be null: so is its timeout then, and the gate waits until someone decides.
gate = ApprovalGate("approve_wave", timeout=nullsafe(inputs.approval).timeout, subject=inputs.label)
wave_facts = {"wave": inputs.wave, "label": inputs.label, "services": inputs.services}

not_approved = Inline(
    "not_approved",
    script=SUMMARY_SCRIPT,
    inputs={**wave_facts, "approval": gate.verdict, "tally": None},
    result=WaveSummary,
)
ask_approval = Switch(
    "ask_approval",
    script="$.approval != null ? 'ask' : 'go'",
    inputs={"approval": inputs.approval},
    cases={
        "ask": gate.tasks(
            on_reject=[
                not_approved,
                # COMPLETED, not FAILED: the wave did what it was told, and rollout_v1 reads
                # its summary to halt (and roll back) with the reason.
                Terminate(
                    "wave_not_approved",
                    status="COMPLETED",
                    reason=not_approved.output.result.reason,
                    output={"summary": not_approved.output.result},
                ),
            ]
        )
    },
)
deploys = BatchedFanOut(
    "deploys",
    workflow=deploy_simple_v1,
    items=inputs.services,
    failed="output.outcome !== 'finalized'",
    max_parallel=inputs.max_parallel,
    max_failures=inputs.max_failures,
    canary=inputs.canary,
)
summarize_wave = Inline(
    "summarize_wave",
    script=SUMMARY_SCRIPT,
    inputs={**wave_facts, "approval": gate.verdict, "tally": deploys.result},
    result=WaveSummary,
)

rollout_wave_v1 = Workflow(
    "rollout_wave_v1",
    version=2,
    description="One wave of rollout_v1: an optional approval gate, then deploy_simple_v1 per "
    "service, at most max_parallel at a time, stopping once more than max_failures rolled back.",
    owner_email=OWNER_EMAIL,
    input=WaveInput,
    tasks=[ask_approval, deploys, summarize_wave],
    output={"summary": summarize_wave.output.result},
    output_model=WaveOutput,
    # An approval may wait for days; a week bounds a forgotten one.
    timeout_seconds=7 * 24 * 3600,
    timeout_policy="TIME_OUT_WF",
)

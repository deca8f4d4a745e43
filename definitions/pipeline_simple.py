"""pipeline_simple_v1: waves of deploys; one wave's deploys run in parallel, waves in order."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from definitions.common import OWNER_EMAIL, DeploymentInput
from definitions.deploy_simple import deploy_simple_v1
from deploy_dsl.dsl import (
    DoWhile,
    DynamicFork,
    Inline,
    Switch,
    Terminate,
    Workflow,
    workflow_input,
)

__all__ = ["PipelineInput", "Wave", "WaveSummary", "pipeline_simple_v1"]


class Wave(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description="label shown in the summary")
    services: list[DeploymentInput] = Field(min_length=1)


class PipelineInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    waves: list[Wave] = Field(min_length=1, description="run one after another")
    halt_on_rollback: bool = Field(
        default=True, description="stop before the next wave when a deploy of a wave rolled back"
    )


class WaveSummary(BaseModel):
    """What summarize_wave's script returns for one wave."""

    wave: int
    finalized: list[str] = Field(description="scopes whose deploy finalized")
    rolledBack: list[str] = Field(description="scopes that rolled back, or have no outcome")
    reasons: dict[str, str] = Field(description="why each scope of rolledBack is there")
    halt: bool = Field(description="halt_on_rollback is on and something rolled back")
    reason: str | None = Field(description="why the pipeline halts, when it does")


inputs = workflow_input(PipelineInput)
LOOP = "run_waves"
wave_number = DoWhile.iteration_of(LOOP)

prepare_wave = Inline(
    "prepare_wave",
    script="(function () { return $.waves[$.wave - 1].services; })()",
    inputs={"waves": inputs.waves, "wave": wave_number},
    result=list[DeploymentInput],
)
deploy_wave = DynamicFork(
    "deploy_wave",
    workflow=deploy_simple_v1,
    fork_inputs=prepare_wave.output.result,
    # Each forked deploy is optional (ForkJoinDynamicTaskMapper copies the flag to them): one
    # that fails does not fail the JOIN, and its output still reaches the summary.
    optional=True,
)
join_wave = deploy_wave.join("join_wave")
summarize_wave = Inline(
    "summarize_wave",
    # The JOIN's output maps each forked deploy to its output; anything not finalized counts
    # as rolled back so that a deploy with no outcome never lets the next wave start. A deploy
    # that failed after traffic moved says rolled_back (its failure workflow rolls it back).
    script="""(function () {
  var results = $.results || {};
  var rolledBack = [];
  var finalized = [];
  var reasons = {};
  for (var key in results) {
    var out = results[key] || {};
    var scope = out.scope || key;
    if (out.outcome === 'finalized') { finalized.push(scope); continue; }
    rolledBack.push(scope);
    if (out.outcome === 'rolled_back' && out.status === 'failure') {
      reasons[scope] = 'the health check failed; rolled back';
    } else if (out.outcome === 'rolled_back') {
      reasons[scope] = 'the deploy failed after traffic moved; rolled back by deploy_failed_v1';
    } else {
      reasons[scope] = 'the deploy failed before traffic moved';
    }
  }
  rolledBack.sort();
  finalized.sort();
  var halt = $.haltOnRollback === true && rolledBack.length > 0;
  return {
    wave: $.wave,
    finalized: finalized,
    rolledBack: rolledBack,
    reasons: reasons,
    halt: halt,
    reason: halt ? 'wave ' + $.wave + ' rolled back: ' + rolledBack.join(', ') : null
  };
})()""",
    inputs={
        "results": join_wave.output,
        "wave": wave_number,
        "haltOnRollback": inputs.halt_on_rollback,
    },
    result=WaveSummary,
)
halt_on_rollback = Switch(
    "halt_on_rollback",
    value=summarize_wave.output.result.halt,
    cases={
        "true": [
            Terminate(
                "halt_pipeline",
                status="FAILED",
                reason=summarize_wave.output.result.reason,
                output={"haltedAfterWave": wave_number, "summary": summarize_wave.output.result},
            )
        ]
    },
)
run_waves = DoWhile(
    LOOP,
    condition=f"$.{LOOP}['iteration'] < $.waves.length",
    inputs={"waves": inputs.waves},
    body=[prepare_wave, deploy_wave, join_wave, summarize_wave, halt_on_rollback],
)

pipeline_simple_v1 = Workflow(
    "pipeline_simple_v1",
    version=5,
    description="Runs waves of deploy_simple_v1: the deploys of a wave in parallel, the waves "
    "in order; halts after a wave with a rollback unless halt_on_rollback is false.",
    owner_email=OWNER_EMAIL,
    input=PipelineInput,
    tasks=[run_waves],
    output={"waves": run_waves.iteration, "lastWave": summarize_wave.output.result},
    timeout_seconds=3600,
    timeout_policy="TIME_OUT_WF",
)

"""rollout_v1: waves of deploys with deployment controls: per wave an optional approval gate,
at most max_parallel deploys at a time, max_failures tolerated; a canary first; on a halt,
optionally roll back what the rollout had finalized."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from definitions.common import OWNER_EMAIL, FollowUpInput
from definitions.rollback_deployment import rollback_deployment_v1
from definitions.rollout_wave import RolloutWave, WaveInput, WaveSummary, rollout_wave_v1
from deploy_dsl.dsl import (
    DoWhile,
    DynamicFork,
    Inline,
    SubWorkflow,
    Switch,
    Terminate,
    Workflow,
    previous_result,
    workflow_input,
)

__all__ = ["RolloutInput", "RolloutTally", "rollout_v1"]


class RolloutInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    waves: list[RolloutWave] = Field(min_length=1, description="run one after another")
    canary: bool = Field(
        default=False,
        description="deploy the first service of the first wave alone before the rest; if it "
        "rolls back, the rollout halts",
    )
    rollback_completed: bool = Field(
        default=False,
        description="when the rollout halts, roll back (rollback_deployment_v1) the deploys it "
        "had finalized",
    )


class RolloutTally(BaseModel):
    """The waves so far (rollout_tally's result, accumulated across the loop's iterations)."""

    waves: list[WaveSummary]
    finalized: list[FollowUpInput] = Field(description="every deploy finalized so far")
    halt: bool
    haltedAt: int | None = Field(description="the wave that halted the rollout")
    reason: str | None = Field(description="why it halted, naming the wave and the services")
    rollBack: list[FollowUpInput] = Field(description="what rollback_completed rolls back")


PREPARE_SCRIPT = """(function () {
  var w = $.waves[$.wave - 1];
  return {
    wave: $.wave,
    name: w.name == null ? null : w.name,
    label: 'wave ' + $.wave + (w.name ? ' (' + w.name + ')' : ''),
    services: w.services,
    max_parallel: w.max_parallel == null ? null : w.max_parallel,
    max_failures: w.max_failures == null ? 0 : w.max_failures,
    approval: w.approval == null ? null : w.approval,
    canary: $.canary === true && $.wave === 1
  };
})()"""

# Reads its own previous result: the waves before this one (null in the first iteration).
TALLY_SCRIPT = """(function () {
  var prev = $.previous || {waves: [], finalized: []};
  var s = $.summary || {wave: $.wave, finalized: [], halt: true,
                        reason: 'wave ' + $.wave + ' gave no summary'};
  var waves = [];
  var finalized = [];
  var i;
  for (i = 0; i < prev.waves.length; i++) { waves.push(prev.waves[i]); }
  for (i = 0; i < prev.finalized.length; i++) { finalized.push(prev.finalized[i]); }
  waves.push(s);
  for (i = 0; i < s.finalized.length; i++) { finalized.push(s.finalized[i]); }
  var halt = s.halt === true;
  var rollBack = halt && $.rollbackCompleted === true ? finalized : [];
  var names = [];
  for (i = 0; i < rollBack.length; i++) { names.push(rollBack[i].scope); }
  return {
    waves: waves,
    finalized: finalized,
    halt: halt,
    haltedAt: halt ? s.wave : null,
    reason: halt ? s.reason + (names.length ?
      '; rolling back the deploys it had finalized: ' + names.join(', ') : '') : null,
    rollBack: rollBack
  };
})()"""

inputs = workflow_input(RolloutInput)
LOOP = "run_waves"
wave_number = DoWhile.iteration_of(LOOP)

prepare_wave = Inline(
    "prepare_wave",
    script=PREPARE_SCRIPT,
    inputs={"waves": inputs.waves, "wave": wave_number, "canary": inputs.canary},
    result=WaveInput,
)
wave_input = prepare_wave.output.result
wave = SubWorkflow(
    "wave",
    workflow=rollout_wave_v1,
    inputs={
        "name": wave_input.name,
        "services": wave_input.services,
        "max_parallel": wave_input.max_parallel,
        "max_failures": wave_input.max_failures,
        "approval": wave_input.approval,
        "wave": wave_input.wave,
        "label": wave_input.label,
        "canary": wave_input.canary,
    },
)
rollout_tally = Inline(
    "rollout_tally",
    script=TALLY_SCRIPT,
    inputs={
        "previous": previous_result("rollout_tally", RolloutTally),
        "summary": wave.output.summary,
        "wave": wave_number,
        "rollbackCompleted": inputs.rollback_completed,
    },
    result=RolloutTally,
)
tally = rollout_tally.output.result
run_waves = DoWhile(
    LOOP,
    condition=f"$.{LOOP}['iteration'] < $.waves.length && "
    "$.rollout_tally['result']['halt'] == false",
    inputs={"waves": inputs.waves},
    body=[prepare_wave, wave, rollout_tally],
)
roll_back = DynamicFork("roll_back", workflow=rollback_deployment_v1, fork_inputs=tally.rollBack)
rolled_back = roll_back.join("rolled_back")
halted = Switch(
    "halted",
    value=tally.halt,
    cases={
        "true": [
            # Empty unless rollback_completed: a dynamic fork over no items joins at once.
            roll_back,
            rolled_back,
            Terminate(
                "halt_rollout",
                status="FAILED",
                reason=tally.reason,
                output={
                    "waves": tally.waves,
                    "finalized": tally.finalized,
                    "haltedAt": tally.haltedAt,
                    "rolledBack": tally.rollBack,
                },
            ),
        ]
    },
)

rollout_v1 = Workflow(
    "rollout_v1",
    version=2,
    description="Rolls out waves of deploy_simple_v1 (one rollout_wave_v1 each): per wave an "
    "optional approval gate, at most max_parallel deploys at a time and max_failures "
    "tolerated; optionally a canary first; on a halt, optionally rolls back what it finalized.",
    owner_email=OWNER_EMAIL,
    input=RolloutInput,
    tasks=[run_waves, halted],
    output={"waves": tally.waves, "finalized": tally.finalized},
    timeout_seconds=7 * 24 * 3600,
    timeout_policy="TIME_OUT_WF",
)

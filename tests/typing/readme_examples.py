"""The README's deployment-controls example, whole, so that `make check` holds it to what it
holds definitions to (mypy --strict, pyright strict): tests/test_readme.py finds each example
of the README, line for line, in definitions/ or tests/typing/readme_*.py."""

from __future__ import annotations

from definitions.deploy_simple import deploy_simple_v1
from definitions.rollout_wave import WaveInput
from deploy_dsl.dsl import (
    ApprovalGate,
    BatchedFanOut,
    Terminate,
    Workflow,
    nullsafe,
    workflow_input,
)

__all__ = ["gated_wave"]

inputs = workflow_input(WaveInput)
gate = ApprovalGate("approve_wave", timeout=nullsafe(inputs.approval).timeout, subject=inputs.label)
deploys = BatchedFanOut("deploys", workflow=deploy_simple_v1, items=inputs.services,
                        failed="output.outcome !== 'finalized'", max_parallel=inputs.max_parallel,
                        max_failures=inputs.max_failures, canary=inputs.canary)  # fmt: skip
tasks = [*gate.tasks(on_reject=[Terminate("stop", status="FAILED", reason=gate.verdict.message)]),
         deploys]  # fmt: skip
gated_wave = Workflow("gated_wave", version=1, owner_email=None, input=WaveInput, tasks=tasks)

"""The module the type checkers read in tests/typing/typed_references.py builds at run time,
and its typed references render what the checker was told they are."""

from __future__ import annotations

import pytest

from deploy_dsl.errors import DefinitionError, UnknownField
from deploy_dsl.expressions import Ref, nullsafe, ref_of
from tests.typing import expression_arguments
from tests.typing import typed_references as module


def test_the_typed_modules_compile() -> None:
    expression_arguments.workflow.compile()
    compiled = module.typed_references.compile()
    assert [task.task_reference_name for task in compiled.definition.tasks][:3] == [
        "create_infrastructure",
        "smoke",
        "lint",
    ]


@pytest.mark.parametrize(
    ("reference", "rendered"),
    [
        (module.inputs.services[0], "${workflow.input.services[0]}"),
        (nullsafe(module.inputs.settings).my_key, "${workflow.input.settings.my-key}"),
        (module.create.output.response.body.infrastructureId,
         "${create_infrastructure.output.response.body.infrastructureId}"),
        (module.wave.output.summary.halt, "${wave.output.summary.halt}"),
        (module.joined.output["deploy_0"].outcome, "${joined.output.deploy_0.outcome}"),
        (module.fan_out.result.remaining, "${deploys_tally.output.result.remaining}"),
        (module.gate.verdict.message, "${gate_verdict.output.result.message}"),
        (module.loop.output.iteration, "${loop.output.iteration}"),
        (module.canary_run.result.verdict, "${judge_measure.output.result.verdict}"),
    ],
)  # fmt: skip
def test_a_typed_reference_is_a_ref_at_run_time(reference: object, rendered: str) -> None:
    assert isinstance(reference, Ref)
    assert str(reference) == rendered


def test_what_the_checker_flags_fails_at_import_too() -> None:
    with pytest.raises(UnknownField, match="has no field 'scpoe'"):
        _ = ref_of(module.inputs).scpoe
    with pytest.raises(UnknownField, match="has no field 'summry'"):
        _ = ref_of(module.wave.output).summry


def test_nullsafe_takes_only_references() -> None:
    with pytest.raises(DefinitionError, match="is not a reference"):
        nullsafe("svc-a")


def test_an_output_model_checks_the_output_it_types() -> None:
    from pydantic import BaseModel

    from deploy_dsl.dsl import ExternalWorkflow, Noop, Workflow
    from deploy_dsl.schemas import LEAF

    class Out(BaseModel):
        outcome: str

    def workflow(output: dict[str, object]) -> Workflow[BaseModel, Out]:
        return Workflow("w", version=1, owner_email=None, tasks=[Noop("n")], output=output,
                        output_model=Out)  # fmt: skip

    assert workflow({"outcome": module.inputs.scope}).output_schema == {"outcome": LEAF}
    with pytest.raises(DefinitionError, match="leaves out 'outcome', which Out requires"):
        workflow({})
    with pytest.raises(DefinitionError, match=r"has no field 'outcom' \(did you mean 'outcome'"):
        workflow({"outcome": "x", "outcom": "y"})
    external = ExternalWorkflow("theirs", version=1, output_model=Out)
    assert external.output_schema == {"outcome": LEAF}

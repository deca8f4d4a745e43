"""The builder additions the importer needs: Decision, SubWorkflow(latest=), Task(exported=)."""

from __future__ import annotations

import pytest

from deploy_dsl.dsl import Decision, ExportedFields, ExternalWorkflow, Fork, Simple, SubWorkflow
from deploy_dsl.errors import DefinitionError
from deploy_dsl.task import CompileOptions
from deploy_dsl.wire import dump

EMPTY: ExportedFields = {"forkTasks": [], "optional": False, "loopOver": []}


def _wire(task: Simple | Fork | Decision | SubWorkflow) -> dict[str, object]:
    return dump(task.to_wire(CompileOptions()))


def test_exported_fields_fill_only_what_the_builder_leaves_out() -> None:
    leaf = _wire(Simple("a", exported=EMPTY))
    assert (leaf["forkTasks"], leaf["optional"], leaf["loopOver"]) == ([], False, [])
    fork = _wire(Fork("f", branches=[[Simple("b")]], optional=True, exported=EMPTY))
    assert fork["forkTasks"] == [[_wire(Simple("b"))]]
    assert fork["optional"] is True


def test_an_exported_none_leaves_out_what_the_builder_writes() -> None:
    assert "inputParameters" in _wire(Simple("a"))
    assert "inputParameters" not in _wire(Simple("a", exported={"inputParameters": None}))


def test_extra_still_wins_over_exported_fields() -> None:
    assert "optional" not in _wire(Simple("a", exported=EMPTY, extra={"optional": None}))


def test_sub_workflow_latest_leaves_the_version_out() -> None:
    child = ExternalWorkflow("child", version=4)
    assert _wire(SubWorkflow("s", workflow=child))["subWorkflowParam"] == {
        "name": "child",
        "version": 4,
    }
    assert _wire(SubWorkflow("s", workflow=child, latest=True))["subWorkflowParam"] == {
        "name": "child"
    }


def test_decision_writes_the_older_switch_fields() -> None:
    decision = Decision(
        "d", param="case", inputs={"case": "x"}, cases={"x": [Simple("a")]}, default=[Simple("b")]
    )
    wire = _wire(decision)
    assert (wire["type"], wire["caseValueParam"]) == ("DECISION", "case")
    assert list(wire["decisionCases"]) == ["x"]  # type: ignore[call-overload]
    assert [child.ref for child in decision.children()[1]] == ["b"]
    assert str(decision.output.caseOutput) == "${d.output.caseOutput}"


def test_decision_needs_exactly_one_way_to_pick_a_case() -> None:
    with pytest.raises(DefinitionError, match="exactly one of param= or script="):
        Decision("d", cases={"x": [Simple("a")]})
    with pytest.raises(DefinitionError, match="at least one case"):
        Decision("d", param="case", cases={})

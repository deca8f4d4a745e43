"""build/'s byte form: wire models serialised straight to JSON equal their dumped dicts."""

from __future__ import annotations

from deploy_dsl.canonical import canonical_json, canonical_model_json
from deploy_dsl.wire import TaskDef, WorkflowDef, dump
from deploy_dsl.workspace.loader import load_project

_EDGES = {
    "name": "edges",
    "version": 2,
    "ownerEmail": "o@example.com",
    "futureField": {"kept": True, "gone": None},  # an extra field survives, its Nones too
    "tasks": [
        {
            "name": "caf\u00e9 \u2019q\u2019",
            "taskReferenceName": "t1",
            "type": "SWITCH",
            "inputParameters": {"x": None, "y": [1, 2.5, '\t\\"'], "z": {}},
            "decisionCases": {"a": [{"name": "n", "taskReferenceName": "t2"}]},
            "defaultCase": [],
            "optional": None,
        }
    ],
}


def test_a_workflow_with_nones_unicode_extras_and_nesting_has_the_bytes_of_its_dump() -> None:
    workflow = WorkflowDef.model_validate(_EDGES)
    assert canonical_model_json(workflow) == canonical_json(dump(workflow))
    assert '"x": null' in canonical_model_json(workflow)  # a None the user wrote is kept
    assert '"optional"' not in canonical_model_json(workflow)  # an unset field is left out


def test_the_projects_definitions_have_the_bytes_of_their_dumps() -> None:
    project = load_project()
    for workflow in project.workflows:
        definition = workflow.compile().definition
        assert canonical_model_json(definition) == canonical_json(dump(definition))
    taskdefs: list[TaskDef] = [taskdef.to_wire() for taskdef in project.taskdefs]
    assert canonical_model_json(taskdefs) == canonical_json([dump(t) for t in taskdefs])

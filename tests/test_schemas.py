"""Everything in build/ validates against Conductor's own JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import CONDUCTOR_SCHEMAS, REPO_ROOT
from worker.steps import STEP_NAMES

WORKFLOW_FILES = sorted((REPO_ROOT / "build" / "workflows").glob("*.json"))


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((CONDUCTOR_SCHEMAS / name).read_text())
    return schema


def test_build_has_the_seed_workflows() -> None:
    names = {path.stem for path in WORKFLOW_FILES}
    seed = {"deploy_simple_v1", "finalize_deployment_v1", "rollback_deployment_v1"}
    assert seed | {"pipeline_simple_v1"} <= names


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.stem)
def test_workflow_matches_conductor_schema(path: Path) -> None:
    validator = jsonschema.Draft7Validator(
        _schema("WorkflowDef.json"), format_checker=jsonschema.FormatChecker()
    )
    errors = sorted(validator.iter_errors(json.loads(path.read_text())), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_taskdefs_match_conductor_schema() -> None:
    validator = jsonschema.Draft7Validator(
        _schema("TaskDef.json"), format_checker=jsonschema.FormatChecker()
    )
    taskdefs = json.loads((REPO_ROOT / "build" / "taskdefs.json").read_text())
    assert set(STEP_NAMES) <= {taskdef["name"] for taskdef in taskdefs}
    for taskdef in taskdefs:
        errors = list(validator.iter_errors(taskdef))
        assert not errors, f"{taskdef['name']}: {[e.message for e in errors]}"


def test_schema_check_catches_a_broken_workflow() -> None:
    validator = jsonschema.Draft7Validator(_schema("WorkflowDef.json"))
    assert list(validator.iter_errors({"name": "x", "tasks": []}))  # minItems: 1

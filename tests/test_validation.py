"""The validator: broken definitions must fail with the exact code and line; Conductor's own
workflows must pass (warnings allowed)."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from deploy_dsl.compiler import compile_project
from deploy_dsl.findings import Code
from deploy_dsl.project import collect
from deploy_dsl.validation import Subject, validate
from deploy_dsl.wire import WorkflowDef
from tests.conftest import CONDUCTOR_FIXTURES, REPO_ROOT

INVALID_DIR = Path(__file__).parent / "invalid"
INVALID = sorted(p.stem for p in INVALID_DIR.glob("*.py") if not p.stem.startswith("_"))
_EXPECT = re.compile(r"# expect(-warning)?: (DSL\d+)")


def _expected(module: str) -> set[tuple[str, str, str]]:
    path = INVALID_DIR / f"{module}.py"
    expected = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if match := _EXPECT.search(line):
            severity = "warning" if match.group(1) else "error"
            expected.add((severity, match.group(2), f"tests/invalid/{module}.py:{number}"))
    return expected


@pytest.mark.parametrize("module", INVALID)
def test_invalid_definition_fails_with_its_code_at_its_line(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    project = collect([importlib.import_module(f"tests.invalid.{module}")])
    findings = compile_project(project).findings
    found = {(f.severity, f.code.value, f.location or "") for f in findings}
    assert found == _expected(module), "\n".join(map(str, findings))


def test_every_invalid_case_expects_something() -> None:
    assert len(INVALID) >= 14
    for module in INVALID:
        assert _expected(module), f"tests/invalid/{module}.py has no '# expect:' marker"


def _json_findings(workflow: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    subject = Subject([WorkflowDef.model_validate(workflow)], strict=False)
    return [(f.severity, f.code.name, f.task) for f in validate(subject)]


def _wf(*tasks: dict[str, Any]) -> dict[str, Any]:
    return {"name": "w", "version": 1, "tasks": list(tasks)}


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        (
            {"name": "s", "taskReferenceName": "s", "type": "SWITCH",
             "evaluatorType": "value-param", "expression": "x", "decisionCases": {}},
            [("error", "SWITCH_NO_CASES", "s")],
        ),
        (
            {"name": "s", "taskReferenceName": "s", "type": "SWITCH", "evaluatorType": "python",
             "expression": "x", "decisionCases": {"a": [{"name": "a", "taskReferenceName": "a"}]}},
            [("error", "SWITCH_BAD_EVALUATOR", "s")],
        ),
        (
            {"name": "t", "taskReferenceName": "t", "type": "TERMINATE",
             "inputParameters": {"terminationStatus": "DONE"}},
            [("error", "TERMINATE_BAD_STATUS", "t")],
        ),
        (
            {"name": "h", "taskReferenceName": "h", "type": "HTTP", "inputParameters": {}},
            [("error", "HTTP_NO_REQUEST", "h"), ("warning", "HTTP_NO_TASKDEF", "h")],
        ),
        (
            {"name": "d", "taskReferenceName": "d", "type": "DO_WHILE", "loopOver": []},
            [("error", "DO_WHILE_INCOMPLETE", "d")],
        ),
        (
            {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN_DYNAMIC"},
            [("error", "FORK_WITHOUT_JOIN", "f")],
        ),
    ],
)  # fmt: skip
def test_json_structure_errors(task: dict[str, Any], expected: list[tuple[str, str, str]]) -> None:
    assert _json_findings(_wf(task)) == expected


def test_json_undeclared_input_is_only_a_warning() -> None:
    task = {"name": "a", "taskReferenceName": "a", "inputParameters": {"x": "${workflow.input.y}"}}
    assert _json_findings(_wf(task)) == [("warning", "UNDECLARED_INPUT", "a")]


def test_a_forward_reference_in_a_nested_task_is_found() -> None:
    # The server checks only top-level tasks; a nested reference to a later task slips through.
    inner = {"name": "i", "taskReferenceName": "i", "inputParameters": {"x": "${late.output}"}}
    fork = {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN", "forkTasks": [[inner]]}
    join = {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["i"]}
    late = {"name": "late", "taskReferenceName": "late"}
    assert _json_findings(_wf(fork, join, late)) == [("error", "FORWARD_REF", "i")]


def test_workflow_output_may_refer_to_any_task() -> None:
    workflow = _wf({"name": "a", "taskReferenceName": "a"})
    workflow["outputParameters"] = {"x": "${a.output.x}", "y": "${b.output}"}
    assert _json_findings(workflow) == [("error", "UNKNOWN_ROOT", None)]


# Conductor's own test workflows: the server accepts them, so the validator must too. None is
# broken enough to fail; if one ever is, list it here with the reason.
BROKEN_FIXTURES: dict[str, str] = {}


def _fixture_files() -> list[Path]:
    files = sorted(CONDUCTOR_FIXTURES.glob("*.json"))
    assert len(files) == 76, f"expected Conductor's 76 fixtures in {CONDUCTOR_FIXTURES}"
    return files


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: p.stem)
def test_conductor_fixture_has_no_errors(path: Path) -> None:
    data = json.loads(path.read_text())
    items = data if isinstance(data, list) else [data]
    workflows = [WorkflowDef.model_validate(item) for item in items]
    errors = [f for f in validate(Subject(workflows, strict=False)) if f.severity == "error"]
    if path.name in BROKEN_FIXTURES:
        assert errors, f"{path.name} was listed as broken but validates cleanly"
    else:
        assert not errors, "\n".join(map(str, errors))


def test_every_code_is_unique() -> None:
    values = [code.value for code in Code]
    assert len(values) == len(set(values))

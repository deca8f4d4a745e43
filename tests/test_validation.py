"""The validator: broken definitions must fail with the exact code and line; Conductor's own
workflows must pass (warnings allowed)."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from deploy_dsl.cli.build import validate as validate_command
from deploy_dsl.compiler import compile_project
from deploy_dsl.findings import Code
from deploy_dsl.project import collect
from deploy_dsl.validation import Subject, validate
from deploy_dsl.wire import TaskDef, WorkflowDef, WorkflowTask
from tests.conftest import CONDUCTOR_FIXTURES, REPO_ROOT
from tests.validation_cases import (
    ERROR,
    RULES,
    TASKDEF_RULES,
    WARNING,
    WORKFLOW_RULES,
)
from tests.validation_cases import task as _t
from tests.validation_cases import workflow as _wf

INVALID_DIR = Path(__file__).parent / "invalid"
INVALID = sorted(p.stem for p in INVALID_DIR.glob("*.py") if not p.stem.startswith("_"))
_EXPECT = re.compile(r"# expect(-warning)?: (DSL\d+)")
# A case checked for a kind of server (`build --target`): `# target: oss` on a line of its own.
_TARGET = re.compile(r"^# target: (oss|orkes)$", re.MULTILINE)


def _target(module: str) -> str | None:
    found = _TARGET.search((INVALID_DIR / f"{module}.py").read_text())
    return found.group(1) if found else None


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
    target = _target(module)
    resolved = None if target is None else target == "orkes"
    findings = compile_project(project, secrets_resolved=resolved).findings
    found = {(f.severity, f.code.value, f.location or "") for f in findings}
    assert found == _expected(module), "\n".join(map(str, findings))


@pytest.mark.parametrize("module", INVALID)
def test_every_invalid_case_fails_validate_strict(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `validate --strict` is what CI runs: a warning fails it as an error does.
    monkeypatch.chdir(REPO_ROOT)
    target = _target(module)
    args = ["--strict", "--definitions", f"tests.invalid.{module}"]
    args += ["--target", target] if target else []
    result = CliRunner().invoke(validate_command, args)
    assert result.exit_code == 1, result.output
    warnings_only = all(severity == "warning" for severity, _, _ in _expected(module))
    if warnings_only:  # without --strict the same definitions pass
        lenient = CliRunner().invoke(validate_command, args[1:])
        assert lenient.exit_code == 0, lenient.output


def test_every_invalid_case_expects_something() -> None:
    assert len(INVALID) >= 14
    for module in INVALID:
        assert _expected(module), f"tests/invalid/{module}.py has no '# expect:' marker"


def _findings(workflow: dict[str, Any], **subject: Any) -> list[tuple[str, str, str | None]]:
    definition = WorkflowDef.model_validate(workflow)
    found = validate(Subject([definition], strict=subject.pop("strict", False), **subject))
    return [(f.severity, f.code.name, f.task) for f in found]


@pytest.mark.parametrize(("tasks", "expected"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule(tasks: list[dict[str, Any]], expected: list[tuple[str, str, str | None]]) -> None:
    assert sorted(_findings(_wf(*tasks))) == sorted(expected)


@pytest.mark.parametrize(
    ("definition", "expected"), [r[1:] for r in WORKFLOW_RULES], ids=[r[0] for r in WORKFLOW_RULES]
)
def test_workflow_rule(
    definition: dict[str, Any], expected: list[tuple[str, str, str | None]]
) -> None:
    assert sorted(_findings(definition)) == sorted(expected)


def test_undeclared_input_is_an_error_only_for_the_projects_definitions() -> None:
    # WorkflowDef.inputParameters is documentation to the server: a key nobody sends is null.
    task = _t("a", inputParameters={"x": "${workflow.input.y}"})
    assert _findings(_wf(task)) == [(WARNING, "UNDECLARED_INPUT", "a")]
    assert _findings(_wf(task), strict=True) == [(ERROR, "UNDECLARED_INPUT", "a")]


@pytest.mark.parametrize("version", [2**31, -(2**31) - 1, 10**40])
def test_a_version_outside_the_servers_int_is_refused(version: int) -> None:
    # WorkflowDef.version is a Java int.
    assert _findings(_wf(_t("a"), version=version)) == [(ERROR, "VERSION_OUT_OF_RANGE", None)]


def test_a_missing_sub_workflow_is_an_error_for_the_project_and_a_warning_for_json() -> None:
    # SubWorkflow.start: "No such workflow defined" fails the task (the parent's start fails
    # instead when no version is given: populateVersionForSubWorkflow).
    task = _t("s", "SUB_WORKFLOW", subWorkflowParam={"name": "ghost", "version": 1})
    assert _findings(_wf(task)) == [(WARNING, "MISSING_SUB_WORKFLOW", "s")]
    assert _findings(_wf(task), strict=True) == [(ERROR, "MISSING_SUB_WORKFLOW", "s")]
    assert _findings(_wf(task), external_workflows=frozenset({"ghost"})) == []


def _taskdef_findings(**fields: Any) -> list[tuple[str, str]]:
    taskdef = TaskDef.model_validate({"name": "t", "ownerEmail": "o@example.com", **fields})
    return [(f.severity, f.code.name) for f in validate(Subject([], [taskdef]))]


@pytest.mark.parametrize(("fields", "expected"), TASKDEF_RULES)
def test_taskdef_rule(fields: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert _taskdef_findings(**fields) == expected


def test_duplicate_definitions_are_errors_only_when_they_differ() -> None:
    # The bulk PUT/POST keeps the last of two definitions with the same key.
    one = WorkflowDef.model_validate(_wf(_t("a")))
    other = WorkflowDef.model_validate(_wf(_t("b")))
    same = validate(Subject([one, one], strict=False))
    differ = validate(Subject([one, other], strict=False))
    assert [(f.severity, f.code.name) for f in same] == [(WARNING, "DUPLICATE_WORKFLOW")]
    assert [(f.severity, f.code.name) for f in differ] == [(ERROR, "DUPLICATE_WORKFLOW")]


def test_a_duplicate_workflow_name_names_every_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)
    project = collect([importlib.import_module("tests.invalid.duplicate_workflow")])
    (finding,) = compile_project(project).findings
    assert "tests/invalid/duplicate_workflow.py:4" in finding.message
    assert "tests/invalid/duplicate_workflow.py:5" in finding.message


def test_a_cycle_is_named_in_order() -> None:
    calls_b = _t("s", "SUB_WORKFLOW", subWorkflowParam={"name": "b", "version": 1})
    calls_a = _t("s", "SUB_WORKFLOW", subWorkflowParam={"name": "a", "version": 1})
    a = WorkflowDef.model_validate({**_wf(calls_b), "name": "a"})
    b = WorkflowDef.model_validate({**_wf(calls_a), "name": "b"})
    (finding,) = validate(Subject([a, b], strict=False))
    assert finding.code is Code.SUB_WORKFLOW_CYCLE
    assert "a v1 -> b v1 -> a v1" in finding.message


def test_nesting_past_the_limit_is_a_finding_not_a_crash() -> None:
    task = WorkflowTask(name="leaf", task_reference_name="leaf")
    for level in range(3000):  # deeper than Python's recursion limit
        task = WorkflowTask.model_construct(
            name=f"s{level}", task_reference_name=f"s{level}", type="SWITCH",
            evaluator_type="javascript", expression="1", decision_cases={"1": [task]},
        )  # fmt: skip
    definition = WorkflowDef.model_construct(
        name="deep", version=1, owner_email="o@x", tasks=[task]
    )
    assert [f.code for f in validate(Subject([definition], strict=False))] == [Code.NESTED_TOO_DEEP]


# Conductor's own test workflows: the server accepts them, so the validator must too, except
# where a workflow has a defect at run time; each is listed with what happens.
BROKEN_FIXTURES: dict[str, str] = {
    "nested_fork_join_integration_test.json": "join2 waits on t20, which runs only in case 'a' "
    "of d1: in any other case the JOIN never completes (Join.execute)",
    "nested_fork_join_with_sub_workflow_integration_test.json": "the same JOIN on t20 as "
    "nested_fork_join_integration_test",
    "do_while_timeline_ui_demo.json": "prepare_fork_ref's jq query writes strings in single "
    "quotes, which jackson-jq does not lex: the task FAILS (measured on the local server: "
    "'Lexical error at line 1, column 17')",
}


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


@pytest.mark.parametrize(
    "name", ["../../README", "../taskdefs", "a/b", "..", ".hidden", "x" * 300, "README"]
)
def test_a_name_that_cannot_be_a_file_in_build_is_refused(name: str) -> None:
    # The name becomes build/workflows/<name>.json and build/docs/<name>.md.
    findings = _findings(_wf(_t("a"), name=name))
    assert ("error", "NAME_NOT_A_FILE_NAME", None) in findings


@pytest.mark.parametrize(("resolved", "expected"), [(None, []), (True, []), (False, [ERROR])])
def test_secrets_are_refused_only_for_a_server_that_leaves_them_as_text(
    resolved: bool | None, expected: list[str]
) -> None:
    # Orkes resolves `${workflow.secrets.*}`; Conductor OSS 3.32 passes the text on (measured
    # on the local server); with no server known (build, validate) nothing is said.
    task = _t("a", inputParameters={"h": "Bearer ${workflow.secrets.token}"})
    definition = WorkflowDef.model_validate(_wf(task))
    found = validate(Subject([definition], strict=False, secrets_resolved=resolved))
    assert [f.severity for f in found if f.code is Code.SECRETS_NOT_RESOLVED] == expected

"""Conductor's own 76 integration-test workflows: import, lint, type-check, build back, compare."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from deploy_dsl.compiler import compile_project
from deploy_dsl.findings import Finding
from deploy_dsl.validation import Subject, validate
from deploy_dsl.workspace.json_files import load_json_files
from tests.conftest import CONDUCTOR_FIXTURES
from tests.importer.helpers import REPO_ROOT, Imported, canonical, import_package

FIXTURES = CONDUCTOR_FIXTURES
FILES = sorted(FIXTURES.glob("*.json"))
pytestmark = pytest.mark.skipif(not FILES, reason=f"no Conductor fixtures in {FIXTURES}")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    out = tmp_path_factory.mktemp("corpus") / "imported_conductor_corpus"
    return import_package(FILES, out)


def _tool(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name(args[0])), *args[1:]]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


def test_every_fixture_imports(imported: Imported) -> None:
    assert imported.result.errors == []
    assert set(imported.result.modules) == {path.name for path in FILES}


def test_every_fixture_builds_back_to_its_json(imported: Imported) -> None:
    same = [
        path.name
        for path in FILES
        if canonical(imported.built(path.name)) == canonical(json.loads(path.read_text()))
    ]
    print(f"{len(same)}/{len(FILES)} fixtures round-trip")
    assert len(same) == len(FILES), sorted({p.name for p in FILES} - set(same))


def test_the_generated_code_passes_ruff_and_mypy(imported: Imported) -> None:
    tree, config = str(imported.directory), str(REPO_ROOT / "pyproject.toml")
    for check in (
        _tool("ruff", "check", "--config", config, tree),
        _tool("ruff", "format", "--check", "--config", config, tree),
        _tool("mypy", "--config-file", config, tree),
    ):
        assert check.returncode == 0, check.stdout + check.stderr


def test_the_import_adds_no_finding_and_only_declares_missing_workflows(
    imported: Imported,
) -> None:
    # Strict validation of the JSON itself, minus the sub-workflows the import declares
    # external, is exactly what a strict build of the import reports.
    source = load_json_files(FILES)
    expected = validate(Subject(source.workflows, source.taskdefs, strict=True))
    compiled = compile_project(imported.project)

    missing = [f for f in expected if f.code.name == "MISSING_SUB_WORKFLOW"]
    assert summary(compiled.findings) == summary(expected) - summary(missing)
    assert {e.name for e in imported.project.externals} == {"one_task_workflow"}


def summary(findings: list[Finding]) -> Counter[tuple[str, str, str | None]]:
    return Counter((f.code.value, f.workflow, f.task) for f in findings)


def test_only_custom_task_types_are_carried_as_generic_tasks(imported: Imported) -> None:
    warnings = "\n".join(imported.result.warnings)
    generic = set(re.findall(r"no builder for task type '(\w+)'", warnings))
    # The fixtures' custom worker types, which Conductor OSS does not ship.
    assert generic == {"USER_TASK", "BLOCKING_SYSTEM_TASK"}
    texts = "\n".join(imported.text(path.name) for path in FILES)
    assert texts.count("GenericTask(") == warnings.count("written as GenericTask")
    assert "extra=" not in texts
    lambda_text = imported.text("simple_lambda_workflow_integration_test.json")
    assert 'Lambda(\n    "lambda0",' in lambda_text

"""`deploy-dsl import` as a command (click's runner; cli.py registers it on the main group)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from deploy_dsl.cli.importing import import_
from tests.conftest import CONDUCTOR_FIXTURES
from tests.importer.helpers import REPO_ROOT

FIXTURES = CONDUCTOR_FIXTURES
BUILD = REPO_ROOT / "build" / "workflows"


def test_import_writes_a_package_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    out = tmp_path / "imported_cli"
    runner = CliRunner()
    first = runner.invoke(import_, [str(BUILD / "finalize_deployment_v1.json"), "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert "imported 1 workflow(s) and 0 task definition(s)" in first.output
    assert sorted(p.name for p in out.iterdir()) == [
        ".deploy-dsl-import",
        "__init__.py",
        "finalize_deployment_v1.py",
    ]
    again = runner.invoke(import_, [str(BUILD / "finalize_deployment_v1.json"), "--out", str(out)])
    assert again.exit_code == 1
    assert "use --force" in again.output
    forced = [str(BUILD / "finalize_deployment_v1.json"), "--out", str(out), "--force"]
    assert runner.invoke(import_, forced).exit_code == 0


def test_import_reports_what_a_strict_build_will_refuse(tmp_path: Path) -> None:
    source = FIXTURES / "simple_decision_task_integration_test.json"
    result = CliRunner().invoke(import_, [str(source), "--out", str(tmp_path / "imported")])
    assert result.exit_code == 0, result.output
    assert "will report 3 error(s)" in result.output
    assert "DSL015" in result.output
    assert "warning: simple_decision_task_integration_test.json: DecisionWorkflow:" in result.output


def test_a_definition_that_cannot_be_imported_fails_the_command(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"name": "empty", "version": 1, "tasks": []}))
    result = CliRunner().invoke(import_, [str(empty), "--out", str(tmp_path / "imported")])
    assert result.exit_code == 1
    assert (
        "Error: empty.json: workflow 'empty': the workflow has no tasks; nothing was written"
        in result.output
    )
    assert not (tmp_path / "imported").exists()

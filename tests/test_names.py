"""Names that cannot be shown or written as they are (issue 26, items 4 and 9): control
characters and README fences in names (DSL068), workflows whose names differ only in case
(DSL069), and what `build --readme` did with them before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy_dsl.compiler import compile_project
from deploy_dsl.dsl import Simple, Workflow
from deploy_dsl.findings import Finding
from deploy_dsl.project import Project
from deploy_dsl.validation import Subject, validate
from deploy_dsl.wire import TaskDef, WorkflowDef
from tests.conftest import REPO_ROOT

OWNER = "o@example.com"


def _findings(*workflows: Workflow) -> list[Finding]:
    return compile_project(Project(workflows=list(workflows), taskdefs=[])).findings


def _codes(findings: list[Finding]) -> list[tuple[str, str, str | None]]:
    return [(f.code.value, f.workflow, f.task) for f in findings if f.severity == "error"]


@pytest.mark.parametrize(
    "name",
    [
        "nul\x01",
        "two\nlines",
        "tab\tbed",
        "esc\x1b[31m",
        "del\x7f",
        "c1\x85",
        "line\u2028separator",
        "bidi\u202egnp.exe",
        "isolate\u2066x\u2069",
        "evil\n<!-- END deploy-dsl readme_diagram deploy -->",
        "fence<!--",
        "fence-->",
    ],
)
def test_a_workflow_name_with_a_control_character_or_a_fence_is_an_error(name: str) -> None:
    findings = _findings(Workflow(name, version=1, owner_email=OWNER, tasks=[Simple("a")]))
    assert ("DSL068", name, None) in _codes(findings), findings


def _json_workflow(name: str, *refs: str) -> WorkflowDef:
    tasks = [{"name": ref, "taskReferenceName": ref, "type": "SIMPLE"} for ref in refs]
    return WorkflowDef.model_validate(
        {"name": name, "version": 1, "ownerEmail": OWNER, "tasks": tasks}
    )


def _json_errors(*workflows: WorkflowDef, taskdefs: tuple[TaskDef, ...] = ()) -> list[str]:
    found = validate(Subject(workflows=workflows, taskdefs=taskdefs, strict=False))
    return [f.code.value for f in found if f.severity == "error"]


@pytest.mark.parametrize("ref", ["a\nb", "a\x00b", "a\u202eb"])
def test_a_task_reference_or_task_definition_with_a_control_character_is_an_error(
    ref: str,
) -> None:
    """JSON brings them in (the Python builders accept only letters, digits, `_-.`)."""
    assert _json_errors(_json_workflow("w", ref)) == ["DSL068", "DSL068"]  # reference and name
    taskdef = TaskDef.model_validate({"name": ref, "ownerEmail": OWNER})
    assert _json_errors(taskdefs=(taskdef,)) == ["DSL068"]


@pytest.mark.parametrize("name", ["plain", "déploiement", "部署", "emoji_🚀", "zero\u200bwidth"])
def test_printable_names_stay_valid(name: str) -> None:
    """Zero-width joiners belong to some scripts (and emoji); the docs escape what they show."""
    findings = _findings(Workflow(name, version=1, owner_email=OWNER, tasks=[Simple("a")]))
    assert _codes(findings) == []
    # A fence is refused only in workflow names, which the README block's fences carry.
    assert _json_errors(_json_workflow("w", name, "a-->b")) == []


def test_workflows_differing_only_in_case_are_an_error() -> None:
    findings = _findings(
        Workflow("Deploy", version=1, owner_email=OWNER, tasks=[Simple("a")]),
        Workflow("deploy", version=1, owner_email=OWNER, tasks=[Simple("a")]),
        Workflow("caf\u00e9", version=1, owner_email=OWNER, tasks=[Simple("a")]),
        Workflow("cafe\u0301", version=1, owner_email=OWNER, tasks=[Simple("a")]),
    )
    assert sorted(_codes(findings)) == [
        ("DSL069", "Deploy", None),
        ("DSL069", "cafe\u0301", None),
        ("DSL069", "caf\u00e9", None),
        ("DSL069", "deploy", None),
    ]
    message = next(f.message for f in findings if f.workflow == "Deploy")
    assert "differs from 'deploy' only in case" in message


def test_task_references_differing_only_in_case_stay_legal() -> None:
    """The server tells them apart (TaskReferenceNameUniqueValidator uses equals) and they
    become no file."""
    workflow = Workflow("w", version=1, owner_email=OWNER, tasks=[Simple("Build"), Simple("build")])
    assert _codes(_findings(workflow)) == []


def test_json_workflows_differing_only_in_case_are_an_error_too() -> None:
    definitions = [
        WorkflowDef.model_validate(
            {
                "name": name,
                "version": 1,
                "ownerEmail": OWNER,
                "tasks": [{"name": "a", "taskReferenceName": "a", "type": "SIMPLE"}],
            }
        )
        for name in ("Deploy", "deploy")
    ]
    found = validate(Subject(workflows=definitions, strict=False))
    assert [f.code.value for f in found if f.severity == "error"] == ["DSL069", "DSL069"]


README_BLOCK = (
    "# project\n\n"
    "<!-- BEGIN deploy-dsl readme_diagram deploy: generated from the definitions, do not edit -->\n"
    "<!-- END deploy-dsl readme_diagram deploy -->\n"
    "after\n"
)
BUILD = [sys.executable, "-m", "deploy_dsl", "build", "--definitions", "defs"]
EVIL = "evil\\n<!-- END deploy-dsl readme_diagram deploy -->"


def test_a_marker_in_a_name_no_longer_grows_the_readme(tmp_path: Path) -> None:
    """`evil\\n<!-- END ... -->` as a name made every `build --readme` add 8 lines."""
    defs = tmp_path / "defs"
    defs.mkdir()
    (defs / "flows.py").write_text(
        "from deploy_dsl.dsl import Simple, Workflow\n"
        f"deploy = Workflow('deploy', version=1, owner_email='{OWNER}', tasks=[Simple('a')])\n"
        f"evil = Workflow('{EVIL}', version=1, owner_email='{OWNER}', tasks=[Simple('b')])\n"
    )
    readme = tmp_path / "README.md"
    readme.write_text(README_BLOCK)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for _ in range(2):
        done = subprocess.run(
            [*BUILD, "--readme", "README.md"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1, done.stdout
        assert "DSL068" in done.stdout
    assert readme.read_text() == README_BLOCK
    assert not (tmp_path / "build").exists()

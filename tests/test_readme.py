"""The README shows the deploy workflow's diagram as the definitions generate it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deploy_dsl.workspace.build import build_files
from deploy_dsl.workspace.loader import load_project
from deploy_dsl.workspace.readme import ReadmeError, updated_readme
from tests.conftest import REPO_ROOT

README = REPO_ROOT / "README.md"


def test_readme_diagram_is_the_generated_one() -> None:
    compiled, _ = build_files(load_project())
    text = README.read_text(encoding="utf-8")
    assert "<!-- BEGIN deploy-dsl readme_diagram deploy_simple_v1:" in text
    assert updated_readme(text, compiled, README, REPO_ROOT / "build") == text, (
        "README.md's generated diagram is stale: run `make build`"
    )


def test_a_block_is_rewritten_and_the_rest_kept(tmp_path: Path) -> None:
    compiled, _ = build_files(load_project())
    stale = (
        "# Title\n\n<!-- BEGIN deploy-dsl readme_diagram finalize_deployment_v1: generated -->\n"
        "old\n<!-- END deploy-dsl readme_diagram finalize_deployment_v1 -->\n\nafter\n"
    )
    readme = tmp_path / "README.md"
    fresh = updated_readme(stale, compiled, readme, tmp_path / "build")
    assert fresh.startswith("# Title\n\n<!-- BEGIN deploy-dsl readme_diagram finalize_deployment")
    assert fresh.endswith(
        "<!-- END deploy-dsl readme_diagram finalize_deployment_v1 -->\n\nafter\n"
    )
    assert "old\n" not in fresh and "t_notify_success" in fresh
    assert "(build/docs/finalize_deployment_v1.md)" in fresh
    assert updated_readme(fresh, compiled, readme, tmp_path / "build") == fresh


def test_a_block_naming_an_unknown_workflow_is_an_error(tmp_path: Path) -> None:
    compiled, _ = build_files(load_project())
    text = (
        "<!-- BEGIN deploy-dsl readme_diagram gone_v1: x -->\n"
        "<!-- END deploy-dsl readme_diagram gone_v1 -->\n"
    )
    with pytest.raises(ReadmeError, match="names 'gone_v1', which the definitions do not define"):
        updated_readme(text, compiled, tmp_path / "README.md", tmp_path / "build")


def test_readme_starts_with_the_two_commands() -> None:
    head = README.read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert "make demo" in head and "make test" in head


def test_every_validation_code_is_in_the_readme() -> None:
    from deploy_dsl.findings import Code

    section = README.read_text(encoding="utf-8").split("## Validation", 1)[1].split("\n## ", 1)[0]
    listed: set[int] = set()
    for start, end in re.findall(r"DSL(\d+)(?:-(\d+))?", section):
        listed.update(range(int(start), int(end or start) + 1))
    missing = [code.value for code in Code if int(code.value[3:]) not in listed]
    assert not missing, f"README.md's Validation section does not list {missing}"

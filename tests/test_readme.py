"""The README shows the deploy workflow's diagram as the definitions generate it."""

from __future__ import annotations

from deploy_dsl.builder import build_files
from deploy_dsl.docs.pages import readme_diagram
from deploy_dsl.project import load_project
from tests.conftest import REPO_ROOT


def test_readme_diagram_is_the_generated_one() -> None:
    compiled, _ = build_files(load_project())
    block = readme_diagram(compiled, "deploy_simple_v1")
    assert block in (REPO_ROOT / "README.md").read_text(), (
        "README.md's diagram is stale: paste readme_diagram(compiled, 'deploy_simple_v1')"
    )


def test_readme_starts_with_the_two_commands() -> None:
    head = (REPO_ROOT / "README.md").read_text().split("\n## ", 1)[0]
    assert "make demo" in head and "make test" in head

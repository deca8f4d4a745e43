"""The diagrams to check (the project's pages, the Conductor fixtures, edge cases) and the
verdicts of the real Mermaid on them: one Node process and one Chromium page load per session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mermaid_check import (
    EDGE_CASES,
    FIXTURES,
    Diagram,
    fail_missing,
    page_diagram,
    parse_with_node,
    render_in_chromium,
    texts,
)

from deploy_dsl.compiler import Compiled
from deploy_dsl.wire import WorkflowDef
from deploy_dsl.workspace.build import build_files
from deploy_dsl.workspace.json_files import load_json_files
from deploy_dsl.workspace.loader import load_project


@pytest.fixture(scope="session")
def project() -> tuple[Compiled, dict[str, str]]:
    compiled, files = build_files(load_project("definitions"))
    assert not compiled.errors, compiled.errors
    return compiled, files


@pytest.fixture(scope="session")
def fixture_files() -> list[Path]:
    files = sorted(FIXTURES.glob("*.json"))
    if not files:
        fail_missing(
            f"Conductor fixtures in {FIXTURES}", "they are vendored in tests/data/conductor/"
        )
    return files


@pytest.fixture(scope="session")
def diagrams(
    project: tuple[Compiled, dict[str, str]], fixture_files: list[Path]
) -> dict[str, Diagram]:
    """Diagrams by name: `project:<workflow>`, `fixture:<file stem>`, `edge-cases`."""
    compiled, _ = project
    found = {f"project:{w.name}": page_diagram(w, compiled) for w in compiled.workflows}
    for path in fixture_files:
        (workflow,) = load_json_files([path]).workflows
        found[f"fixture:{path.stem}"] = page_diagram(workflow, Compiled([workflow], [], []))
    edge = WorkflowDef.model_validate(EDGE_CASES)
    found["edge-cases"] = page_diagram(edge, Compiled([edge], [], []))
    return found


@pytest.fixture(scope="session")
def parsed(diagrams: dict[str, Diagram]) -> dict[str, dict[str, Any]]:
    return parse_with_node(texts(diagrams))


@pytest.fixture(scope="session")
def rendered(
    diagrams: dict[str, Diagram], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    return render_in_chromium(texts(diagrams), tmp_path_factory.mktemp("chromium"))

"""The Markdown of build/docs/: committed and current, deterministic, complete, linked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mermaid_check import EDGE_CASES, REPO, mermaid_blocks

from deploy_dsl.compiler import Compiled
from deploy_dsl.docs.escape import md_cell, md_cell_code, md_code, mermaid_text
from deploy_dsl.docs.facts import walk
from deploy_dsl.docs.flowchart import node_id
from deploy_dsl.docs.pages import UnknownWorkflow, readme_diagram, render_docs
from deploy_dsl.wire import WorkflowDef
from deploy_dsl.workspace.json_files import load_json_files

Project = tuple[Compiled, dict[str, str]]


def test_build_docs_is_what_the_definitions_render(project: Project) -> None:
    compiled, files = project
    docs = render_docs(compiled)
    assert {path: text for path, text in files.items() if path.startswith("docs/")} == docs
    on_disk = {
        path.relative_to(REPO / "build").as_posix(): path.read_text(encoding="utf-8")
        for path in (REPO / "build" / "docs").iterdir()
    }
    assert on_disk == docs, "build/docs is stale: run `make build`"


def test_rendering_is_deterministic(project: Project) -> None:
    compiled, _ = project
    shuffled = Compiled(
        compiled.workflows[::-1],
        compiled.taskdefs[::-1],
        [],
        inputs=compiled.inputs,
        schedules=compiled.schedules[::-1],
        event_handlers=compiled.event_handlers[::-1],
        triggers=compiled.triggers[::-1],
    )
    assert render_docs(compiled) == render_docs(compiled) == render_docs(shuffled)


def test_each_page_has_inputs_outputs_one_diagram_and_a_row_per_task(project: Project) -> None:
    compiled, _ = project
    docs = render_docs(compiled)
    for workflow in compiled.workflows:
        page = docs[f"docs/{workflow.name}.md"]
        for heading in ("## Inputs", "## Outputs", "## Flow", "## Tasks"):
            assert heading in page, (workflow.name, heading)
        for name in workflow.input_parameters or []:
            assert f"| `{name}` |" in page
        for key in workflow.output_parameters or {}:
            assert f"| `{key}` |" in page
        assert len(mermaid_blocks(page)) == 1
        for placed in walk(workflow.tasks):
            assert f"| `{placed.task.task_reference_name}` | {placed.task.type} |" in page


def test_inputs_show_type_default_and_description(project: Project) -> None:
    compiled, _ = project
    page = render_docs(compiled)["docs/pipeline_simple_v1.md"]
    # halt_on_rollback: bool = Field(True, description=...) in definitions/pipeline_simple.py
    (line,) = [line for line in page.splitlines() if line.startswith("| `halt_on_rollback` | `")]
    assert line.startswith("| `halt_on_rollback` | `bool` | `true` | stop before the next wave")
    assert "| `waves` | `list[Wave]` | required | run one after another |" in page


def test_http_rows_show_endpoint_and_retry_policy(project: Project) -> None:
    compiled, _ = project
    page = render_docs(compiled)["docs/deploy_simple_v1.md"]
    row = "| `create_infrastructure` | HTTP | `POST /create_infrastructure` |"
    (line,) = [line for line in page.splitlines() if line.startswith(row)]
    taskdef = next(t for t in compiled.taskdefs if t.name == "create_infrastructure")
    policy = f"{taskdef.retry_count} ({taskdef.retry_logic}, {taskdef.retry_delay_seconds} s apart)"
    assert line == f"{row} {policy} | {taskdef.timeout_seconds} s |  |"
    assert '{"decide_outcome<br/>SWITCH on ${effective_status' in page


def test_links_lead_to_pages_that_exist(project: Project) -> None:
    compiled, _ = project
    docs = render_docs(compiled)
    for path, text in docs.items():
        for target in re.findall(r"\]\(([^)]+)\)", text):
            resolved = (Path("build") / path).parent / target
            exists = resolved.as_posix().removeprefix("build/") in docs
            assert exists or (REPO / resolved).exists(), (path, target)
    deploy = docs["docs/deploy_simple_v1.md"]
    assert "[finalize_deployment_v1](finalize_deployment_v1.md) version 1" in deploy
    assert "[pipeline_simple_v1](pipeline_simple_v1.md), task `deploy_wave`" in deploy


def test_index_lists_every_workflow_with_version_and_description(project: Project) -> None:
    compiled, _ = project
    index = render_docs(compiled)["docs/README.md"]
    for workflow in compiled.workflows:
        row = f"| [{workflow.name}]({workflow.name}.md) | {workflow.version} | "
        assert row + f"{workflow.description} |" in index


def test_readme_block_is_the_deploy_diagram_with_links(project: Project) -> None:
    compiled, files = project
    block = readme_diagram(compiled, "deploy_simple_v1")
    assert block.startswith("<!-- BEGIN deploy-dsl readme_diagram deploy_simple_v1")
    assert block.rstrip().endswith("<!-- END deploy-dsl readme_diagram deploy_simple_v1 -->")
    assert mermaid_blocks(block) == mermaid_blocks(files["docs/deploy_simple_v1.md"])
    for workflow in compiled.workflows:
        assert f"(build/docs/{workflow.name}.md)" in block
    with pytest.raises(UnknownWorkflow, match="deploy_simple_v2"):
        readme_diagram(compiled, "deploy_simple_v2")


def test_every_fixture_renders_a_page(fixture_files: list[Path]) -> None:
    for path in fixture_files:
        (workflow,) = load_json_files([path]).workflows
        page = render_docs(Compiled([workflow], [], []))[f"docs/{workflow.name}.md"]
        rows = [line for line in page.split("## Tasks")[1].splitlines() if line.startswith("| `")]
        assert len(rows) == len(list(walk(workflow.tasks))), path.name


def test_node_ids_are_safe_and_one_to_one() -> None:
    refs = ["a_b", "a-b", "a.b", "a__b", "a_2d_b", "end", "é", "a b", "u_a", "t_a", "a"]
    ids = [node_id(ref) for ref in refs]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[tu]_[A-Za-z0-9_]*", i) for i in ids)
    assert node_id("create_infrastructure") == "t_create_infrastructure"


def test_mermaid_text_leaves_no_character_mermaid_would_read() -> None:
    text = mermaid_text('say "hi" | <b> & `x` %%{init}%% style:#fff; [a]\n{b}')
    assert not set(text) & set('"|<>&`%:\n')
    assert re.sub(r"#(\d+|quot|amp|lt|gt);", "", text).count("#") == 0


def test_markdown_escapes_keep_code_spans_and_cells_intact() -> None:
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x`") == "`` `x` ``"
    assert md_cell_code("a|b") == "`a\\|b`"
    assert md_cell("<b>x</b> | *y*") == "&lt;b&gt;x&lt;/b&gt; \\| \\*y\\*"
    page = render_docs(Compiled([WorkflowDef.model_validate(EDGE_CASES)], [], []))
    outputs = page["docs/edge|cases.md"].split("## Outputs")[1].split("##")[0]
    assert "| `a\\|b` | `${workflow.input.x}` |" in outputs
    assert '| `nested` | ``{"list": [1, "`tick`"]}`` |' in outputs

"""Hostile strings through every generator (issue 26, items 3, 4 and 5): the docs pages and
index (Markdown, Mermaid flowcharts), the README block, and `status --gantt` (Mermaid gantt).

Imported JSON brings any string in: a description held `<img onerror>` and `<script>` that
reached build/docs as they were, and could open a Mermaid block of its own; gantt labels such
as `click stream` broke the chart. Here every string lands in a page, the pages are rendered
in headless Chromium as a Markdown viewer shows them (tools/docs/pages.js), and nothing may
run, no element that could run may exist, and every diagram must draw.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from mermaid_check import (
    MERMAID_JS,
    NODE_MODULES,
    REPO,
    chromium_results,
    fail_missing,
    parse_with_node,
)

from deploy_dsl.client.gantt import gantt
from deploy_dsl.client.tree import load_tree
from deploy_dsl.compiler import Compiled
from deploy_dsl.docs.pages import readme_diagram, render_docs
from deploy_dsl.wire import WorkflowDef
from deploy_dsl.workspace.readme import updated_readme
from tests.executions import Recorded, execution, sub_workflow, task

MARKED_JS = NODE_MODULES / "marked" / "lib" / "marked.umd.js"
PAGES_JS = REPO / "tools" / "docs" / "pages.js"

HOSTILE = [
    "<img src=x onerror=__ran.push('img')><script>__ran.push('script')</script>",
    "<svg onload=__ran.push('svg')>",
    "\"><iframe src=javascript:__ran.push('iframe')>",
    "```mermaid\nflowchart TD\n  evil-->x\n```",
    "[click me](javascript:__ran.push('link'))",
    "click stream",
    "click evil call __ran.push('click')",
    "topAxis",
    "weekday monday",
    "dateFormat x",
    "section injected",
    "2024-01-01",
    "%%{init: {'securityLevel': 'loose'}}%%",
    "<!-- END deploy-dsl readme_diagram hostile -->",
    "-->",
    "# heading\n## another",
    "line one\nline two\r\nthree",
    "| a | b |",
    "`tick` ``double``",
    "&lt;b&gt; &amp;",
    "a:b;c#d%e",
    "*em* _em_ ~~strike~~",
    "bidi\u202egnp.exe\u202c",
    "zero\u200bwidth\ufeff",
    "ctrl\x01\x1b[31m",
]
# Every hostile string, as Mermaid and Markdown must show it: on one line, invisible
# characters made visible.
SHOWN = [" ".join(text.split()) for text in HOSTILE]


def _task(ref: str, name: str, kind: str = "SIMPLE", **fields: Any) -> dict[str, Any]:
    return {"name": name, "taskReferenceName": ref, "type": kind, **fields}


def _workflow(name: str) -> WorkflowDef:
    cases = {text: [_task(f"case_{i}", text)] for i, text in enumerate(HOSTILE)}
    tasks = [
        _task(
            f"http_{i}",
            text,
            "HTTP",
            description=text,
            inputParameters={"http_request": {"uri": f"http://w/{text}", "method": "POST"}},
        )
        for i, text in enumerate(HOSTILE)
    ]
    tasks.append(
        _task(
            "switch",
            "switch",
            "SWITCH",
            evaluatorType="value-param",
            expression="v",
            inputParameters={"v": "${workflow.input.x}"},
            decisionCases=cases,
            defaultCase=[
                _task("sub", "sub", "SUB_WORKFLOW", subWorkflowParam={"name": HOSTILE[0]})
            ],
        )
    )
    tasks.append(_task("loop", "loop", "DO_WHILE", loopCondition=HOSTILE[0], loopOver=[]))
    return WorkflowDef.model_validate(
        {
            "name": name,
            "description": "\n".join(HOSTILE),
            "version": 1,
            "inputParameters": HOSTILE,
            "outputParameters": {text: text for text in HOSTILE},
            "failureWorkflow": HOSTILE[4],
            "timeoutPolicy": HOSTILE[0],
            "timeoutSeconds": 5,
            "tasks": tasks,
        }
    )


@pytest.fixture(scope="module")
def compiled() -> Compiled:
    # Names become file names; these hold no path separator (the validator refuses those).
    names = ["hostile", "<img src=x onerror=__ran.push('name')>", "click stream", "`x` | y"]
    return Compiled([_workflow(name) for name in names], [], [])


@pytest.fixture(scope="module")
def pages(compiled: Compiled) -> dict[str, str]:
    return render_docs(compiled)


@pytest.fixture(scope="module")
def drawn(
    pages: dict[str, str], compiled: Compiled, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    markdown = {path: text for path, text in pages.items() if not path.endswith("reference.md")}
    markdown["README block"] = readme_diagram(compiled, "hostile")
    return _draw(markdown, tmp_path_factory.mktemp("hostile-docs"))


def test_no_hostile_string_runs_or_leaves_an_element_that_could(drawn: dict[str, Any]) -> None:
    assert drawn["ran"] == []
    assert len(drawn["pages"]) == 6  # 4 workflow pages, the index, the README block
    for name, page in drawn["pages"].items():
        assert page["risky"] == [], name
        assert page["mermaidErrors"] == [], name


def test_every_diagram_draws_and_the_headings_are_the_pages_own(drawn: dict[str, Any]) -> None:
    for name, page in drawn["pages"].items():
        if name.startswith("docs/") and name != "docs/README.md":
            # The flowchart only: a description cannot open a block of its own.
            assert page["diagrams"] == 1, name
            assert page["headings"] == [
                page["headings"][0],
                "Inputs",
                "Outputs",
                "Flow",
                "Tasks",
            ], (name, page["headings"])
    readme = drawn["pages"]["README block"]
    assert readme["diagrams"] == 1 and readme["headings"] == []


def test_the_hostile_strings_are_shown_as_they_are(drawn: dict[str, Any]) -> None:
    page = drawn["pages"]["docs/hostile.md"]
    for shown in SHOWN[:3] + SHOWN[5:13]:
        assert shown in page["text"], shown
    assert page["headings"][0] == "hostile"
    named = "docs/<img src=x onerror=__ran.push('name')>.md"
    assert drawn["pages"][named]["headings"][0] == "<img src=x onerror=__ran.push('name')>"


def test_invisible_characters_are_shown(pages: dict[str, str]) -> None:
    page = pages["docs/hostile.md"]
    assert "\u202e" not in page and "\\u202e" in page
    assert "\u200b" not in page and "\\u200b" in page
    assert "\x1b" not in page and "\\x1b" in page


def test_the_readme_block_holds_one_pair_of_fences_and_is_stable(
    compiled: Compiled, tmp_path: Path
) -> None:
    block = readme_diagram(compiled, "hostile")
    assert block.count("<!-- BEGIN deploy-dsl readme_diagram") == 1
    assert block.count("<!-- END deploy-dsl readme_diagram") == 1
    readme = tmp_path / "README.md"
    text = f"# project\n\n{block}after\n"
    once = updated_readme(text, compiled, readme, tmp_path / "build")
    assert updated_readme(once, compiled, readme, tmp_path / "build") == once == text


def _hostile_execution() -> Any:
    labels = [{"label": text} for text in HOSTILE]
    return load_tree(
        Recorded(
            execution(
                "root",
                HOSTILE[5],
                [
                    sub_workflow(f"w__{i}", f"w{i}", label, start=1_000 + i, end=2_000)
                    for i, label in enumerate(labels)
                ],
                "FAILED",
            ),
            *[
                execution(f"w{i}", HOSTILE[i], [task(text, start=1_100, end=1_500)])
                for i, text in enumerate(HOSTILE)
            ],
        ),
        "root",
    )


def test_gantt_labels_are_text_to_mermaid(tmp_path: Path) -> None:
    """`click stream`, `topAxis`, `weekday monday` as labels were Mermaid statements."""
    chart = gantt(_hostile_execution(), now_ms=3_000)
    lines = chart.splitlines()
    assert [line for line in lines if not line.startswith("  ")] == ["gantt"]
    assert lines[1:5] == [
        f"  title {lines[1][8:]}",
        "  dateFormat x",
        "  axisFormat %H:%M:%S",
        "  todayMarker off",
    ]
    bars = [line for line in lines if re.search(r" :(done|crit|active), t\d+, ", line)]
    assert len(bars) == 2 * len(HOSTILE)
    assert parse_with_node({"chart": chart})["chart"] == {"ok": True, "type": "gantt"}
    page = "# chart\n\n```mermaid\n" + chart + "```\n"
    drawn = _draw({"gantt": page}, tmp_path)
    assert drawn["ran"] == []
    result = drawn["pages"]["gantt"]
    assert result["mermaidErrors"] == [] and result["risky"] == []
    for shown in ("click stream", "topAxis", "weekday monday", "dateFormat x", "a:b;c#d%e"):
        assert shown in result["text"], shown


def _draw(markdown: dict[str, str], workdir: Path) -> dict[str, Any]:
    """The pages rendered by tools/docs/pages.js: what ran, and per page what it holds."""
    if not MARKED_JS.is_file():
        fail_missing(str(MARKED_JS.relative_to(REPO)), "run `npm ci` in the repository")
    data = json.dumps(markdown).replace("</", "<\\/")
    page = (
        '<!doctype html><html><head><meta charset="utf-8">'
        f'<script src="{MARKED_JS.as_uri()}"></script>'
        f'<script src="{MERMAID_JS.as_uri()}"></script></head><body>'
        f'<script type="application/json" id="pages">{data}</script>'
        '<div id="out"></div><pre id="results"></pre>'
        f'<script src="{PAGES_JS.as_uri()}"></script></body></html>'
    )
    return chromium_results(page, workdir)

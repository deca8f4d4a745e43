"""Running the two real Mermaid implementations over diagrams: mermaid's parser under Node
(tools/mermaid/parse.mjs) and its renderer in headless Chromium (tools/mermaid/render.js).

Missing tools fail with what to install: CI installs them, so a skip would hide a gap.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

from deploy_dsl.compiler import Compiled
from deploy_dsl.docs.pages import render_docs
from deploy_dsl.wire import WorkflowDef
from tests.conftest import CONDUCTOR_FIXTURES

REPO = Path(__file__).resolve().parents[2]
FIXTURES = CONDUCTOR_FIXTURES
NODE_MODULES = REPO / "node_modules"
MERMAID_JS = NODE_MODULES / "mermaid" / "dist" / "mermaid.min.js"
TOOLS = REPO / "tools" / "mermaid"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Virtual time runs the page's async rendering to completion before the DOM is dumped.
    "--virtual-time-budget=60000",
    "--dump-dom",
]
MERMAID_FENCE = re.compile(r"^```mermaid\n(.*?)^```$", re.MULTILINE | re.DOTALL)
# A diagram that must not parse: proves the checks can fail.
BROKEN = "broken"
BROKEN_DIAGRAM = 'flowchart TD\n  t_a["unclosed] --> t_b\n'

# Every task type and every character that means something to Mermaid or Markdown.
EDGE_CASES: dict[str, Any] = {
    "name": "edge|cases",
    "description": "Refs and labels that Mermaid would misread if they were not escaped.",
    "inputParameters": ["x|y"],
    "outputParameters": {"a|b": "${workflow.input.x}", "nested": {"list": [1, "`tick`"]}},
    "tasks": [
        {
            "name": "call",
            "taskReferenceName": "a-b",
            "type": "HTTP",
            "inputParameters": {
                "http_request": {
                    "uri": 'http://w/q?x="1"&y=<b>&z=&lt;',
                    "method": "POST",
                }
            },
        },
        {"name": "#x|[1]{2}`t` %%{init}%% style:#fff;", "taskReferenceName": "a.b"},
        {"name": "s", "taskReferenceName": "a_b", "type": "SIMPLE"},
        {
            "name": "switch",
            "taskReferenceName": "end",
            "type": "SWITCH",
            "evaluatorType": "javascript",
            "expression": '$.x == "a|b" ? "<yes>" : "#no"',
            "decisionCases": {
                'say "hi" | #1': [{"name": "o", "taskReferenceName": "o", "type": "WAIT"}],
                "": [{"name": "x", "taskReferenceName": "x", "type": "SIMPLE"}],
            },
            "defaultCase": [
                {
                    "name": "stop",
                    "taskReferenceName": "style",
                    "type": "TERMINATE",
                    "inputParameters": {"terminationStatus": "FAILED"},
                }
            ],
        },
        {
            "name": "loop",
            "taskReferenceName": "subgraph",
            "type": "DO_WHILE",
            "loopCondition": "$.subgraph['iteration'] < 3 && $.ok",
            "loopOver": [],
        },
        {
            "name": "go",
            "taskReferenceName": "click",
            "type": "START_WORKFLOW",
            "inputParameters": {"startWorkflow": {"name": "other [wf]", "version": 2}},
        },
        {"name": "ü", "taskReferenceName": "é ü", "type": "CUSTOM_TYPE"},
    ],
}


@dataclass(frozen=True)
class Diagram:
    workflow: WorkflowDef
    text: str


def fail_missing(what: str, install: str) -> NoReturn:
    pytest.fail(f"{what} is missing: {install} (CI installs it; these tests do not skip)")


def mermaid_blocks(markdown: str) -> list[str]:
    return MERMAID_FENCE.findall(markdown)


def page_diagram(workflow: WorkflowDef, compiled: Compiled) -> Diagram:
    (text,) = mermaid_blocks(render_docs(compiled)[f"docs/{workflow.name}.md"])
    return Diagram(workflow, text)


def texts(diagrams: dict[str, Diagram]) -> dict[str, str]:
    """The diagrams' texts, plus the broken one."""
    return {name: d.text for name, d in diagrams.items()} | {BROKEN: BROKEN_DIAGRAM}


def render_page(diagrams: dict[str, str]) -> str:
    """A page that loads mermaid and tools/mermaid/render.js from disk (there is no network)."""
    # "</" would end the script element the JSON sits in.
    data = json.dumps(diagrams).replace("</", "<\\/")
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f'<script src="{MERMAID_JS.as_uri()}"></script></head><body>'
        f'<script type="application/json" id="diagrams">{data}</script>'
        '<pre id="results"></pre>'
        f'<script src="{(TOOLS / "render.js").as_uri()}"></script>'
        "</body></html>"
    )


def parse_with_node(diagrams: dict[str, str]) -> dict[str, dict[str, Any]]:
    """mermaid.parse's verdict on each diagram, from tools/mermaid/parse.mjs under Node."""
    node = shutil.which("node")
    if node is None:
        fail_missing("node", "install Node.js 20.19 or newer")
    if not (NODE_MODULES / "mermaid").is_dir() or not (NODE_MODULES / "jsdom").is_dir():
        fail_missing("node_modules/mermaid or node_modules/jsdom", "run `npm ci` in the repository")
    result = subprocess.run(
        [str(node), str(TOOLS / "parse.mjs")],
        input=json.dumps(diagrams),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"parse.mjs failed:\n{result.stderr[-2000:]}"
    answer: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return answer


def render_in_chromium(diagrams: dict[str, str], workdir: Path) -> dict[str, dict[str, Any]]:
    """What mermaid rendered in headless Chromium, all diagrams in one page load."""
    answer = chromium_results(render_page(diagrams), workdir)
    assert set(answer) == set(diagrams), "chromium did not render every diagram"
    return answer


def chromium_results(page_html: str, workdir: Path) -> dict[str, Any]:
    """Loads `page_html` (which writes JSON into <pre id="results">) in headless Chromium and
    returns that JSON."""
    chromium = shutil.which("chromium")
    if chromium is None:
        fail_missing("chromium", "install Debian's chromium package (apt-get install -y chromium)")
    if not MERMAID_JS.is_file():
        fail_missing(str(MERMAID_JS.relative_to(REPO)), "run `npm ci` in the repository")
    page = workdir / "render.html"
    page.write_text(page_html, encoding="utf-8")
    result = subprocess.run(
        [str(chromium), *CHROMIUM_FLAGS, f"--user-data-dir={workdir / 'profile'}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    match = re.search(r'<pre id="results">(.+?)</pre>', result.stdout, re.DOTALL)
    assert match, f"chromium rendered nothing (exit {result.returncode}):\n{result.stderr[-2000:]}"
    answer: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return answer

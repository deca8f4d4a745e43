"""Every generated diagram against the real Mermaid: its parser under Node, its renderer in
Chromium (one node per task, loops boxed, case values on the edges, labels shown as written)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mermaid_check import BROKEN, Diagram

from deploy_dsl.docs.flowchart import END_ID, START_ID, Cluster, Node, flowchart, node_id
from deploy_dsl.wire import WorkflowTask


def tasks_of(tasks: list[WorkflowTask]) -> Iterator[WorkflowTask]:
    for task in tasks:
        yield task
        for child in task.children():
            yield from tasks_of(child)


def nodes_of(items: list[Node | Cluster]) -> Iterator[Node]:
    for item in items:
        if isinstance(item, Cluster):
            yield from nodes_of(item.items)
        else:
            yield item


def rendered_ok(rendered: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    result = rendered[name]
    assert result["ok"], f"{name}: {result['error']}"
    return result


def test_mermaid_parses_every_diagram(
    parsed: dict[str, dict[str, Any]], diagrams: dict[str, Diagram]
) -> None:
    assert set(parsed) == {*diagrams, BROKEN}
    failures = {
        name: r.get("error") for name, r in parsed.items() if name != BROKEN and not r["ok"]
    }
    assert failures == {}
    assert {r["type"] for name, r in parsed.items() if name != BROKEN} == {"flowchart-v2"}


def test_mermaid_parser_rejects_a_broken_diagram(parsed: dict[str, dict[str, Any]]) -> None:
    assert not parsed[BROKEN]["ok"]
    assert "Parse error" in parsed[BROKEN]["error"]


def test_chromium_draws_one_node_per_task(
    rendered: dict[str, dict[str, Any]], diagrams: dict[str, Diagram]
) -> None:
    assert not rendered[BROKEN]["ok"]
    wrong = {}
    for name, diagram in diagrams.items():
        drawn = sorted(node["id"] for node in rendered_ok(rendered, name)["nodes"])
        refs = [t.task_reference_name for t in tasks_of(diagram.workflow.tasks)]
        expected = sorted([*map(node_id, refs), START_ID, END_ID])
        if drawn != expected:
            wrong[name] = (drawn, expected)
    assert wrong == {}


def test_chromium_shows_labels_as_written(
    rendered: dict[str, dict[str, Any]], diagrams: dict[str, Diagram]
) -> None:
    """Escaping round-trips: quotes, pipes, `#`, `<`, `%%{` render as themselves."""
    wrong = {}
    for name, diagram in diagrams.items():
        drawn = {node["id"]: node["text"] for node in rendered_ok(rendered, name)["nodes"]}
        for node in nodes_of(flowchart(diagram.workflow).items):
            if drawn[node.id].strip() != "".join(node.lines):
                wrong[f"{name}/{node.id}"] = (drawn[node.id], node.lines)
    assert wrong == {}


def test_chromium_boxes_each_loop(
    rendered: dict[str, dict[str, Any]], diagrams: dict[str, Diagram]
) -> None:
    for name, diagram in diagrams.items():
        loops = [t for t in tasks_of(diagram.workflow.tasks) if t.type == "DO_WHILE"]
        assert rendered_ok(rendered, name)["clusters"] == len(loops), name


def test_chromium_labels_edges_with_cases_and_loop_conditions(
    rendered: dict[str, dict[str, Any]], diagrams: dict[str, Diagram]
) -> None:
    missing = []
    for name, diagram in diagrams.items():
        labels = " ".join(rendered_ok(rendered, name)["edgeLabels"])
        for task in tasks_of(diagram.workflow.tasks):
            wanted = [*(task.decision_cases or {}), "default"] if task.decision_cases else []
            if task.loop_condition:
                wanted.append("while " + " ".join(task.loop_condition.split())[:30])
            missing += [(name, task.task_reference_name, w) for w in wanted if w not in labels]
    assert missing == []

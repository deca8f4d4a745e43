"""A workflow as a Mermaid flowchart: one node per task, edges in the order tasks run.

The graph is built here; the Mermaid syntax lives in `templates/flowchart.mmd.j2`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deploy_dsl.docs.environment import environment
from deploy_dsl.docs.facts import Branch, branches, summary
from deploy_dsl.kind import Shape
from deploy_dsl.kinds import KINDS
from deploy_dsl.wire import WorkflowDef, WorkflowTask

__all__ = [
    "END_ID",
    "MAX_LABEL",
    "START_ID",
    "Cluster",
    "Edge",
    "Flowchart",
    "Node",
    "cluster_id",
    "flowchart",
    "mermaid",
    "node_id",
]

# Task node ids start with "t_" or "u_" and loop clusters with "loop_": these cannot collide.
START_ID = "wf_start"
END_ID = "wf_end"
# Longer label lines (scripts, loop conditions) are cut: the JSON has them in full.
MAX_LABEL = 60


@dataclass(frozen=True)
class Node:
    id: str
    shape: Shape
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    lines: tuple[str, ...] = ()
    dotted: bool = False


@dataclass
class Cluster:
    """A DO_WHILE: its node and its body, boxed so the back edge reads as a loop."""

    id: str
    title: str
    items: list[Node | Cluster] = field(default_factory=list)


@dataclass
class Flowchart:
    items: list[Node | Cluster]
    edges: list[Edge]


# An edge waiting for the next task to be drawn: its source and label.
_Pending = tuple[str, tuple[str, ...]]


def node_id(reference: str) -> str:
    """A Mermaid-safe id, one-to-one with task references.

    A reference made of ASCII letters, digits and `_` keeps its spelling after `t_`. Any other
    gets `u_` and an escaped spelling: `_` doubles, other characters become `_<hex code>_`, so
    `a-b`, `a.b` and `a_b` stay three nodes.
    """
    if all(_plain(char) for char in reference):
        return f"t_{reference}"
    return "u_" + "".join(_escape_char(char) for char in reference)


def cluster_id(reference: str) -> str:
    return f"loop_{node_id(reference)}"


def _plain(char: str) -> bool:
    return char == "_" or (char.isascii() and char.isalnum())


def _escape_char(char: str) -> str:
    if char.isascii() and char.isalnum():
        return char
    return "__" if char == "_" else f"_{ord(char):x}_"


def flowchart(workflow: WorkflowDef) -> Flowchart:
    """The graph of a workflow, from a start node to an end node."""
    drawing = _Drawing()
    items: list[Node | Cluster] = [Node(START_ID, "circle", ("start",))]
    ends = drawing.sequence(workflow.tasks, [(START_ID, ())], items)
    items.append(Node(END_ID, "circle", ("end",)))
    drawing.link(ends, END_ID)
    return Flowchart(items, drawing.edges)


def mermaid(chart: Flowchart) -> str:
    """The Mermaid source of a flowchart (no fence), ending in a newline."""
    return environment().get_template("flowchart.mmd.j2").render(chart=chart)


class _Drawing:
    """Adds nodes to the item list it is given and collects every edge."""

    def __init__(self) -> None:
        self.edges: list[Edge] = []

    def sequence(
        self, tasks: list[WorkflowTask], pending: list[_Pending], items: list[Node | Cluster]
    ) -> list[_Pending]:
        for task in tasks:
            pending = self.task(task, pending, items)
        return pending

    def link(self, pending: list[_Pending], target: str, extra: tuple[str, ...] = ()) -> None:
        self.edges.extend(Edge(source, target, lines + extra) for source, lines in pending)

    def task(
        self, task: WorkflowTask, pending: list[_Pending], items: list[Node | Cluster]
    ) -> list[_Pending]:
        kind = KINDS.get(task.type)
        shape: Shape = kind.shape if kind is not None else "box"
        node = Node(node_id(task.task_reference_name), shape, _lines(task))
        if shape == "hexagon":  # a loop: its body in a box of its own
            return self.loop(task, node, pending, items)
        items.append(node)
        self.link(pending, node.id)
        if kind is not None and kind.ends_workflow:
            self.edges.append(Edge(node.id, END_ID, dotted=True))
            return []
        nested = branches(task)
        if not nested:
            return [(node.id, ())]
        ends: list[_Pending] = []
        for branch in nested:
            ends += self.sequence(branch.tasks, [(node.id, _branch_label(branch))], items)
        return ends

    def loop(
        self,
        task: WorkflowTask,
        node: Node,
        pending: list[_Pending],
        items: list[Node | Cluster],
    ) -> list[_Pending]:
        """The loop node heads a cluster; the body's ends go back to it, and it leaves when done."""
        cluster = Cluster(cluster_id(task.task_reference_name), task.task_reference_name, [node])
        items.append(cluster)
        self.link(pending, node.id)
        ends = self.sequence(task.loop_over or [], [(node.id, ())], cluster.items)
        condition = _cut(f"while {task.loop_condition}") if task.loop_condition else "repeat"
        self.link(ends, node.id, (condition,))
        return [(node.id, ("done",))]


def _branch_label(branch: Branch) -> tuple[str, ...]:
    """Cases are labelled with their value (an empty one as `""`: Mermaid rejects empty labels);
    fork branches need no label."""
    return () if branch.kind == "fork" else (_cut(branch.label) or '""',)


def _lines(task: WorkflowTask) -> tuple[str, ...]:
    return (_cut(task.task_reference_name), _cut(summary(task)))


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"

"""A workflow's flowchart with the path an execution took (pure).

The chart is nested, as the definition is: a sequence of steps, a SWITCH's cases side by side
(the case taken marked, the others dimmed), a fork's branches, a loop's body; a SUB_WORKFLOW
step holds the sub-workflow's own chart when its execution is given. Each step carries the
tasks the server ran for it (every retry and loop iteration). Drawn as HTML by the templates,
so no diagram library runs in the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from deploy_dsl.client.tree import ExecutionNode
from deploy_dsl.docs.facts import Branch, branches, summary
from deploy_dsl.wire import WorkflowDef, WorkflowTask

__all__ = [
    "Chart",
    "FlowBranch",
    "FlowStep",
    "Run",
    "chart",
    "charts",
    "definition_chart",
    "definition_ref",
    "server_definition",
    "static_refs",
]

Task = Mapping[str, Any]
_ITERATION = re.compile(r"__\d+$")
_FAILED = frozenset(
    {"FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT", "CANCELED", "COMPLETED_WITH_ERRORS"}
)


@dataclass(frozen=True)
class Run:
    """One task the server ran for a step: an attempt (retries) of one loop iteration."""

    task: Task
    attempt: int  # 1 for the first try

    @property
    def status(self) -> str:
        return str(self.task.get("status", "?"))


@dataclass
class FlowBranch:
    kind: str  # case, default, fork, loop
    label: str
    steps: list[FlowStep]
    taken: bool | None  # None: a definition's chart, with no execution to take a path


@dataclass
class FlowStep:
    ref: str
    type: str
    summary: str
    runs: list[Run] = field(default_factory=list)
    branches: list[FlowBranch] = field(default_factory=list)
    children: list[tuple[Task, Chart]] = field(default_factory=list)  # sub-workflows followed
    forked: list[Task] = field(default_factory=list)  # what a dynamic fork started

    @property
    def status(self) -> str:
        """The last run's status; `NOT_RUN` when the server ran none."""
        return self.runs[-1].status if self.runs else "NOT_RUN"

    @property
    def failed(self) -> bool:
        return self.status in _FAILED


@dataclass
class Chart:
    name: str
    version: Any
    workflow_id: str
    status: str
    steps: list[FlowStep]
    tasks: list[Task] = field(default_factory=list)  # every task it ran, in order
    # Tasks the definition does not name, outside any dynamic fork (e.g. the definition
    # could not be read): listed, not drawn.
    unplaced: list[Task] = field(default_factory=list)


def definition_chart(workflow: WorkflowDef) -> Chart:
    """The chart of a definition, with no execution."""
    steps = _steps(workflow.tasks, {}, {}, {})
    for step in _all_steps(steps):
        for branch in step.branches:
            branch.taken = None
    return Chart(workflow.name, workflow.version, "", "", steps)


def chart(node: ExecutionNode) -> Chart:
    """The chart of an execution: its definition (as the server holds it in the execution)
    with its tasks placed, and the followed sub-workflows' charts inside their steps."""
    execution = node.execution
    tasks: Sequence[Task] = sorted(execution.get("tasks") or [], key=lambda t: t.get("seq") or 0)
    definition = _definition(execution)
    types = _types(definition) if definition else {}
    by_ref: dict[str, list[Task]] = {}
    unplaced: list[Task] = []
    forked: dict[str, list[Task]] = {}
    last_fork: str | None = None
    for task in tasks:
        ref = definition_ref(task)
        if ref in types:
            by_ref.setdefault(ref, []).append(task)
            if types[ref] == "FORK_JOIN_DYNAMIC":
                last_fork = ref
        elif last_fork is not None:
            forked.setdefault(last_fork, []).append(task)
        else:
            unplaced.append(task)
    children = {str(task.get("taskId")): child for task, child in node.children}
    steps = _steps(definition.tasks if definition else [], by_ref, forked, children)
    return Chart(
        str(execution.get("workflowName", "?")),
        execution.get("workflowVersion"),
        node.workflow_id,
        str(execution.get("status", "?")),
        steps,
        list(tasks),
        unplaced,
    )


def charts(top: Chart) -> list[Chart]:
    """The chart and every sub-workflow chart drawn inside it, depth first."""
    found = [top]
    for step in _all_steps(top.steps):
        for _, child in step.children:
            found.extend(charts(child))
    return found


def _all_steps(steps: Sequence[FlowStep]) -> list[FlowStep]:
    found = []
    for step in steps:
        found.append(step)
        for branch in step.branches:
            found.extend(_all_steps(branch.steps))
    return found


def static_refs(definition: WorkflowDef) -> set[str]:
    """Every reference the definition names, nested ones included."""
    return set(_types(definition))


def _types(definition: WorkflowDef) -> dict[str, str]:
    """Every reference the definition names, with its task type."""
    found: dict[str, str] = {}
    stack = list(definition.tasks)
    while stack:
        task = stack.pop()
        found[task.task_reference_name] = task.type
        for branch in branches(task):
            stack.extend(branch.tasks)
    return found


def server_definition(body: Any) -> WorkflowDef | None:
    """A definition as the server holds it, read as written: the server fills every task with
    empty `forkTasks`, `loopOver`, `decisionCases` and `defaultCase`, which would read as a fork
    of no branches (docs.facts.branches reads compiled JSON, which leaves them out)."""
    if not isinstance(body, Mapping):
        return None
    try:
        return WorkflowDef.model_validate(_without_empty_nesting(body))
    except ValidationError:
        return None


_NESTING = ("forkTasks", "loopOver", "decisionCases", "defaultCase")


def _without_empty_nesting(body: Mapping[str, Any]) -> dict[str, Any]:
    found = {k: v for k, v in body.items() if not (k in _NESTING and not v)}
    if isinstance(found.get("tasks"), list):
        found["tasks"] = _tasks(found["tasks"])
    for key in ("loopOver", "defaultCase"):
        if isinstance(found.get(key), list):
            found[key] = _tasks(found[key])
    if isinstance(found.get("forkTasks"), list):
        found["forkTasks"] = [_tasks(b) if isinstance(b, list) else b for b in found["forkTasks"]]
    if isinstance(found.get("decisionCases"), Mapping):
        cases = found["decisionCases"].items()
        found["decisionCases"] = {k: _tasks(v) if isinstance(v, list) else v for k, v in cases}
    return found


def _tasks(tasks: list[Any]) -> list[Any]:
    return [_without_empty_nesting(t) if isinstance(t, Mapping) else t for t in tasks]


def _definition(execution: Mapping[str, Any]) -> WorkflowDef | None:
    return server_definition(execution.get("workflowDefinition"))


def definition_ref(task: Task) -> str:
    """The reference as the definition writes it: the server adds `__N` in loops."""
    given = task.get("workflowTask")
    if isinstance(given, Mapping) and isinstance(given.get("taskReferenceName"), str):
        return str(given["taskReferenceName"])
    return _ITERATION.sub("", str(task.get("referenceTaskName", "")))


def _steps(
    tasks: Sequence[WorkflowTask],
    by_ref: Mapping[str, list[Task]],
    forked: Mapping[str, list[Task]],
    children: Mapping[str, ExecutionNode],
) -> list[FlowStep]:
    steps = []
    for task in tasks:
        ran = by_ref.get(task.task_reference_name, [])
        step = FlowStep(task.task_reference_name, task.type, summary(task), _runs(ran))
        step.branches = [
            FlowBranch(
                branch.kind,
                branch.label,
                _steps(branch.tasks, by_ref, forked, children),
                _taken(task, branch, ran, by_ref),
            )
            for branch in branches(task)
        ]
        step.forked = list(forked.get(task.task_reference_name, []))
        step.children = [
            (run, chart(children[str(run.get("taskId"))]))
            for run in ran
            if str(run.get("taskId")) in children
        ]
        steps.append(step)
    return steps


def _runs(tasks: Sequence[Task]) -> list[Run]:
    """Attempts numbered within each loop iteration (a retry has the same iteration)."""
    counts: dict[Any, int] = {}
    found = []
    for task in tasks:
        key = task.get("iteration") or 0
        counts[key] = counts.get(key, 0) + 1
        found.append(Run(task, counts[key]))
    return found


def _taken(
    task: WorkflowTask, branch: Branch, ran: Sequence[Task], by_ref: Mapping[str, list[Task]]
) -> bool:
    if not ran:
        return False
    if task.decision_cases is not None:  # a SWITCH or DECISION: the case its output names
        cases = set(task.decision_cases or {})
        results = {_case(run) for run in ran}
        if branch.kind == "default":
            return any(result not in cases for result in results)
        return branch.label in results
    if branch.kind == "fork":
        return any(t.task_reference_name in by_ref for t in branch.tasks) or not branch.tasks
    return True


def _case(run: Task) -> str | None:
    """The case a SWITCH chose: `selectedCase`, else the first `evaluationResult`."""
    output = run.get("outputData") or {}
    chosen = output.get("selectedCase")
    if chosen is None:
        results = output.get("evaluationResult")
        chosen = results[0] if isinstance(results, list) and results else None
    return None if chosen is None else str(chosen)

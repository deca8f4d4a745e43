"""Graph checks over compiled workflows: what a Conductor server accepts but then runs wrong, and
what it refuses, before it sees anything.

Every rule encodes what Conductor 3.32 does (the modules it calls say where in the server): a
finding is an error when the server refuses the definition or the run resolves to null, fails
or hangs; a warning when the definition runs but probably not as meant. The same rules serve
Python definitions and plain Conductor JSON; a `Subject` says how strict to be.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from deploy_dsl.checking import Branch, Placement, Subject, WorkflowScope, branches
from deploy_dsl.expression_checks import Site, check_expression
from deploy_dsl.expressions import expressions_in
from deploy_dsl.findings import Code, Finding
from deploy_dsl.limits import MAX_NESTING
from deploy_dsl.project_checks import nesting_depth, project_findings
from deploy_dsl.task_checks import check_following, check_task
from deploy_dsl.wire import WorkflowDef, WorkflowTask

__all__ = ["Subject", "errors_in", "validate"]


def validate(subject: Subject) -> list[Finding]:
    """Every finding for the subject, in a stable order (project-wide, then per workflow in
    definition order)."""
    findings = list(project_findings(subject))
    workflow_names = frozenset(w.name for w in subject.workflows) | subject.external_workflows
    for workflow in subject.workflows:
        if nesting_depth(workflow.tasks) > MAX_NESTING:
            continue  # reported above; walking it could exhaust the interpreter's stack
        findings.extend(_check_workflow(subject, workflow, workflow_names))
    return findings


def errors_in(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def _check_workflow(
    subject: Subject, workflow: WorkflowDef, workflow_names: frozenset[str]
) -> list[Finding]:
    scope = WorkflowScope(subject, workflow, workflow_names)
    _index(scope)
    _walk(scope, workflow.tasks, set(), ())
    everything = frozenset(scope.placements)
    for body in expressions_in(workflow.output_parameters or {}):
        check_expression(scope, body, Site(None, everything))
    return scope.findings


def _index(scope: WorkflowScope) -> None:
    """Where every reference lives; a duplicate is reported at each place it was written
    (`TaskReferenceNameUniqueValidator`: the server rejects the workflow)."""
    name = scope.workflow.name
    for placement in scope.walk():
        ref = placement.task.task_reference_name
        if ref in scope.placements:
            continue
        scope.placements[ref] = placement
    counts: dict[str, int] = {}
    for placement in scope.walk():
        ref = placement.task.task_reference_name
        counts[ref] = counts.get(ref, 0) + 1
    for ref, count in counts.items():
        if count < 2 or not ref:
            continue
        message = f"reference name {ref!r} is used {count} times: the server rejects the workflow"
        places = scope.subject.where((name, ref))
        if len(places) >= 2:
            for place in places:
                scope.report(Code.DUPLICATE_REF, ref, message, at=place)
        else:
            scope.report(Code.DUPLICATE_REF, ref, message)


def _walk(
    scope: WorkflowScope,
    tasks: Sequence[WorkflowTask],
    seen: set[str],
    path: tuple[Branch, ...],
) -> list[str]:
    """Checks `tasks` in the order they run, with `seen` the references that have run before
    them; returns the references they (and their nested tasks) add to it.

    One set serves the whole walk, in linear time: a branch's references are taken out again
    when the branch is done (a sibling case or branch must not see them), and put back, all
    branches' together, once the task that holds them is done. A copy per task made the walk
    quadratic in the number of tasks.
    """
    added: list[str] = []
    for position, task in enumerate(tasks):
        ref = task.task_reference_name
        check_task(scope, Placement(task, path))
        loop = ref if task.type == "DO_WHILE" else None
        site = Site(ref, seen, path, loop_inputs_of=loop)
        for body in expressions_in(task.input_parameters or {}):
            check_expression(scope, body, site)
        _add(seen, added, (ref,))
        inner: list[str] = []
        for branch, child in branches(task):
            nested = _walk(scope, child, seen, (*path, branch))
            seen.difference_update(nested)
            inner += nested
        _add(seen, added, inner)
        following = tasks[position + 1] if position + 1 < len(tasks) else None
        check_following(scope, task, following)
    return added


def _add(seen: set[str], added: list[str], refs: Iterable[str]) -> None:
    """Adds the references not seen yet, and records them as this level's."""
    for ref in refs:
        if ref not in seen:
            seen.add(ref)
            added.append(ref)

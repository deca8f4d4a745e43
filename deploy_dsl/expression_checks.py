"""Checks of `${...}` expressions against how Conductor resolves them.

`ParametersUtils.getTaskInputV2` resolves an expression as JSONPath over a map it builds by
hand: `workflow` (a fixed set of fields) and one entry per task already scheduled (another
fixed set). A path that leaves that map resolves to null, never to an error, so a typo runs.
Only for top-level tasks does registration look at expressions
(`ConstraintParamUtil.validateInputParam`): it rejects an unknown root there.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Final

from deploy_dsl.checking import Branch, WorkflowScope
from deploy_dsl.expressions import WORKFLOW_FIELDS, split_expression
from deploy_dsl.findings import Code

__all__ = ["TASK_FIELDS", "Site", "check_expression"]

# The fields of a scheduled task in getTaskInputV2's map; anything else resolves to null.
TASK_FIELDS: Final = frozenset(
    {
        "input", "output", "taskType", "status", "referenceTaskName", "retryCount",
        "correlationId", "pollCount", "taskDefName", "scheduledTime", "startTime", "endTime",
        "workflowInstanceId", "taskId", "reasonForIncompletion", "callbackAfterSeconds",
        "workerId", "iteration",
    }
)  # fmt: skip
# EnvUtils.isEnvironmentVariable: CPEWF_TASK_ID is the task's id; the other two are read from
# the server's environment and, when it has none, stay in the text as written.
TASK_ID_PARAMETER: Final = "CPEWF_TASK_ID"
HOST_PARAMETERS: Final = frozenset({"NETFLIX_ENV", "NETFLIX_STACK"})
_ENV_NAME: Final = re.compile(r"[A-Z][A-Z0-9_]*\Z")
# A root followed by a bracket (`a['output']`): ConstraintParamUtil splits the path at '.'.
_BRACKET_ROOT: Final = re.compile(r"\s*[^.\[\]]+\[")


@dataclass(frozen=True)
class Site:
    """Where an expression is written: in a task's inputs (`task`), or the workflow's output."""

    task: str | None
    # References that have run (or been scheduled) before it: the validator's one live set,
    # read while the expression is checked (never kept).
    visible: AbstractSet[str]
    path: tuple[Branch, ...] = ()
    # The DO_WHILE whose own inputs these are: they are resolved again before every
    # condition (`DoWhile.evaluateCondition`), so they may read the loop's body.
    loop_inputs_of: str | None = None

    @property
    def top_level(self) -> bool:
        return self.task is not None and not self.path


def check_expression(scope: WorkflowScope, body: str, site: Site) -> None:
    shown = "${" + body + "}"
    path = body.strip()
    if not path:
        if site.top_level:
            scope.report(
                Code.UNKNOWN_ROOT, site.task, f"{shown} is empty: the server rejects it here"
            )
        else:
            scope.report(
                Code.UNKNOWN_ROOT, site.task, f"{shown} is empty: it resolves to ''", "warning"
            )
        return
    if path == "$" or path.startswith("$.") or path.startswith("$["):
        if site.top_level:
            scope.report(
                Code.UNKNOWN_ROOT,
                site.task,
                f"{shown}: the server rejects a `$` root in a top-level task; write it "
                "without `$.`",
            )
            return
        path = path[1:].lstrip(".")  # JSONPath's own root: the same document
    elif site.top_level and _BRACKET_ROOT.match(path):
        scope.report(
            Code.UNKNOWN_ROOT,
            site.task,
            f"{shown}: in a top-level task the server reads the root up to the first '.' and "
            "rejects it; write the root with a dot (`a.output`)",
        )
        return
    segments = split_expression(path)
    if not segments:
        return
    root = segments[0]
    if root == "workflow":
        _check_workflow_path(scope, segments, shown, site)
    elif root in scope.placements:
        _check_task_path(scope, segments, shown, site)
    elif root == TASK_ID_PARAMETER and len(segments) == 1:
        return
    elif root in HOST_PARAMETERS and len(segments) == 1:
        scope.report(
            Code.UNKNOWN_ROOT,
            site.task,
            f"{shown} comes from the server's environment; where it has no {root}, the text "
            "stays as written",
            "warning",
        )
    elif _ENV_NAME.match(root) and len(segments) == 1:
        where = "the server rejects it" if site.top_level else "it resolves to null"
        scope.report(
            Code.UNKNOWN_ROOT,
            site.task,
            f"{shown} is neither `workflow` nor a task reference: it resolves only if the "
            f"Conductor server's process has an environment variable {root}; otherwise {where}",
            "warning",
        )
    else:
        where = "the server rejects it here" if site.top_level else "it resolves to null"
        scope.report(
            Code.UNKNOWN_ROOT,
            site.task,
            f"{shown} refers to {root!r}, which is neither `workflow` nor a task reference in "
            f"this workflow: {where}",
        )


def _check_workflow_path(scope: WorkflowScope, segments: list[str], shown: str, site: Site) -> None:
    if len(segments) < 2:
        return
    field = segments[1]
    if field not in WORKFLOW_FIELDS:
        known = ", ".join(sorted(WORKFLOW_FIELDS))
        scope.report(
            Code.BAD_WORKFLOW_FIELD,
            site.task,
            f"{shown} resolves to null: the workflow has no field {field!r} there "
            f"(Conductor exposes {known})",
        )
    elif field == "input" and len(segments) > 2 and segments[2] not in scope.inputs:
        name = segments[2]
        if name in scope.undeclared_reported:
            return  # once per input is enough to act on
        scope.undeclared_reported.add(name)
        declared = ", ".join(sorted(scope.inputs)) or "none"
        scope.report(
            Code.UNDECLARED_INPUT,
            site.task,
            f"{shown}: input {name!r} is not declared (declared: {declared}); it is null "
            "unless the caller sends it",
            scope.lenient(),
        )
    elif field == "secrets" and scope.subject.secrets_resolved is False:
        _unresolved_secret(scope, segments, shown, site)
    elif field == "variables" and len(segments) > 2 and segments[2] not in scope.variables:
        # A warning: the workflow runs, reading null, and on Orkes a running workflow's
        # variables can be set from outside it (Conductor OSS 3.32's WorkflowResource has no
        # such endpoint).
        known = ", ".join(sorted(scope.variables)) or "none"
        scope.report(
            Code.UNDECLARED_VARIABLE,
            site.task,
            f"{shown}: variable {segments[2]!r} is neither declared nor set by a SET_VARIABLE "
            f"task of this workflow (known: {known}); it resolves to null unless it is set "
            "from outside the definition",
            "warning",
        )


def _unresolved_secret(scope: WorkflowScope, segments: list[str], shown: str, site: Site) -> None:
    """Secrets are an Orkes feature: Conductor OSS 3.32 passes `${workflow.secrets.x}` on as
    text (measured on the local server: the task's input holds the text, a header built from it
    is sent as written). There, a value comes in as a workflow input, or from the server's
    environment: `${workflow.env.X}` reads CONDUCTOR_ENV_X (EnvVariableEnvironmentDAO)."""
    name = segments[2] if len(segments) > 2 else "NAME"
    scope.report(
        Code.SECRETS_NOT_RESOLVED,
        site.task,
        f"{shown}: this server (Conductor OSS) does not resolve secrets and passes the text on "
        f"as it is; pass the value as a workflow input (`${{workflow.input.{name}}}`), or set "
        f"CONDUCTOR_ENV_{name.upper()} in the server's environment and read "
        f"`${{workflow.env.{name.upper()}}}`",
    )


def _check_task_path(scope: WorkflowScope, segments: list[str], shown: str, site: Site) -> None:
    root = segments[0]
    if len(segments) > 1 and segments[1] not in TASK_FIELDS:
        scope.report(
            Code.BAD_TASK_FIELD,
            site.task,
            f"{shown} resolves to null: a task has no field {segments[1]!r} there "
            "(did you mean 'output' or 'input'?)",
        )
        return
    if root in site.visible:
        return
    there = scope.placements[root]
    if root == site.task and there.loops:
        # Its own output, read in a loop body: the previous iteration's (null in the first),
        # as getTaskInputV2 maps each reference to its latest iteration. An accumulator.
        return
    if site.loop_inputs_of is not None and (
        root == site.loop_inputs_of or site.loop_inputs_of in there.loops
    ):
        # A DO_WHILE's inputs may read its body and its own output (`iteration`): they are
        # resolved again before each condition (DoWhile.evaluateCondition), when both exist.
        return
    sibling = _sibling(site.path, there.path)
    if sibling is not None and sibling.kind == "case":
        scope.report(
            Code.SIBLING_BRANCH_REF,
            site.task,
            f"{shown} refers to {root!r} in another case of SWITCH {sibling.container!r}: only "
            "one case runs, so it resolves to null",
        )
    elif sibling is not None:
        scope.report(
            Code.SIBLING_BRANCH_REF,
            site.task,
            f"{shown} refers to {root!r} on another branch of fork {sibling.container!r}: it "
            "resolves only if that task has finished when this one is scheduled (a race)",
            "warning",
        )
    elif _same_loop(site.path, there.path):
        scope.report(
            Code.FORWARD_REF,
            site.task,
            f"{shown} refers to {root!r}, which runs later in the same loop body: null in the "
            "first iteration, the previous iteration's value after it",
        )
    else:
        scope.report(
            Code.FORWARD_REF,
            site.task,
            f"{shown} refers to {root!r}, which runs later: it resolves to null here",
        )


def _sibling(here: tuple[Branch, ...], there: tuple[Branch, ...]) -> Branch | None:
    """The container in which the two paths part into different cases or branches, if any."""
    for mine, theirs in zip(here, there, strict=False):
        if mine == theirs:
            continue
        return mine if mine.container == theirs.container else None
    return None


def _same_loop(here: tuple[Branch, ...], there: tuple[Branch, ...]) -> bool:
    shared = [mine for mine, theirs in zip(here, there, strict=False) if mine == theirs]
    return any(branch.kind == "loop" for branch in shared)

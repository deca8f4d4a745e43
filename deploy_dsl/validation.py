"""Graph checks over compiled workflows: what a Conductor server accepts but runs wrong.

The same rules serve Python definitions and plain Conductor JSON. A `Subject` says how strict to
be: JSON files may leave inputs undeclared and may call workflows and task definitions that live
elsewhere, so those findings are warnings there and errors for this project's definitions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from deploy_dsl.expressions import WORKFLOW_FIELDS, expressions_in, split_expression
from deploy_dsl.findings import Code, Finding, Severity
from deploy_dsl.location import Where
from deploy_dsl.wire import TaskDef, WorkflowDef, WorkflowTask

__all__ = ["KNOWN_TASK_TYPES", "Subject", "errors_in", "validate"]

KNOWN_TASK_TYPES: Final = frozenset(
    {
        "SIMPLE", "DYNAMIC", "FORK_JOIN", "FORK", "FORK_JOIN_DYNAMIC", "DECISION", "SWITCH",
        "JOIN", "EXCLUSIVE_JOIN", "DO_WHILE", "SUB_WORKFLOW", "START_WORKFLOW", "EVENT", "WAIT",
        "HUMAN", "USER_DEFINED", "HTTP", "LAMBDA", "INLINE", "TERMINATE", "KAFKA_PUBLISH",
        "JSON_JQ_TRANSFORM", "SET_VARIABLE", "NOOP",
    }
)  # fmt: skip
SWITCH_EVALUATORS: Final = frozenset({"value-param", "javascript", "graaljs"})
TERMINATION_STATUSES: Final = frozenset({"COMPLETED", "FAILED", "TERMINATED"})
# Names the server resolves without a task or `workflow` prefix (Conductor's SystemParameters).
SYSTEM_PARAMETERS: Final = frozenset({"CPEWF_TASK_ID", "NETFLIX_ENV", "NETFLIX_STACK"})
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")
# The fields of a task's JSON form (TaskModel) that `${ref.<field>}` may name.
TASK_FIELDS: Final = frozenset(
    {
        "input", "output", "status", "taskId", "taskType", "referenceTaskName", "taskDefName",
        "retryCount", "seq", "pollCount", "correlationId", "scheduledTime", "startTime",
        "endTime", "updateTime", "startDelayInSeconds", "retriedTaskId", "retried", "executed",
        "callbackFromWorker", "responseTimeoutSeconds", "workflowInstanceId", "workflowType",
        "reasonForIncompletion", "callbackAfterSeconds", "workerId", "domain", "iteration",
        "subWorkflowId", "rateLimitPerFrequency", "rateLimitFrequencyInSeconds",
        "workflowPriority", "isolationGroupId", "executionNameSpace", "queueWaitTime",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Subject:
    """What is being validated, and how strictly.

    `locations` maps (workflow name, task reference) to where that task was written; the key
    (workflow name, None) locates the workflow itself.
    """

    workflows: Sequence[WorkflowDef]
    taskdefs: Sequence[TaskDef] = ()
    external_workflows: frozenset[str] = frozenset()
    locations: Mapping[tuple[str, str | None], Where] = field(default_factory=dict)
    strict: bool = True


def validate(subject: Subject) -> list[Finding]:
    """Every finding for the subject, in a stable order (workflow, then definition order)."""
    findings: list[Finding] = []
    findings.extend(_project_findings(subject))
    workflow_names = frozenset(w.name for w in subject.workflows) | subject.external_workflows
    taskdef_names = frozenset(t.name for t in subject.taskdefs)
    for workflow in subject.workflows:
        checker = _WorkflowChecker(subject, workflow, workflow_names, taskdef_names)
        findings.extend(checker.run())
    return findings


def errors_in(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def _project_findings(subject: Subject) -> list[Finding]:
    findings: list[Finding] = []
    seen_workflows: set[tuple[str, int | None]] = set()
    for workflow in subject.workflows:
        key = (workflow.name, workflow.version)
        if key in seen_workflows:
            findings.append(
                Finding(
                    Code.DUPLICATE_WORKFLOW,
                    "error" if subject.strict else "warning",
                    workflow.name,
                    None,
                    f"workflow {workflow.name!r} version {workflow.version} is defined twice; "
                    "registering both keeps only the last",
                    _shown(subject.locations.get((workflow.name, None))),
                )
            )
        seen_workflows.add(key)
        if workflow.schema_version is not None and workflow.schema_version != 2:
            findings.append(
                Finding(
                    Code.BAD_SCHEMA_VERSION,
                    "error",
                    workflow.name,
                    None,
                    f"schemaVersion is {workflow.schema_version}; Conductor accepts only 2",
                    _shown(subject.locations.get((workflow.name, None))),
                )
            )
        if subject.strict and not workflow.owner_email:
            findings.append(
                Finding(
                    Code.MISSING_OWNER_EMAIL,
                    "error",
                    workflow.name,
                    None,
                    "ownerEmail is missing (some servers reject the workflow without it)",
                    _shown(subject.locations.get((workflow.name, None))),
                )
            )
    seen_taskdefs: set[str] = set()
    for taskdef in subject.taskdefs:
        where = _shown(subject.locations.get((f"taskdef:{taskdef.name}", None)))
        if taskdef.name in seen_taskdefs:
            findings.append(
                Finding(
                    Code.DUPLICATE_TASKDEF,
                    "error",
                    taskdef.name,
                    None,
                    f"task definition {taskdef.name!r} is defined twice",
                    where,
                )
            )
        seen_taskdefs.add(taskdef.name)
        timeout, response = taskdef.timeout_seconds, taskdef.response_timeout_seconds
        if timeout and response and response >= timeout:
            findings.append(
                Finding(
                    Code.TASKDEF_TIMEOUTS,
                    "error",
                    taskdef.name,
                    None,
                    f"responseTimeoutSeconds ({response}) must be less than timeoutSeconds "
                    f"({timeout}); the server rejects it",
                    where,
                )
            )
    return findings


Branch = tuple[str, int]  # (reference of the SWITCH/FORK/DO_WHILE, index of the case or branch)


class _WorkflowChecker:
    def __init__(
        self,
        subject: Subject,
        workflow: WorkflowDef,
        workflow_names: frozenset[str],
        taskdef_names: frozenset[str],
    ) -> None:
        self.subject = subject
        self.workflow = workflow
        self.workflow_names = workflow_names
        self.taskdef_names = taskdef_names
        self.findings: list[Finding] = []
        self.branches: dict[str, tuple[Branch, ...]] = {}
        self.inputs = frozenset(workflow.input_parameters or ())
        self.variables = frozenset(workflow.variables or ()) | _set_variable_keys(workflow.tasks)
        self.undeclared_reported: set[str] = set()

    def run(self) -> list[Finding]:
        self._index(self.workflow.tasks, ())
        self._walk(self.workflow.tasks, frozenset(), ())
        everything = frozenset(self.branches)
        for body in expressions_in(self.workflow.output_parameters or {}):
            self._check_expression(body, None, everything, ())
        return self.findings

    def _report(
        self, code: Code, task: str | None, message: str, severity: Severity = "error"
    ) -> None:
        location = self.subject.locations.get((self.workflow.name, task))
        if location is None:
            location = self.subject.locations.get((self.workflow.name, None))
        shown = _shown(location)
        self.findings.append(Finding(code, severity, self.workflow.name, task, message, shown))

    def _lenient(self) -> Severity:
        return "error" if self.subject.strict else "warning"

    # -- indexing: where every reference lives ------------------------------------------------

    def _index(self, tasks: Sequence[WorkflowTask], path: tuple[Branch, ...]) -> None:
        for task in tasks:
            ref = task.task_reference_name
            if ref in self.branches:
                self._report(Code.DUPLICATE_REF, ref, f"reference name {ref!r} is used twice")
            else:
                self.branches[ref] = path
            if "__" in ref:
                self._report(
                    Code.DOUBLE_UNDERSCORE_REF,
                    ref,
                    f"reference name {ref!r} contains '__', Conductor's DO_WHILE iteration "
                    "delimiter",
                )
            for index, child in enumerate(task.children()):
                self._index(child, (*path, (ref, index)))

    # -- walking in execution order ------------------------------------------------------------

    def _walk(
        self, tasks: Sequence[WorkflowTask], before: frozenset[str], path: tuple[Branch, ...]
    ) -> frozenset[str]:
        """Checks `tasks` in order; returns every reference they (and their bodies) define."""
        seen = set(before)
        for position, task in enumerate(tasks):
            ref = task.task_reference_name
            self._check_task(task)
            for body in expressions_in(task.input_parameters or {}):
                self._check_expression(body, ref, frozenset(seen), path)
            seen.add(ref)
            inner: set[str] = set()
            for index, child in enumerate(task.children()):
                inner |= self._walk(child, frozenset(seen), (*path, (ref, index)))
            seen |= inner
            following = tasks[position + 1] if position + 1 < len(tasks) else None
            self._check_fork_join(task, following)
        return frozenset(seen - before)

    def _check_expression(
        self,
        body: str,
        task: str | None,
        visible: frozenset[str],
        path: tuple[Branch, ...],
    ) -> None:
        segments = split_expression(body)
        if not segments:
            return
        root = segments[0]
        shown = "${" + body + "}"
        if root == "workflow":
            self._check_workflow_expression(segments, task, shown)
        elif root in self.branches:
            self._check_task_expression(segments, task, shown, visible, path)
        elif root in SYSTEM_PARAMETERS:
            return
        elif _ENV_NAME.match(root) and len(segments) == 1:
            self._report(
                Code.UNKNOWN_ROOT,
                task,
                f"{shown} is neither `workflow` nor a task reference; it resolves only if the "
                f"server has an environment variable {root}",
                "warning",
            )
        else:
            self._report(
                Code.UNKNOWN_ROOT,
                task,
                f"{shown} refers to {root!r}, which is neither `workflow` nor a task reference "
                "in this workflow",
            )

    def _check_workflow_expression(self, segments: list[str], task: str | None, shown: str) -> None:
        if len(segments) < 2:
            return
        field_name = segments[1]
        if field_name not in WORKFLOW_FIELDS:
            known = ", ".join(sorted(WORKFLOW_FIELDS))
            self._report(
                Code.BAD_WORKFLOW_FIELD,
                task,
                f"{shown}: workflow has no field {field_name!r} (known: {known})",
            )
        elif field_name == "input" and len(segments) > 2 and segments[2] not in self.inputs:
            if segments[2] in self.undeclared_reported:
                return  # once per input is enough to act on
            self.undeclared_reported.add(segments[2])
            declared = ", ".join(sorted(self.inputs)) or "none"
            self._report(
                Code.UNDECLARED_INPUT,
                task,
                f"{shown}: input {segments[2]!r} is not declared (declared: {declared})",
                self._lenient(),
            )
        elif field_name == "variables" and len(segments) > 2 and segments[2] not in self.variables:
            declared = ", ".join(sorted(self.variables)) or "none"
            self._report(
                Code.UNDECLARED_VARIABLE,
                task,
                f"{shown}: variable {segments[2]!r} is neither declared nor set by a "
                f"SET_VARIABLE task (known: {declared})",
            )

    def _check_task_expression(
        self,
        segments: list[str],
        task: str | None,
        shown: str,
        visible: frozenset[str],
        path: tuple[Branch, ...],
    ) -> None:
        root = segments[0]
        if len(segments) > 1 and segments[1] not in TASK_FIELDS:
            self._report(
                Code.BAD_TASK_FIELD,
                task,
                f"{shown}: a task has no field {segments[1]!r} (did you mean 'output' or 'input'?)",
            )
            return
        if root in visible:
            return
        if _on_sibling_branch(path, self.branches[root]):
            self._report(
                Code.SIBLING_BRANCH_REF,
                task,
                f"{shown} refers to {root!r} on another branch of the same SWITCH or fork: "
                "it has not run here and resolves to null",
            )
        else:
            self._report(
                Code.FORWARD_REF,
                task,
                f"{shown} refers to {root!r}, which runs later: it resolves to null here",
            )

    # -- per-task structure --------------------------------------------------------------------

    def _check_task(self, task: WorkflowTask) -> None:
        ref, kind = task.task_reference_name, task.type
        inputs = task.input_parameters or {}
        if kind not in KNOWN_TASK_TYPES:
            self._report(
                Code.UNKNOWN_TASK_TYPE,
                ref,
                f"task type {kind!r} is not one Conductor OSS ships; without a worker or "
                "plugin for it the task stays SCHEDULED",
                "warning",
            )
        elif kind == "SWITCH":
            self._check_switch(task)
        elif kind == "DECISION" and not task.decision_cases:
            self._report(Code.SWITCH_NO_CASES, ref, "DECISION has no decisionCases")
        elif kind in ("FORK_JOIN", "FORK") and not task.fork_tasks:
            self._report(Code.FORK_NO_BRANCHES, ref, "FORK_JOIN has no forkTasks")
        elif kind == "DO_WHILE":
            self._check_do_while(task)
        elif kind == "HTTP":
            self._check_http(task)
        elif kind == "TERMINATE" and inputs.get("terminationStatus") not in TERMINATION_STATUSES:
            self._report(
                Code.TERMINATE_BAD_STATUS,
                ref,
                f"terminationStatus is {inputs.get('terminationStatus')!r}; expected one of "
                f"{', '.join(sorted(TERMINATION_STATUSES))}",
            )
        elif kind == "SUB_WORKFLOW":
            self._check_sub_workflow(task)

    def _check_switch(self, task: WorkflowTask) -> None:
        ref = task.task_reference_name
        if task.evaluator_type not in SWITCH_EVALUATORS:
            self._report(
                Code.SWITCH_BAD_EVALUATOR,
                ref,
                f"evaluatorType {task.evaluator_type!r} is not one of "
                f"{', '.join(sorted(SWITCH_EVALUATORS))}",
            )
        if not task.expression:
            self._report(Code.SWITCH_NO_EXPRESSION, ref, "SWITCH has no expression")
        if not task.decision_cases:
            self._report(Code.SWITCH_NO_CASES, ref, "SWITCH has no decisionCases")

    def _check_do_while(self, task: WorkflowTask) -> None:
        ref = task.task_reference_name
        if task.loop_condition is None or not task.loop_over:
            self._report(Code.DO_WHILE_INCOMPLETE, ref, "DO_WHILE needs loopCondition and loopOver")
        elif not task.loop_condition.strip():
            self._report(
                Code.DO_WHILE_INCOMPLETE,
                ref,
                "loopCondition is empty: the body runs once",
                "warning",
            )

    def _check_http(self, task: WorkflowTask) -> None:
        ref = task.task_reference_name
        if "http_request" not in (task.input_parameters or {}):
            self._report(Code.HTTP_NO_REQUEST, ref, "HTTP task has no http_request input")
        if task.name not in self.taskdef_names:
            self._report(
                Code.HTTP_NO_TASKDEF,
                ref,
                f"no task definition named {task.name!r}: a failed call is not retried and "
                "the server's default retry delay is 60 s",
                self._lenient(),
            )

    def _check_sub_workflow(self, task: WorkflowTask) -> None:
        ref = task.task_reference_name
        params = task.sub_workflow_param
        name = params.name if params else None
        if not name:
            self._report(
                Code.SUB_WORKFLOW_NO_NAME, ref, "SUB_WORKFLOW has no subWorkflowParam.name"
            )
        elif "${" not in name and name not in self.workflow_names:
            self._report(
                Code.MISSING_SUB_WORKFLOW,
                ref,
                f"sub-workflow {name!r} is neither defined here nor declared external; "
                "starting it fails on the server",
                self._lenient(),
            )

    def _check_fork_join(self, task: WorkflowTask, following: WorkflowTask | None) -> None:
        if task.type not in ("FORK_JOIN", "FORK", "FORK_JOIN_DYNAMIC"):
            return
        ref = task.task_reference_name
        if following is None or following.type != "JOIN":
            self._report(
                Code.FORK_WITHOUT_JOIN,
                ref,
                f"{task.type} must be followed by a JOIN; the branches' results are never "
                "collected",
            )
            return
        if task.type == "FORK_JOIN_DYNAMIC":
            return
        ends = {end for branch in task.fork_tasks or () for end in _ends(branch)}
        for name in following.join_on or ():
            if name not in ends:
                self._report(
                    Code.JOIN_NOT_BRANCH_END,
                    following.task_reference_name,
                    f"joinOn names {name!r}, which is not the last task of a branch of "
                    f"{ref!r} (branch ends: {', '.join(sorted(ends)) or 'none'})",
                )


def _shown(where: Where | None) -> str | None:
    return None if where is None else str(where)


def _on_sibling_branch(here: tuple[Branch, ...], there: tuple[Branch, ...]) -> bool:
    """True when the two paths part at one container but in different cases or branches."""
    for mine, theirs in zip(here, there, strict=False):
        if mine == theirs:
            continue
        return mine[0] == theirs[0]
    return False


def _ends(tasks: Sequence[WorkflowTask]) -> set[str]:
    """References that can finish a task list: its last task, or the ends of a final switch."""
    if not tasks:
        return set()
    last = tasks[-1]
    ends = {last.task_reference_name}
    if last.type in ("SWITCH", "DECISION"):
        for case in last.children():
            ends |= _ends(case)
    return ends


def _set_variable_keys(tasks: Sequence[WorkflowTask]) -> frozenset[str]:
    keys: set[str] = set()
    for task in tasks:
        if task.type == "SET_VARIABLE":
            keys |= set(task.input_parameters or ())
        for child in task.children():
            keys |= _set_variable_keys(child)
    return frozenset(keys)

"""Checks over the whole set of definitions: duplicates, names that become files, task
definitions the server would refuse, and calls that never end."""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from deploy_dsl.checking import Subject, shown
from deploy_dsl.findings import Code, Finding, Severity
from deploy_dsl.kinds import calls
from deploy_dsl.limits import MAX_NAME_BYTES, MAX_NESTING, MAX_VERSION, MIN_VERSION
from deploy_dsl.wire import TaskDef, WorkflowDef, WorkflowTask, dump, walk

__all__ = [
    "RESERVED_NAMES",
    "file_name_key",
    "name_character_problem",
    "nesting_depth",
    "project_findings",
]

# Workflow names whose docs page would be another file of build/docs/ (case-insensitively, for
# the file systems that fold case).
RESERVED_NAMES: Final = frozenset({"readme", "reference"})
# TaskDef.responseTimeoutSeconds when a definition leaves it out (conductor-common).
DEFAULT_RESPONSE_TIMEOUT: Final = 3600
# Characters no name needs and every tool trips on: line breaks end a log line or a Markdown
# heading, escape sequences drive the terminal, and bidirectional controls make a name read
# as another (`Trojan Source`). Conductor itself stores such names as they are.
_BIDI_CONTROLS: Final = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e") | frozenset(
    "\u2066\u2067\u2068\u2069"
)
# The fences of the README's generated blocks (`build --readme` finds them by text).
_MARKERS: Final = ("<!--", "-->")


def project_findings(subject: Subject) -> Iterator[Finding]:
    yield from _workflow_identities(subject)
    yield from _name_characters(subject)
    yield from _names_differing_in_case(subject)
    yield from _failure_workflows(subject)
    yield from _duplicate_workflows(subject)
    yield from _taskdef_findings(subject)
    yield from _call_cycles(subject)


def _finding(
    subject: Subject,
    code: Code,
    name: str,
    message: str,
    severity: Severity = "error",
    key: str | None = None,
) -> Finding:
    places = subject.where((key or name, None))
    return Finding(code, severity, name, None, message, shown(places[0] if places else None))


def _workflow_identities(subject: Subject) -> Iterator[Finding]:
    for workflow in subject.workflows:
        name = workflow.name
        if not name:
            yield _finding(
                subject, Code.EMPTY_NAME, name, "a workflow needs a name: the server rejects it"
            )
        else:
            problem = file_name_problem(name)
            if problem:
                yield _finding(subject, Code.NAME_NOT_A_FILE_NAME, name, problem)
        if workflow.version is not None and not MIN_VERSION <= workflow.version <= MAX_VERSION:
            yield _finding(
                subject,
                Code.VERSION_OUT_OF_RANGE,
                name,
                f"version {workflow.version} is outside the server's 32-bit range "
                f"({MIN_VERSION}..{MAX_VERSION}): the server refuses it",
            )
        if workflow.schema_version is not None and workflow.schema_version != 2:
            yield _finding(
                subject,
                Code.BAD_SCHEMA_VERSION,
                name,
                f"schemaVersion is {workflow.schema_version}; the server accepts only 2",
            )
        if not workflow.owner_email:
            yield _finding(
                subject,
                Code.MISSING_OWNER_EMAIL,
                name,
                "ownerEmail is missing: servers that require it "
                "(conductor.app.ownerEmailMandatory, true by default in Conductor's code) reject "
                "the workflow",
                "warning",
            )
        if not workflow.tasks:
            yield _finding(
                subject, Code.EMPTY_TASKS, name, "the workflow has no tasks: the server rejects it"
            )
        depth = nesting_depth(workflow.tasks)
        if depth > MAX_NESTING:
            yield _finding(
                subject,
                Code.NESTED_TOO_DEEP,
                name,
                f"tasks are nested {depth} deep; deploy-dsl accepts at most {MAX_NESTING}",
            )
        for where, value in _non_finite(workflow):
            yield _finding(
                subject,
                Code.NOT_FINITE,
                name,
                f"{where} is {value}, which JSON cannot hold (it would be written as null)",
            )


def _failure_workflows(subject: Subject) -> Iterator[Finding]:
    """`WorkflowExecutorOps.terminateWorkflow` starts the failure workflow by name; when it
    does not exist, nothing compensates and only the output says so."""
    names = {w.name for w in subject.workflows} | subject.external_workflows
    for workflow in subject.workflows:
        name = workflow.failure_workflow
        if name and not name.startswith("$") and name not in names:
            yield _finding(
                subject,
                Code.MISSING_SUB_WORKFLOW,
                workflow.name,
                f"failure workflow {name!r} is neither defined here nor declared external: "
                "unless it is registered, nothing runs when this workflow fails",
                "error" if subject.strict else "warning",
            )


def file_name_problem(name: str) -> str | None:
    """Why a workflow's name cannot be the file build/workflows/<name>.json, if it cannot."""
    if "/" in name or "\\" in name or "\0" in name:
        what = "a NUL" if "\0" in name else "a path separator"
        return f"the name holds {what}: it becomes a file name in build/, so it is refused"
    if name in (".", "..") or name.startswith("."):
        return "the name starts with '.': it becomes a file name in build/, so it is refused"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"the name is longer than {MAX_NAME_BYTES} bytes: it becomes a file name in build/"
    if name.lower() in RESERVED_NAMES:
        return f"the name {name!r} is the name of another file in build/docs/; choose another"
    return None


def name_character_problem(name: str, *, workflow: bool = False) -> str | None:
    """Why a name (of a workflow, task or task definition) cannot be shown or written as it
    is, if it cannot: a control character, a line or paragraph separator, a bidirectional
    control, or, in a workflow's name (which the README's block fences carry), a fence."""
    for char in name:
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS:
            what = "a control character" if category == "Cc" else "an invisible layout character"
            return (
                f"the name holds {what} ({ascii(char)[1:-1]}): names are shown in logs, file "
                "names and docs, where it breaks the line or reorders the text; remove it"
            )
    for marker in _MARKERS if workflow else ():
        if marker in name:
            return (
                f"the name holds {marker!r}, which fences the README's generated blocks "
                "(`build --readme`); remove it"
            )
    return None


def _name_characters(subject: Subject) -> Iterator[Finding]:
    for workflow in subject.workflows:
        problem = name_character_problem(workflow.name, workflow=True)
        if problem:
            yield _finding(subject, Code.NAME_CONTROL_CHARACTER, workflow.name, problem)
        stack: list[WorkflowTask] = list(workflow.tasks)
        while stack:
            task = stack.pop()
            for what, value in (("reference", task.task_reference_name), ("name", task.name)):
                problem = name_character_problem(value or "")
                if problem:
                    places = subject.where((workflow.name, task.task_reference_name))
                    yield Finding(
                        Code.NAME_CONTROL_CHARACTER,
                        "error",
                        workflow.name,
                        task.task_reference_name,
                        f"task {what}: {problem}",
                        shown(places[0] if places else None),
                    )
            for child in task.children():
                stack.extend(child)
    for taskdef in subject.taskdefs:
        problem = name_character_problem(taskdef.name)
        if problem:
            key = f"taskdef:{taskdef.name}"
            yield _finding(subject, Code.NAME_CONTROL_CHARACTER, taskdef.name, problem, key=key)


def file_name_key(name: str) -> str:
    """What a case-insensitive file system (macOS, Windows) sees of a file name: case folded,
    and on macOS's APFS Unicode normalization too (`é` written either way is one file)."""
    return unicodedata.normalize("NFD", name).lower()


def _names_differing_in_case(subject: Subject) -> Iterator[Finding]:
    """Two workflows `Deploy` and `deploy` both run on the server (names are compared exactly,
    MetadataDAO keys them as written), but build/workflows/Deploy.json and deploy.json are one
    file on macOS and Windows: one build would silently lose the other there. Task references
    that differ only in case (`Build`, `build`) stay legal: they become no file, and the server
    tells them apart (TaskReferenceNameUniqueValidator compares them with equals)."""
    by_key: dict[str, list[str]] = defaultdict(list)
    for name in dict.fromkeys(workflow.name for workflow in subject.workflows):
        by_key[file_name_key(name)].append(name)
    for names in by_key.values():
        if len(names) < 2:
            continue
        for name in names:
            others = ", ".join(repr(other) for other in names if other != name)
            yield _finding(
                subject,
                Code.NAMES_DIFFER_IN_CASE,
                name,
                f"workflow {name!r} differs from {others} only in case (or Unicode form): "
                "build/ writes one file per name, and on a case-insensitive file system (macOS, "
                "Windows) one would overwrite the other; rename one",
            )


def nesting_depth(tasks: Sequence[WorkflowTask]) -> int:
    """How deep task lists nest (1 for a flat workflow), without recursion: a definition nested
    past Python's recursion limit must still get a finding, not a crash."""
    deepest = 0
    stack: list[tuple[Sequence[WorkflowTask], int]] = [(tasks, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        for task in current:
            stack.extend((child, depth + 1) for child in task.children())
    return deepest


def _non_finite(workflow: WorkflowDef) -> Iterator[tuple[str, float]]:
    def scan(value: Any, where: str) -> Iterator[tuple[str, float]]:
        stack = [(value, where)]
        while stack:
            item, at = stack.pop()
            if isinstance(item, float) and not math.isfinite(item):
                yield at, item
            elif isinstance(item, Mapping):
                stack.extend((v, f"{at}.{k}") for k, v in item.items())
            elif isinstance(item, list | tuple):
                stack.extend((v, f"{at}[{i}]") for i, v in enumerate(item))

    yield from scan(workflow.output_parameters, "outputParameters")
    yield from scan(workflow.variables, "variables")
    for task in walk(workflow.tasks):
        yield from scan(task.input_parameters, f"{task.task_reference_name}.inputParameters")


def _duplicate_workflows(subject: Subject) -> Iterator[Finding]:
    by_name: dict[str, list[WorkflowDef]] = defaultdict(list)
    for workflow in subject.workflows:
        by_name[workflow.name].append(workflow)
    for name, workflows in by_name.items():
        if len(workflows) < 2:
            continue
        places = ", ".join(str(place) for place in subject.where((name, None))) or "-"
        if subject.strict:
            # build/ holds one file per workflow name: all but one would silently be lost.
            versions = ", ".join(f"v{w.version}" for w in workflows)
            yield _finding(
                subject,
                Code.DUPLICATE_WORKFLOW,
                name,
                f"workflow {name!r} is defined {len(workflows)} times ({versions}; at {places}): "
                "build/ keeps one definition per name, so define each workflow once",
            )
            continue
        by_version: dict[int | None, list[WorkflowDef]] = defaultdict(list)
        for workflow in workflows:
            by_version[workflow.version].append(workflow)
        for version, same in by_version.items():
            if len(same) > 1:
                yield _twice(
                    subject,
                    Code.DUPLICATE_WORKFLOW,
                    name,
                    f"workflow {name!r} version {version}",
                    same,
                )


def _twice(
    subject: Subject, code: Code, name: str, what: str, same: Sequence[WorkflowDef | TaskDef]
) -> Finding:
    """Two definitions of one key: the server keeps the last of a bulk request."""
    differ = len({repr(dump(item)) for item in same}) > 1
    if differ:
        return _finding(
            subject,
            code,
            name,
            f"{what} is defined {len(same)} times, differently: the server keeps the last one "
            "and the others are lost",
            key=f"taskdef:{name}" if isinstance(same[0], TaskDef) else None,
        )
    return _finding(
        subject,
        code,
        name,
        f"{what} is defined {len(same)} times (identically)",
        "warning",
        key=f"taskdef:{name}" if isinstance(same[0], TaskDef) else None,
    )


def _taskdef_findings(subject: Subject) -> Iterator[Finding]:
    by_name: dict[str, list[TaskDef]] = defaultdict(list)
    for taskdef in subject.taskdefs:
        by_name[taskdef.name].append(taskdef)
    for name, same in by_name.items():
        if len(same) > 1:
            yield _twice(subject, Code.DUPLICATE_TASKDEF, name, f"task definition {name!r}", same)
    for taskdef in subject.taskdefs:
        key = f"taskdef:{taskdef.name}"
        for problem in _timeout_problems(taskdef):
            yield _finding(subject, Code.TASKDEF_TIMEOUTS, taskdef.name, problem, key=key)
        for problem in _range_problems(taskdef):
            yield _finding(subject, Code.TASKDEF_OUT_OF_RANGE, taskdef.name, problem, key=key)


def _timeout_problems(taskdef: TaskDef) -> Iterator[str]:
    """`TaskTimeoutConstraint`: a response timeout above the timeout, or a timeout above the
    total timeout, is refused; a response timeout left out counts as 3600."""
    timeout = taskdef.timeout_seconds or 0
    response = taskdef.response_timeout_seconds
    total = taskdef.total_timeout_seconds or 0
    if timeout > 0:
        if response is None and timeout < DEFAULT_RESPONSE_TIMEOUT:
            yield (
                f"responseTimeoutSeconds is left out, so it is {DEFAULT_RESPONSE_TIMEOUT}, more "
                f"than timeoutSeconds ({timeout}): the server rejects it; set it lower"
            )
        elif response is not None and response > timeout:
            yield (
                f"responseTimeoutSeconds ({response}) is more than timeoutSeconds ({timeout}): "
                "the server rejects it"
            )
        if isinstance(total, int) and total > 0 and timeout > total:
            yield (
                f"timeoutSeconds ({timeout}) is more than totalTimeoutSeconds ({total}): the "
                "server rejects it"
            )


def _range_problems(taskdef: TaskDef) -> Iterator[str]:
    """The field constraints of conductor-common's TaskDef."""
    minimums = {
        "responseTimeoutSeconds": (taskdef.response_timeout_seconds, 1),
        "retryCount": (taskdef.retry_count, 0),
        "backoffScaleFactor": (taskdef.backoff_scale_factor, 1),
        "pollTimeoutSeconds": (taskdef.poll_timeout_seconds, 0),
        "timeoutSeconds": (taskdef.timeout_seconds, 0),
    }
    for field, (value, minimum) in minimums.items():
        if value is not None and value < minimum:
            yield f"{field} is {value}; the server accepts {minimum} or more"


def _call_cycles(subject: Subject) -> Iterator[Finding]:
    """A workflow that (through others) starts itself: each run starts another, without end;
    nothing on the server bounds the depth."""
    latest: dict[str, int | None] = {}
    for workflow in subject.workflows:
        current = latest.get(workflow.name)
        if workflow.name not in latest or (workflow.version or 0) > (current or 0):
            latest[workflow.name] = workflow.version
    graph: dict[tuple[str, int | None], list[tuple[str, int | None]]] = {}
    for workflow in subject.workflows:
        calls = []
        for name, version in _calls(workflow.tasks):
            if name in latest:
                calls.append((name, version if version is not None else latest[name]))
        graph[(workflow.name, workflow.version)] = calls
    reported: set[frozenset[tuple[str, int | None]]] = set()
    for start in graph:
        cycle = _cycle_from(graph, start)
        if cycle and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            route = " -> ".join(f"{name} v{version}" for name, version in [*cycle, cycle[0]])
            yield _finding(
                subject,
                Code.SUB_WORKFLOW_CYCLE,
                start[0],
                f"sub-workflow cycle {route}: every run starts another, without end",
            )


def _calls(tasks: Sequence[WorkflowTask]) -> Iterator[tuple[str, int | None]]:
    """The calls that wait for their callee: a cycle of them never ends. (A START_WORKFLOW
    does not wait, and an inline sub-workflow names nothing.)"""
    for call in calls(tasks):
        if call.how in ("sub-workflow", "dynamic fork"):
            yield call.name, call.version


def _cycle_from(
    graph: Mapping[tuple[str, int | None], Sequence[tuple[str, int | None]]],
    start: tuple[str, int | None],
) -> list[tuple[str, int | None]] | None:
    """A call path from `start` back to itself, if there is one."""
    stack: list[tuple[tuple[str, int | None], list[tuple[str, int | None]]]] = [(start, [start])]
    seen: set[tuple[str, int | None]] = set()
    while stack:
        node, path = stack.pop()
        for callee in graph.get(node, ()):
            if callee == start:
                return path
            if callee not in seen:
                seen.add(callee)
                stack.append((callee, [*path, callee]))
    return None

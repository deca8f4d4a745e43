"""What the validator's checks share: the subject, where each task sits, and reporting.

The server's behaviour often depends on where a task is: registration checks top-level tasks'
expressions (`TaskReferenceNameUniqueValidator.verifyTaskInputParameters`) and never looks
inside a DO_WHILE body (`WorkflowTask.loopOver` carries no `@Valid`), so a `Placement` records
both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from deploy_dsl.findings import Code, Finding, Severity
from deploy_dsl.location import Location, Where
from deploy_dsl.script_checks import ECMASCRIPT_VERSION, ScriptError, javascript_error, jq_error
from deploy_dsl.wire import TaskDef, WorkflowDef, WorkflowTask

__all__ = [
    "EVALUATORS",
    "Branch",
    "Locations",
    "Placement",
    "Subject",
    "WorkflowScope",
    "branches",
    "check_javascript",
    "check_jq",
    "fails",
    "given",
    "require_input",
    "shown",
    "task_template",
]

# (workflow name, task reference or None for the workflow itself) -> every place a definition
# with that key was written, in definition order: a duplicate is reported at each of them.
# ("taskdef:<name>", None) locates a task definition.
Locations = Mapping[tuple[str, str | None], tuple[Where, ...]]


@dataclass(frozen=True)
class Subject:
    """What is being validated, and how strictly.

    `locations` says where each workflow, task and task definition was written (see
    Locations). `strict` is for this project's own Python definitions; JSON files (and code
    imported from them) may rely on definitions that live elsewhere. `secrets_resolved` says
    whether the server they are for resolves `${workflow.secrets.*}` (Orkes does, Conductor
    OSS does not); None when no server is known (build, validate).
    """

    workflows: Sequence[WorkflowDef]
    taskdefs: Sequence[TaskDef] = ()
    external_workflows: frozenset[str] = frozenset()
    locations: Locations = field(default_factory=dict)
    strict: bool = True
    # (workflow name, task reference) -> where a Python definition wrote the task's script as
    # a literal whose lines are the file's (see location.literal_location).
    scripts: Mapping[tuple[str, str], Location] = field(default_factory=dict)
    secrets_resolved: bool | None = None

    def where(self, key: tuple[str, str | None]) -> tuple[Where, ...]:
        return self.locations.get(key, ())


BranchKind = Literal["case", "fork", "loop"]


@dataclass(frozen=True)
class Branch:
    """One nested task list: which container holds it, which of its lists, and what kind."""

    container: str
    index: int
    kind: BranchKind


@dataclass(frozen=True)
class Placement:
    task: WorkflowTask
    path: tuple[Branch, ...]

    @property
    def top_level(self) -> bool:
        return not self.path

    @property
    def loops(self) -> tuple[str, ...]:
        """The DO_WHILE tasks this one runs inside, outermost first."""
        return tuple(branch.container for branch in self.path if branch.kind == "loop")

    @property
    def registration_checked(self) -> bool:
        """Whether the server's per-type checks see this task at registration."""
        return not self.loops


def shown(where: Where | None) -> str | None:
    return None if where is None else str(where)


class WorkflowScope:
    """One workflow being checked: every task's placement, and where findings go."""

    def __init__(self, subject: Subject, workflow: WorkflowDef, workflow_names: frozenset[str]):
        self.subject = subject
        self.workflow = workflow
        self.workflow_names = workflow_names
        self.taskdefs: Mapping[str, TaskDef] = {t.name: t for t in subject.taskdefs}
        self.findings: list[Finding] = []
        self.placements: dict[str, Placement] = {}
        self.undeclared_reported: set[str] = set()
        self.inputs = frozenset(workflow.input_parameters or ()) | frozenset(
            workflow.input_template or ()
        )
        self.variables = frozenset(workflow.variables or ()) | frozenset(
            key
            for placement in self.walk()
            if placement.task.type == "SET_VARIABLE"
            for key in placement.task.input_parameters or ()
        )

    def walk(
        self, tasks: Sequence[WorkflowTask] | None = None, path: tuple[Branch, ...] = ()
    ) -> Iterator[Placement]:
        """Every task, nested ones included, in definition order."""
        for task in self.workflow.tasks if tasks is None else tasks:
            yield Placement(task, path)
            for branch, child in branches(task):
                yield from self.walk(child, (*path, branch))

    @property
    def strict(self) -> bool:
        return self.subject.strict

    def lenient(self) -> Severity:
        """An error for this project's definitions, a warning for JSON files."""
        return "error" if self.subject.strict else "warning"

    def report(
        self,
        code: Code,
        task: str | None,
        message: str,
        severity: Severity = "error",
        *,
        at: Where | None = None,
    ) -> None:
        """A finding located at `at`, else where the task (or the workflow) was written."""
        name = self.workflow.name
        location = at
        if location is None:
            places = self.subject.where((name, task)) or self.subject.where((name, None))
            location = places[0] if places else None
        self.findings.append(Finding(code, severity, name, task, message, shown(location)))


def branches(task: WorkflowTask) -> Iterator[tuple[Branch, list[WorkflowTask]]]:
    """The task lists nested in a task, each with its Branch, in definition order."""
    ref = task.task_reference_name
    for index, branch in enumerate(task.branches()):
        kind: BranchKind = "case" if branch.kind == "default" else branch.kind
        yield Branch(ref, index, kind), branch.tasks


def fails(placement: Placement, at_run_time: str) -> str:
    """What happens to a task the server's type checks would refuse, where this one sits."""
    if placement.registration_checked:
        return "the server rejects it"
    return f"inside a DO_WHILE body the server accepts it, and {at_run_time}"


def task_template(scope: WorkflowScope, task: WorkflowTask) -> Mapping[str, Any]:
    """The TaskDef's inputTemplate, which getTaskInputV2 adds under the task's own inputs."""
    if task.task_definition is not None:
        template = task.task_definition.get("inputTemplate")
    elif task.name in scope.taskdefs:
        template = scope.taskdefs[task.name].input_template
    else:
        template = None
    return template if isinstance(template, Mapping) else {}


def given(value: object) -> bool:
    """Set to something: neither null nor a blank string."""
    return value is not None and not (isinstance(value, str) and not value.strip())


# The Evaluator beans of the server: the evaluatorType of SWITCH, INLINE and DO_WHILE.
EVALUATORS: Final = frozenset({"value-param", "javascript", "graaljs", "python"})


def require_input(
    scope: WorkflowScope, placement: Placement, field: str, *, run_time_only: bool = False
) -> None:
    """An input the task cannot run without, in its inputs or its TaskDef's inputTemplate.

    `run_time_only`: the server's registration checks do not look for it
    (`WorkflowTaskTypeConstraint` knows only some types), so the task FAILS wherever it sits.
    """
    task = placement.task
    value = {**task_template(scope, task), **(task.input_parameters or {})}.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        consequence = "the task FAILS" if run_time_only else fails(placement, "the task FAILS")
        scope.report(
            Code.TASK_FIELD_MISSING,
            task.task_reference_name,
            f"{task.type} has no inputParameters.{field}: {consequence}",
        )


def check_javascript(
    scope: WorkflowScope,
    ref: str,
    what: str,
    script: object,
    consequence: str,
    *,
    substituted: bool = False,
    function_body: bool = False,
) -> None:
    """A JavaScript syntax error in `script` (the `what` of task `ref`), as GraalJS would
    find it, and `consequence`: what the server then does.

    `substituted`: the script is an input, into which Conductor substitutes `${...}` first; a
    script holding one is not the text that runs, so it is left alone.
    """
    if not isinstance(script, str) or not script.strip() or (substituted and "${" in script):
        return
    error = javascript_error(script, function_body=function_body)
    if error is not None:
        scope.report(
            Code.SCRIPT_SYNTAX,
            ref,
            f"{what}: JavaScript syntax error at {error.where()} ({error.message}): GraalJS "
            f"(ECMAScript {ECMASCRIPT_VERSION}) cannot parse it, so {consequence}",
            at=_script_line(scope, ref, error),
        )


def check_jq(scope: WorkflowScope, ref: str, query: object) -> None:
    """A JSON_JQ_TRANSFORM query that jackson-jq cannot compile: the server compiles it when
    the task runs (JsonJqTransform.start), and the task FAILS."""
    if not isinstance(query, str) or not query.strip() or "${" in query:
        return
    error = jq_error(query)
    if error is not None:
        scope.report(
            Code.JQ_SYNTAX,
            ref,
            f"queryExpression: jq error at {error.where('query')} ({error.message}): the "
            "server compiles the query when the task runs, and the task FAILS",
            at=_script_line(scope, ref, error),
        )


def _script_line(scope: WorkflowScope, ref: str, error: ScriptError) -> Location | None:
    """The file's line of the script's erroneous line, where the script is a literal of a
    Python definition; else None (the task's own place)."""
    start = scope.subject.scripts.get((scope.workflow.name, ref))
    return None if start is None else Location(start.filename, start.line + error.line - 1)

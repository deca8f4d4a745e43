"""Checks of schedules and event handlers against the server's rules and the project's
workflows (pure).

What the 3.32.3 server does with each mistake, measured on the local server: a schedule whose
cron expression Spring cannot parse, or that starts a workflow nobody registered, is saved and
then never starts anything; an unknown time zone is refused at registration
(`SchedulerService.createOrUpdateWorkflowSchedule` -> `ZoneId.of`); an event handler on a queue
type the server does not know is saved, and then `DefaultEventQueueManager.refreshEventQueues`
throws on it every minute, so no handler on that server gets new queues any more.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from pydantic import BaseModel

from deploy_dsl.contracts import body_problems
from deploy_dsl.cron import cron_problem, never_fires
from deploy_dsl.event_handler import (
    CompleteTask,
    EventHandler,
    StartWorkflowAction,
    UpdateVariables,
)
from deploy_dsl.findings import Code, Finding, Problem, Severity
from deploy_dsl.location import Location
from deploy_dsl.schedule import Schedule
from deploy_dsl.schemas import is_open
from deploy_dsl.script_checks import ECMASCRIPT_VERSION, javascript_error
from deploy_dsl.task import Task
from deploy_dsl.wire import WorkflowDef, WorkflowTask
from deploy_dsl.workflow import AnyTarget, AnyWorkflow, ExternalWorkflow, Workflow, walk_tasks

__all__ = ["EVENT_QUEUE_TYPES", "trigger_findings"]

# EventQueueProvider.getQueueType of every provider in the 3.32.3 server jar: conductor (core),
# sqs, kafka, nats, jsm, nats_stream, amqp_queue, amqp_exchange (contribs). Only `conductor` is
# on without configuration.
EVENT_QUEUE_TYPES: Final = frozenset(
    {"conductor", "sqs", "kafka", "nats", "jsm", "nats_stream", "amqp_queue", "amqp_exchange"}
)
# Tasks a message may complete: they wait for someone else (a WAIT without duration, HUMAN, a
# worker's SIMPLE task); a system task completes itself and races with the message.
_WAITING_TYPES: Final = frozenset({"WAIT", "HUMAN", "SIMPLE"})
# ZoneId.of's forms besides region names: Z, an offset, or UTC/GMT/UT with one.
_OFFSET_ZONE = re.compile(
    r"(Z|[+-]\d{1,2}(:?\d{2}(:?\d{2})?)?|(UTC|GMT|UT)([+-]\d{1,2}(:?\d{2})?)?)\Z"
)


def trigger_findings(
    schedules: Sequence[Schedule],
    handlers: Sequence[EventHandler],
    workflows: Sequence[AnyWorkflow],
    compiled: Sequence[WorkflowDef],
) -> Iterator[Finding]:
    """Every finding for the project's schedules and event handlers, in definition order."""
    known = _Known(workflows, compiled)
    yield from _duplicates("schedule", schedules)
    yield from _duplicates("event handler", handlers)
    for schedule in schedules:
        yield from _schedule(schedule, known)
    for handler in handlers:
        yield from _handler(handler, known)


class _Known:
    """The workflows a trigger may name: the project's own, and external ones."""

    def __init__(self, workflows: Sequence[AnyWorkflow], compiled: Sequence[WorkflowDef]) -> None:
        self.keys = {(w.name, w.version) for w in workflows}
        self.compiled = {(w.name, w.version): w for w in compiled}

    def missing(self, target: AnyTarget) -> str | None:
        """Why the target is not the project's to start: a Workflow no definition module
        holds is never registered. An ExternalWorkflow declares itself (`plan` checks that
        the server has it)."""
        if isinstance(target, ExternalWorkflow) or (target.name, target.version) in self.keys:
            return None
        return (
            f"workflow {target.name} v{target.version} is not in the definitions (no module "
            "holds it), so it is never registered: the server takes this and then fails to "
            "start it"
        )

    def definition(self, target: AnyTarget) -> WorkflowDef | None:
        return self.compiled.get((target.name, target.version))


def _finding(
    subject: str, code: Code, message: str, where: Location | None, severity: Severity = "error"
) -> Finding:
    return Finding(code, severity, subject, None, message, None if where is None else str(where))


def _duplicates(kind: str, items: Sequence[Schedule | EventHandler]) -> Iterator[Finding]:
    counts = Counter(item.name for item in items)
    for item in items:
        if counts[item.name] > 1:
            yield _finding(
                f"{kind} {item.name}",
                Code.DUPLICATE_TRIGGER,
                f"{kind} {item.name!r} is defined {counts[item.name]} times: the server keeps "
                "one per name, the last registered",
                item.location,
            )


def _schedule(schedule: Schedule, known: _Known) -> Iterator[Finding]:
    subject, where = f"schedule {schedule.name}", schedule.location
    problem = cron_problem(schedule.cron)
    if problem is None:
        problem = never_fires(schedule.cron)
    if problem is not None:
        yield _finding(
            subject,
            Code.CRON_EXPRESSION,
            f"cron {schedule.cron!r}: {problem}; the server saves it and never starts the "
            "workflow (six fields, seconds first: '0 0 2 * * *' is 02:00 every day)",
            where,
        )
    if schedule.zone is not None and not _known_zone(schedule.zone):
        yield _finding(
            subject,
            Code.SCHEDULE_TIME,
            f"time zone {schedule.zone!r} is unknown: the server refuses the schedule "
            "(ZoneId.of); use a region such as 'Europe/Berlin', 'UTC' or an offset '+02:00'",
            where,
        )
    if schedule.start is not None and schedule.end is not None and schedule.end <= schedule.start:
        yield _finding(
            subject,
            Code.SCHEDULE_TIME,
            "end is not after start: the schedule never fires",
            where,
        )
    missing = known.missing(schedule.workflow)
    if missing is not None:
        yield _finding(subject, Code.TRIGGER_TARGET, missing, where)
    else:
        yield from _start(subject, schedule.workflow, schedule.input, where)


def _start(
    subject: str,
    target: AnyTarget,
    given: BaseModel | Mapping[str, Any] | None,
    where: Location | None,
) -> Iterator[Finding]:
    """The input of a workflow to start (a schedule's, a start_workflow action's) against
    its input model."""
    model = target.input_model
    what = f"the input of {target.name} v{target.version}"
    if model is None or given is None:
        if model is not None:
            yield from _as_findings(
                subject, body_problems(model, {}, what, Code.TRIGGER_INPUT), where
            )
        return
    if isinstance(given, BaseModel):
        if not isinstance(given, model):
            yield _finding(
                subject,
                Code.TRIGGER_INPUT,
                f"{what} is a {type(given).__name__}; {target.name} takes a {model.__name__}",
                where,
            )
        return
    yield from _as_findings(subject, body_problems(model, given, what, Code.TRIGGER_INPUT), where)


def _as_findings(
    subject: str, problems: Iterator[Problem], where: Location | None
) -> Iterator[Finding]:
    for problem in problems:
        yield _finding(subject, problem.code, problem.message, where, problem.severity)


def _handler(handler: EventHandler, known: _Known) -> Iterator[Finding]:
    subject = f"event handler {handler.name}"
    problem, severity = _event_problem(handler.event)
    if problem is not None:
        yield _finding(subject, Code.EVENT_QUEUE, problem, handler.location, severity)
    if handler.condition:
        yield from _condition(subject, handler.condition, handler.location)
    for action in handler.actions:
        where = action.location or handler.location
        target = action.workflow
        missing = None if target is None else known.missing(target)
        if missing is not None:
            yield _finding(subject, Code.TRIGGER_TARGET, missing, where)
        elif isinstance(action, StartWorkflowAction):
            yield from _start(subject, action.target, action.input, where)
        elif isinstance(action, CompleteTask):
            yield from _task_action(subject, action, known.definition(action.target), where)
        elif isinstance(action, UpdateVariables):
            yield from _variables(subject, action, where)


def _event_problem(event: str) -> tuple[str | None, Severity]:
    """EventQueues.getQueue: `<type>:<queue>`, the type one of the server's providers."""
    kind, colon, queue = event.partition(":")
    if not colon or not kind or not queue:
        return (
            f"event {event!r} is not '<queue type>:<queue>' (e.g. 'conductor:<workflow>:"
            "<queue>'): the server saves it and then fails to refresh every handler's queues",
            "error",
        )
    if kind not in EVENT_QUEUE_TYPES:
        known = ", ".join(sorted(EVENT_QUEUE_TYPES))
        return (
            f"event {event!r}: the server has no queue type {kind!r} ({known}); it saves the "
            "handler and then fails to refresh every handler's queues",
            "error",
        )
    if kind == "conductor" and ":" not in queue:
        return (
            f"event {event!r}: an EVENT task with sink 'conductor:{queue}' publishes to "
            f"'conductor:<its workflow>:{queue}' (Event.computeQueueName), not here",
            "warning",
        )
    return None, "error"


def _task_action(
    subject: str, action: CompleteTask, definition: WorkflowDef | None, where: Location | None
) -> Iterator[Finding]:
    if definition is None:  # an external workflow: its tasks are not known here
        return
    label = f"{action.target.name} v{action.target.version}"
    task = _find(definition.tasks, action.ref)
    if isinstance(action.task, Task) and _placed_elsewhere(action.task, action.target):
        task = None  # a task of another workflow that happens to share the reference
    if task is None:
        yield _finding(
            subject,
            Code.ACTION_TASK,
            f"{label} has no task {action.ref!r}: the action never finds it",
            where,
        )
        return
    if task.type not in _WAITING_TYPES and not task.async_complete:
        yield _finding(
            subject,
            Code.ACTION_TASK,
            f"task {action.ref!r} of {label} is a {task.type}, which completes itself; a "
            "message that completes it races with the server",
            where,
            "warning",
        )
    yield from _output(subject, action, where)


def _output(subject: str, action: CompleteTask, where: Location | None) -> Iterator[Finding]:
    """The output against what the task declares: an ApprovalGate's decision model, or the
    fields a typed task's output has."""
    what = f"the output of task {action.ref!r}"
    if action.decision is not None:
        problems = body_problems(
            action.decision, action.output, what, Code.TRIGGER_INPUT, partial=True
        )
        yield from _as_findings(subject, problems, where)
        return
    if not isinstance(action.task, Task):
        return
    fields = action.task.output_fields()
    if is_open(fields) or not isinstance(fields, Mapping):
        return
    for key in action.output:
        if key not in fields:
            yield _finding(
                subject,
                Code.TRIGGER_INPUT,
                f"{what} has no field {key!r}; it has {', '.join(fields) or 'none'}",
                where,
            )


def _variables(subject: str, action: UpdateVariables, where: Location | None) -> Iterator[Finding]:
    target = action.target
    model = target.variables_model if isinstance(target, Workflow) else None
    if model is not None:
        what = f"the variables of {target.name}"
        problems = body_problems(model, action.variables, what, Code.TRIGGER_INPUT, partial=True)
        yield from _as_findings(subject, problems, where)


def _condition(subject: str, condition: str, where: Location | None) -> Iterator[Finding]:
    """A condition GraalJS cannot parse: the server evaluates it on every message with the
    SWITCH's `javascript` evaluator (DefaultEventProcessor.executeEvent ->
    ScriptEvaluator.evalBool), which throws, so no message ever runs the actions."""
    error = javascript_error(condition)
    if error is not None:
        yield _finding(
            subject,
            Code.SCRIPT_SYNTAX,
            f"condition: JavaScript syntax error at {error.where('condition')} "
            f"({error.message}): GraalJS (ECMAScript {ECMASCRIPT_VERSION}) cannot parse it, so "
            "every message fails the handler and none runs its actions",
            where,
        )


def _placed_elsewhere(task: Task, workflow: AnyTarget) -> bool:
    return isinstance(workflow, Workflow) and all(
        placed is not task for placed in walk_tasks(workflow.tasks)
    )


def _find(tasks: Sequence[WorkflowTask], ref: str) -> WorkflowTask | None:
    stack = list(tasks)
    while stack:
        task = stack.pop()
        if task.task_reference_name == ref:
            return task
        for child in task.children():
            stack.extend(child)
    return None


def _known_zone(zone: str) -> bool:
    """Whether `ZoneId.of(zone)` takes it: an offset form, or a region of the tz database.
    The region names come from Python's copy of the tz database, the same IANA names Java
    ships; a zone too new for one of them is the only way the two can disagree."""
    return bool(_OFFSET_ZONE.match(zone)) or zone in _regions()


@functools.cache
def _regions() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())

"""Mocks checked against the workflow they are for, and the test request built from them (pure).

Everything a mock can get wrong is found here, before anything is sent: a key that is not a
task of that workflow, a body its step's answer model refuses (a misspelt field), a list that
could never finish or that mocks more attempts than the TaskDef allows.

The request follows WorkflowTestService (Conductor 3.32.3): `taskRefToMockOutput` holds a list
of TaskMocks per runtime reference, `subWorkflowTestRequest` a nested request per SUB_WORKFLOW
reference. Every level carries a key no task has: the service stops a level's loop once its
mock map is empty (`while (!terminal && !mockData.isEmpty())`), so a level without mocks of its
own (a pipeline that only forks) would return before its children ran.
"""

from __future__ import annotations

import http
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from deploy_dsl.kinds.fork_join_dynamic import DynamicFork
from deploy_dsl.kinds.http import Http
from deploy_dsl.kinds.sub_workflow import SubWorkflow
from deploy_dsl.project import Project
from deploy_dsl.task import Task
from deploy_dsl.testing.errors import MockError
from deploy_dsl.testing.mocks import InIteration, Mock
from deploy_dsl.testing.references import TaskIndex, answered_by_mock
from deploy_dsl.wire import dump
from deploy_dsl.workflow import AnyWorkflow, Workflow

__all__ = [
    "KEEPALIVE",
    "Level",
    "Mocks",
    "TaskDefs",
    "mock_request",
    "plan",
    "project_taskdefs",
    "timed_out_ms",
]

KEEPALIVE = "__flowtest_keepalive__"
_KEEPALIVE_MOCK = {"status": "COMPLETED", "output": {}}
# Conductor's TaskDef defaults, for a task name the project defines no TaskDef for.
_DEFAULT_RETRY_COUNT = 3

# Keyed by Task, InIteration or the failure Workflow, checked when planned: Mapping's key type
# is invariant, so a precise type would refuse what tests write (`{swap_traffic: ...}` is a
# dict[Http, Mock]).
Mocks = Mapping[Any, Any]
TaskDefs = Mapping[str, Mapping[str, Any]]  # task name -> TaskDef JSON


def project_taskdefs(project: Project) -> TaskDefs:
    """A project's TaskDefs by name, as JSON: they pin each task's retries and timeouts."""
    return {taskdef.name: dump(taskdef.to_wire()) for taskdef in project.taskdefs}


@dataclass
class Level:
    """The mocks of one execution: the workflow under test, or one of its sub-workflows."""

    index: TaskIndex
    path: str  # how messages name this execution: "deploy_simple_v1 > finalize"
    taskdefs: TaskDefs
    mocks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # runtime reference -> how many attempts its mocks answer
    attempts: dict[str, int] = field(default_factory=dict)
    children: dict[str, Level] = field(default_factory=dict)
    # The mocks of the failure workflow the server starts when this execution fails.
    failure: Level | None = None

    @property
    def workflow(self) -> AnyWorkflow:
        return self.index.workflow

    def child(self, runtime_ref: str) -> Level | None:
        """The level of the sub-workflow started under `runtime_ref`; one without mocks when
        the test gave none, so that its first task is reported as missing a mock."""
        if runtime_ref in self.children:
            return self.children[runtime_ref]
        placed = self.index.resolve(runtime_ref)
        target = getattr(placed.task, "workflow", None) if placed else None
        if isinstance(target, Workflow):
            return Level(TaskIndex.of(target), f"{self.path} > {runtime_ref}", self.taskdefs)
        return None


def plan(workflow: AnyWorkflow, mocks: Mocks, taskdefs: TaskDefs, path: str | None = None) -> Level:
    """The checked mocks of `workflow`; raises MockError naming the first problem."""
    if not isinstance(mocks, Mapping):
        raise MockError(f"{path or workflow.name}: mocks must be a mapping of tasks to mocks")
    level = Level(TaskIndex.of(workflow), path or workflow.name, taskdefs)
    for key, value in mocks.items():
        if isinstance(key, Workflow):
            level.failure = _plan_failure(level, key, value)
            continue
        task, iteration = (key.task, key.iteration) if isinstance(key, InIteration) else (key, None)
        if not isinstance(task, Task):
            raise MockError(
                f"{level.path}: mocks are keyed by the definition's task objects, got {key!r}"
            )
        _check_placed(level, task, iteration)
        runtime_ref = level.index.runtime_ref(task, iteration)
        where = f"{level.path} > {runtime_ref}"
        if isinstance(task, SubWorkflow):
            level.children[runtime_ref] = plan(
                _callee(task, where), _child_mocks(value, where), taskdefs, where
            )
        elif isinstance(task, DynamicFork):
            _plan_fork(level, task, iteration, value, where)
        elif answered_by_mock(task.task_type):
            level.mocks[runtime_ref], level.attempts[runtime_ref] = _wire_mocks(
                task, value, taskdefs.get(task.name), where
            )
        else:
            raise MockError(
                f"{where}: a {task.task_type} task runs on the engine and cannot be mocked; "
                "mock the tasks whose output it reads"
            )
    return level


def _plan_failure(level: Level, workflow: AnyWorkflow, value: Any) -> Level:
    """A Workflow key: the mocks of this workflow's failure workflow, which must be it."""
    failure = level.workflow.failure_workflow
    if workflow is not failure:
        named = getattr(failure, "name", failure)
        raise MockError(
            f"{level.path}: a Workflow key mocks the failure workflow; "
            f"{level.workflow.name}'s is {named or 'not set'}, not {workflow.name}"
        )
    where = f"{level.path} > failure workflow {workflow.name}"
    return plan(workflow, _child_mocks(value, where), level.taskdefs, where)


def mock_request(level: Level) -> dict[str, Any]:
    """The `taskRefToMockOutput` / `subWorkflowTestRequest` part of a WorkflowTestRequest."""
    request: dict[str, Any] = {"taskRefToMockOutput": {KEEPALIVE: [_KEEPALIVE_MOCK], **level.mocks}}
    if level.children:
        request["subWorkflowTestRequest"] = {
            ref: mock_request(child) for ref, child in level.children.items()
        }
    return request


# --- keys ----------------------------------------------------------------------------------


def _check_placed(level: Level, task: Task, iteration: int | None) -> None:
    if task not in level.index:
        owner = _owner(level.workflow, task)
        hint = (
            f"; it is in {owner[0]}: mock it among the mocks of SubWorkflow {owner[1]!r}"
            if owner
            else ""
        )
        raise MockError(
            f"{level.path}: task {task.ref!r} is not a task of {level.workflow.name}{hint}"
        )
    loop = level.index.loop_of.get(task.ref)
    if loop is not None and iteration is None:
        raise MockError(
            f"{level.path}: task {task.ref!r} runs in DO_WHILE {loop!r}: key its mocks by "
            f"at_iteration({task.ref}, n), one per iteration"
        )
    if loop is None and iteration is not None:
        raise MockError(
            f"{level.path}: at_iteration({task.ref!r}, {iteration}): the task is in no DO_WHILE"
        )


def _owner(
    workflow: AnyWorkflow, task: Task, seen: frozenset[int] = frozenset()
) -> tuple[str, str] | None:
    """(workflow name, SubWorkflow ref) of the nearest callee of `workflow` holding `task`."""
    for candidate in TaskIndex.of(workflow).by_ref.values():
        target = getattr(candidate, "workflow", None)
        if isinstance(target, Workflow) and id(target) not in seen:
            if task in TaskIndex.of(target):
                return target.name, candidate.ref
            deeper = _owner(target, task, seen | {id(target)})
            if deeper:
                return deeper[0], candidate.ref
    return None


def _callee(task: SubWorkflow[Any] | DynamicFork[Any], where: str) -> AnyWorkflow:
    if not isinstance(task.workflow, Workflow):
        name = getattr(task.workflow, "name", "?")
        raise MockError(
            f"{where}: {name} is not defined in this project; a flow test runs only "
            "workflows it can isolate from real calls"
        )
    return task.workflow


def _child_mocks(value: Any, where: str) -> Mocks:
    if not isinstance(value, Mapping):
        raise MockError(
            f"{where}: a sub-workflow or failure workflow is mocked by a mapping of its own "
            "tasks to mocks, "
            f"got {type(value).__name__}"
        )
    return value


def _plan_fork(
    level: Level, fork: DynamicFork[Any], iteration: int | None, value: Any, where: str
) -> None:
    if isinstance(value, Mapping | str) or not isinstance(value, Sequence):
        raise MockError(
            f"{where}: a dynamic fork is mocked by a list with one mapping of mocks per forked "
            "item, in the order of its items"
        )
    callee = _callee(fork, where)
    for index, child_mocks in enumerate(value):
        child_where = f"{where} > item {index}"
        child = plan(callee, _child_mocks(child_mocks, child_where), level.taskdefs, child_where)
        for ref in level.index.fork_child_refs(fork, index, iteration):
            level.children[ref] = child


# --- mocks of one task ---------------------------------------------------------------------


def _wire_mocks(
    task: Task, value: Any, taskdef: Mapping[str, Any] | None, where: str
) -> tuple[list[dict[str, Any]], int]:
    answers = [value] if isinstance(value, Mock) else value
    if not isinstance(answers, Sequence) or not answers:
        raise MockError(f"{where}: give a mock (responds(), fails(), ...) or a list of them")
    for answer in answers:
        if not isinstance(answer, Mock):
            raise MockError(f"{where}: {answer!r} is not a mock (responds(), fails(), ...)")
    _check_sequence(answers, taskdef, where)
    wired: list[dict[str, Any]] = []
    for number, answer in enumerate(answers, start=1):
        what = f"{where}, mock {number} of {len(answers)} ({answer.describe()})"
        entry = {"status": answer.status, "output": _output(task, answer, what)}
        milliseconds = _milliseconds(answer, taskdef, what)
        if milliseconds:
            # A back-dated IN_PROGRESS as an attempt's first update is at once response-timed
            # out (DeciderService.isResponseTimedOut compares with updateTime, still 0): a plain
            # IN_PROGRESS first keeps the same attempt alive.
            opens_attempt = not wired or wired[-1]["status"] != "IN_PROGRESS"
            if answer.status == "IN_PROGRESS" and opens_attempt:
                wired.append({"status": "IN_PROGRESS", "output": entry["output"]})
            entry["executionTime"] = milliseconds
        wired.append(entry)
    return wired, sum(1 for answer in answers if answer.ends_attempt)


def _check_sequence(answers: Sequence[Mock], taskdef: Mapping[str, Any] | None, where: str) -> None:
    if not answers[-1].ends_attempt:
        raise MockError(
            f"{where}: the last mock ({answers[-1].describe()}) leaves the task in progress and "
            "the run could never finish; end with responds(), fails() or times_out()"
        )
    policy = (taskdef or {}).get("timeoutPolicy", "TIME_OUT_WF")
    for number, answer in enumerate(answers[:-1], start=1):
        final = answer.status in ("COMPLETED", "FAILED_WITH_TERMINAL_ERROR") or (
            answer.timed_out and policy != "RETRY"
        )
        if final:
            why = f"timeout policy {policy}" if answer.timed_out else answer.status
            raise MockError(
                f"{where}: mock {number} ({answer.describe()}) ends the task for good ({why}); "
                f"the {len(answers) - number} after it would never be used"
            )
    attempts = sum(1 for answer in answers if answer.ends_attempt)
    retries = int((taskdef or {}).get("retryCount", _DEFAULT_RETRY_COUNT))
    if attempts > retries + 1:
        raise MockError(
            f"{where}: {attempts} attempts mocked, but the TaskDef allows {retries + 1} "
            f"(retryCount {retries}); the last {attempts - retries - 1} are never used"
        )


def _output(task: Task, answer: Mock, what: str) -> dict[str, Any]:
    if task.task_type != "HTTP":
        # responds() and a body are HTTP answers; fails() and in_progress() fit any task.
        if answer.body is not None or (answer.status == "COMPLETED" and answer.output is None):
            raise MockError(
                f"{what}: {task.ref!r} is a {task.task_type} task, not HTTP: give its output "
                "(completes(output), fails(output=...), in_progress(output=...))"
            )
        return dict(answer.output or {})
    if answer.status_code is None:
        raise MockError(
            f"{what}: {task.ref!r} is an HTTP task: answer it with responds(body), fails(), "
            "in_progress() or times_out()"
        )
    body = answer.body
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json", by_alias=True)
    if body is None and answer.status != "COMPLETED":
        body = {"error": "mocked failure"} if answer.status.startswith("FAILED") else {}
    model = task.response_model if isinstance(task, Http) else None
    if answer.status == "COMPLETED" and model is not None and not answer.off_contract:
        _check_body(model, answer.body, body, what)
    return {
        "response": {
            "statusCode": answer.status_code,
            "reasonPhrase": _phrase(answer.status_code),
            "headers": {},
            "body": body,
        }
    }


def _check_body(model: type[BaseModel], given: Any, body: Any, what: str) -> None:
    """The body must be what the step's answer model accepts; strict, from JSON, as a body on
    the wire is (a string is not a bool, an unknown field is refused)."""
    if isinstance(given, BaseModel) and not isinstance(given, model):
        raise MockError(f"{what}: the body is a {type(given).__name__}, not a {model.__name__}")
    try:
        model.model_validate_json(json.dumps(body), strict=True)
    except ValidationError as error:
        problems = [
            f"response.body.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in error.errors(include_url=False)
        ]
        shown = "; ".join(problems[:3]) + (
            f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        )
        raise MockError(f"{what}: not a {model.__name__}: {shown}") from None
    except (TypeError, ValueError) as error:
        raise MockError(f"{what}: the body is not JSON: {error}") from None


def timed_out_ms(taskdef: Mapping[str, Any] | None) -> int | None:
    """How long an attempt that timed out has run: a second past its TaskDef's timeoutSeconds,
    so DeciderService.checkTaskTimeout fires in the next decide; None when the TaskDef sets no
    timeout (the task never times out)."""
    timeout = int((taskdef or {}).get("timeoutSeconds") or 0)
    return (timeout + 1) * 1000 if timeout > 0 else None


def _milliseconds(answer: Mock, taskdef: Mapping[str, Any] | None, what: str) -> int | None:
    timeout = int((taskdef or {}).get("timeoutSeconds") or 0)
    if answer.timed_out:
        past = timed_out_ms(taskdef)
        if past is None:
            raise MockError(
                f"{what}: the task's TaskDef sets no timeoutSeconds: it never times out"
            )
        return past
    if answer.elapsed is None:
        return None
    if timeout > 0 and answer.elapsed >= timeout:
        raise MockError(
            f"{what}: elapsed {answer.elapsed:g} s is past the TaskDef's timeoutSeconds "
            f"({timeout}): the engine would time it out; write times_out()"
        )
    return int(answer.elapsed * 1000)


def _phrase(status_code: int) -> str:
    try:
        return http.HTTPStatus(status_code).phrase
    except ValueError:
        return ""

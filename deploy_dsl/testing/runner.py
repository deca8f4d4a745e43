"""Runs a workflow on the real engine with mocked tasks: POST /api/workflow/test, watched.

One run: check the mocks (plan), rewrite the workflow so nothing can reach a real system
(isolation), register the scratch callees of dynamic forks once, send the test request with a
correlation id of its own, and while the server runs it look for a task no mock answers
(watchdog): that run is terminated and reported at once, naming the task. Afterwards the
executions are read back with GET, since the test call answers with the last snapshot it took,
which can be older than the end.
"""

from __future__ import annotations

import contextlib
import copy
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from pydantic import BaseModel, ValidationError

from deploy_dsl.client.api import ConductorApi, ServerError, ServerUnreachable
from deploy_dsl.client.settings import Connection
from deploy_dsl.client.timeline import TERMINAL_STATUSES
from deploy_dsl.kinds.inline import Inline
from deploy_dsl.kinds.json_jq import JsonJq
from deploy_dsl.task import CompileOptions, Task
from deploy_dsl.testing.errors import (
    FlowTestError,
    InputRefused,
    MissingMock,
    RunDidNotFinish,
    StoppedRun,
)
from deploy_dsl.testing.isolation import SCRATCH_OWNER, Isolator
from deploy_dsl.testing.plan import Level, Mocks, TaskDefs, mock_request, plan
from deploy_dsl.testing.references import TaskIndex
from deploy_dsl.testing.result import FlowResult, TaskRun, read_result
from deploy_dsl.testing.watchdog import look
from deploy_dsl.workflow import AnyWorkflow, Workflow

__all__ = ["DEFAULT_BUDGET_SECONDS", "FlowRunner", "checked_input"]

DEFAULT_BUDGET_SECONDS = 60.0
# Most runs end before the first look; a stuck one is found within half a second of it, and an
# execution idle at two looks in a row is decided.
_FIRST_LOOK_SECONDS = 0.5
_LOOK_EVERY_SECONDS = 0.5
# How long a terminated run may take to return, and a finished one to read as terminal.
_SETTLE_SECONDS = 15.0


class FlowRunner:
    """Runs flow tests on one server; one per test session (it remembers what it registered)."""

    def __init__(
        self,
        connection: Connection,
        taskdefs: TaskDefs,
        *,
        budget_seconds: float = DEFAULT_BUDGET_SECONDS,
        compile_options: CompileOptions | None = None,
    ) -> None:
        """`compile_options` are build's by default: the same JSON as build/ (the HTTP tasks'
        URLs are never called)."""
        self.connection = connection
        # Two clients: the test call blocks one in a thread while the other watches.
        self._caller = ConductorApi(connection)
        self._reader = ConductorApi(connection)
        self.taskdefs = taskdefs
        self.budget_seconds = budget_seconds
        self._isolator = Isolator(taskdefs, compile_options)
        self._registered: set[str] = set()
        self.runs = 0
        # Executions the test call left undecided, decided by the watchdog (see watchdog).
        self.decided = 0

    def run(
        self,
        workflow: AnyWorkflow,
        input: BaseModel | Mapping[str, Any] | None = None,
        mocks: Mocks | None = None,
        *,
        budget_seconds: float | None = None,
    ) -> FlowResult:
        """Runs `workflow` with `input`, its tasks answered by `mocks`, and returns what it did.

        Raises MockError before anything is sent when a mock does not fit its task,
        MissingMock when the run reaches a task no mock answers (it is stopped there), and
        RunDidNotFinish when it does not end within the budget (default 60 s).
        """
        if not isinstance(workflow, Workflow):
            raise FlowTestError(f"run() takes a Workflow, got {workflow!r}")
        level = plan(workflow, mocks or {}, self.taskdefs)
        inputs = checked_input(workflow, input)
        return self._run(workflow, inputs, level, budget_seconds or self.budget_seconds, False)

    def run_planned(
        self,
        workflow: AnyWorkflow,
        inputs: Mapping[str, Any],
        level: Level,
        *,
        budget_seconds: float | None = None,
    ) -> FlowResult:
        """Runs `workflow` with mocks already planned (a replay plans them from a recording)
        and `inputs` as they are. A run that reaches a task no mock answers, or that does not
        end within the budget, is stopped there and returned as far as it went, with
        `stopped` saying why, instead of raising."""
        return self._run(workflow, inputs, level, budget_seconds or self.budget_seconds, True)

    def run_task(self, task: Task, inputs: Mapping[str, Any]) -> TaskRun:
        """Runs one script task (INLINE, JSON_JQ_TRANSFORM) of a definition on its own, with
        literal `inputs` in place of the references it reads: the engine evaluates the same
        script. `inputs` must name exactly the task's own inputs."""
        if not isinstance(task, Inline | JsonJq):
            raise FlowTestError(
                f"run_task(): {getattr(task, 'ref', task)!r} is not an Inline or JsonJq task"
            )
        if set(inputs) != set(task.inputs):
            raise FlowTestError(
                f"run_task({task.ref!r}): give exactly its inputs {sorted(task.inputs)}, "
                f"got {sorted(inputs)}"
            )
        alone = copy.copy(task)
        alone.inputs = dict(inputs)
        workflow = Workflow(
            f"flowtest.{task.ref}", version=1, tasks=[alone], owner_email=SCRATCH_OWNER
        )
        return self.run(workflow).last(alone)

    # -- the call ------------------------------------------------------------------------------

    def _run(
        self, workflow: AnyWorkflow, inputs: Any, level: Level, budget: float, keep: bool
    ) -> FlowResult:
        """`keep`: a stopped run is returned as far as it went (run_planned), not raised."""
        isolated = self._isolator.isolate(workflow)
        self._register(isolated.scratch)
        request = {
            "name": workflow.name,
            "version": workflow.version,
            "correlationId": f"flowtest-{uuid.uuid4()}",
            "workflowDef": isolated.definition,
            "input": inputs,
            **mock_request(level),
        }
        self.runs += 1
        stopped: StoppedRun | None = None
        try:
            execution = self._execute(request, level, budget)
        except StoppedRun as error:
            if not keep or error.workflow_id is None:
                raise
            execution, stopped = self._reader.execution(error.workflow_id), error

        def failure(started: str, failed: Level) -> FlowResult:
            return self._failure(started, failed, budget, keep)

        return read_result(execution, level, self._reader.execution, failure, stopped)

    def _failure(self, started: str, failed: Level, budget: float, keep: bool) -> FlowResult:
        """The failure workflow the server started when an execution of `failed` ended. The test
        request does not reach that run (its HTTP tasks wait in the isolated queue for mocks
        that never come), so it is stopped and the failure workflow is run again, with the input
        the server gave it, under the test's mocks for it."""
        workflow = failed.workflow.failure_workflow
        assert isinstance(workflow, Workflow)  # the isolation refuses any other
        server_run = self._reader.execution(started)
        empty = Level(TaskIndex.of(workflow), f"{failed.path} > failure workflow", self.taskdefs)
        if server_run.get("status") in TERMINAL_STATUSES and failed.failure is None:
            return read_result(server_run, empty, self._reader.execution, self._no_failure)
        self._stop("replayed by the flow test with its mocks", started)
        if failed.failure is None:
            seen = look(server_run, empty, self._reader.execution)
            missing = MissingMock(
                f"{seen.stuck or f'no mock for {empty.path}'}; the server started "
                f"{workflow.name} when {failed.workflow.name} ended "
                f"{(server_run.get('input') or {}).get('failureStatus')}: mock it under the "
                f"{workflow.name} Workflow object among {failed.workflow.name}'s mocks",
                started,
                seen.stuck_task or empty.path,
            )
            if not keep:
                raise missing
            stopped = self._reader.execution(started)
            return read_result(stopped, empty, self._reader.execution, self._no_failure, missing)
        # The server starts it with the whole failed execution as `failedWorkflow`, an object
        # paths into which resolve to null at its first decide; as JSON here they would not.
        inputs = {k: v for k, v in (server_run.get("input") or {}).items() if k != "failedWorkflow"}
        return self._run(workflow, inputs, failed.failure, budget, keep)

    @staticmethod
    def _no_failure(started: str, level: Level) -> FlowResult:
        raise FlowTestError(f"{level.path}: a failure workflow's own failure workflow ({started})")

    def _register(self, scratch: Mapping[str, dict[str, Any]]) -> None:
        fresh = [body for name, body in scratch.items() if name not in self._registered]
        if fresh:
            self._reader.put_workflows(fresh)
            self._registered.update(body["name"] for body in fresh)

    def _execute(self, request: dict[str, Any], level: Level, budget: float) -> dict[str, Any]:
        name, correlation = str(request["name"]), str(request["correlationId"])
        deadline = time.monotonic() + budget
        stopped: StoppedRun | None = None
        root: str | None = None
        idle: set[str] = set()
        # Not a `with` block: on an error here, do not wait for the test call to return.
        pool = ThreadPoolExecutor(1, thread_name_prefix="flowtest")
        try:
            call = pool.submit(
                self._caller.test_workflow, request, read_timeout=budget + _SETTLE_SECONDS
            )
            wait = _FIRST_LOOK_SECONDS
            while True:
                try:
                    answer = call.result(timeout=wait)
                    break
                except FutureTimeout:
                    wait = _LOOK_EVERY_SECONDS
                if stopped is not None:
                    if time.monotonic() > deadline + _SETTLE_SECONDS:
                        raise RunDidNotFinish(f"{stopped}; the stopped run did not return", root)
                    continue
                root = root or self._root(name, correlation)
                if root is None:
                    continue
                seen = look(self._reader.execution(root), level, self._reader.execution)
                if seen.stuck is not None:
                    stopped = MissingMock(seen.stuck, root, seen.stuck_task)
                elif time.monotonic() > deadline:
                    stopped = RunDidNotFinish(
                        f"{level.path} did not finish within {budget:g} s", root
                    )
                if stopped is not None:
                    self._stop(str(stopped), root)
                    continue
                for workflow_id in idle.intersection(seen.idle):
                    self._decide(workflow_id)
                idle = set(seen.idle)
        finally:
            pool.shutdown(wait=False)
        if stopped is not None:
            raise stopped
        return self._finished(str(answer["workflowId"]), level)

    def _finished(self, root: str, level: Level) -> dict[str, Any]:
        """The execution once terminal. WorkflowTestService stops without waiting when the
        workflow under test reaches a task with no mock key: that is found here."""
        deadline = time.monotonic() + _SETTLE_SECONDS
        while True:
            execution = self._reader.execution(root)
            if execution.get("status") in TERMINAL_STATUSES:
                return execution
            seen = look(execution, level, self._reader.execution)
            for workflow_id in seen.idle:
                self._decide(workflow_id)
            stopped: StoppedRun | None = None
            if seen.stuck is not None:
                stopped = MissingMock(seen.stuck, root, seen.stuck_task)
            elif time.monotonic() > deadline:
                stopped = RunDidNotFinish(f"{level.path} did not finish", root)
            if stopped is not None:
                self._stop(str(stopped), root)
                raise stopped
            time.sleep(0.05)

    def _decide(self, workflow_id: str) -> None:
        self.decided += 1
        with contextlib.suppress(ServerError):  # it ended meanwhile
            self._reader.decide(workflow_id)

    def _root(self, name: str, correlation: str) -> str | None:
        found = self._reader.correlated(name, correlation)
        return str(found[0]["workflowId"]) if found else None

    def _stop(self, why: str, root: str) -> None:
        """Terminates the root: the server terminates its sub-workflows with it
        (WorkflowExecutorOps.terminateWorkflow), which ends the test call's loops, each of
        which checks only its own execution's status."""
        # Why it stopped is what to report; the test call's end is awaited anyway.
        with contextlib.suppress(ServerError, ServerUnreachable):
            self._reader.terminate(root, f"flowtest: {why}"[:500])


def checked_input(workflow: AnyWorkflow, given: BaseModel | Mapping[str, Any] | None) -> Any:
    """The input as sent: a model instance as JSON; a mapping checked against the workflow's
    input model (as `deploy-dsl run` does) and sent as given. InputRefused names what the model
    refuses."""
    if isinstance(given, BaseModel):
        return given.model_dump(mode="json", by_alias=True)
    inputs = dict(given or {})
    if workflow.input_model is not None:
        try:
            workflow.input_model.model_validate(inputs)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "(the input)"
            raise InputRefused(
                f"input of {workflow.name}: {where}: {first['msg']} "
                f"({workflow.input_model.__name__})"
            ) from None
    return inputs

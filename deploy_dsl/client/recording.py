"""A finished execution as a recording: what `deploy-dsl record` writes and a replay mocks from.

A recording is one execution with every execution it started: the sub-workflows of its
SUB_WORKFLOW tasks (a dynamic fork's children are SUB_WORKFLOW tasks too), followed down, and
the failure workflow the server started when it failed. Per execution: the workflow, its
version, id, status, input and output; per task, in the order the server scheduled it (`seq`,
so retries and DO_WHILE iterations in their place): its reference, type, iteration, retry
count, status and output, the branch a SWITCH or DECISION took (its kind's `branch`), and the
sub-workflow it ran.

What is left out, so that a recording is small and safe to commit:
- values the project's redaction rule hides (deploy_dsl.redaction: keys that name a secret,
  and the Orkes key and secret wherever they appear) become "(hidden)";
- an HTTP task's response headers (Date, Server, Content-Length: transport detail); its status
  code, reason phrase and body are kept. A definition that reads a response header replays
  without it;
- a failure workflow's `failedWorkflow` input (the whole failed execution again);
- everything else the server keeps (task ids, times, poll counts, the definitions).

The file is canonical JSON (deploy_dsl.canonical), keys in the order of the models below.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from deploy_dsl.canonical import canonical_json
from deploy_dsl.client.history import search_query
from deploy_dsl.errors import DeployDslError
from deploy_dsl.kinds import kind_at_run_time
from deploy_dsl.redaction import redact
from deploy_dsl.wire import WorkflowTask

__all__ = [
    "FAILURE_WORKFLOW_KEY",
    "FINISHED",
    "FORMAT",
    "RecordedExecution",
    "RecordedTask",
    "Recording",
    "RecordingError",
    "finished_executions",
    "parse_recording",
    "record",
]

FORMAT: Final = 1
# Where the server names the failure workflow it started (WorkflowExecutorOps.terminateWorkflow).
FAILURE_WORKFLOW_KEY: Final = "conductor.failure_workflow"
# What a replay can reproduce: an execution that ended by itself. A TERMINATED one was
# stopped from outside, which no definition decides.
FINISHED: Final = ("COMPLETED", "FAILED", "TIMED_OUT")
# A correlation id the flow-test runner gives its runs (deploy_dsl.testing.runner): they run
# under the workflow's own name but are not executions anyone recorded.
_FLOW_TEST_CORRELATION = "flowtest-"
_MAX_DEPTH = 20  # deep enough for any real nesting; a guard against a cycle in bad data
_PAGE = 100


class RecordingError(DeployDslError):
    """An execution that cannot be recorded, or a file that is not a recording."""


class _Model(BaseModel):
    # Aliases for validation and serialization apart: the type checkers (pyright, mypy's
    # pydantic plugin) then take the field names in a constructor, as the code writes them.
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")


class RecordedTask(_Model):
    """One task of an execution: one attempt, in one iteration."""

    ref: str
    type: str  # the WorkflowTask type (SIMPLE for a worker task, not its name)
    iteration: int = 0
    retry_count: int = Field(0, validation_alias="retryCount", serialization_alias="retryCount")
    status: str
    branch: str | None = None  # the case a SWITCH or DECISION ran
    output: dict[str, Any] = Field(default_factory=dict)
    execution: RecordedExecution | None = None  # the sub-workflow it started


class RecordedExecution(_Model):
    """One execution and what it started."""

    workflow: str
    version: int
    workflow_id: str = Field(validation_alias="workflowId", serialization_alias="workflowId")
    status: str
    reason: str | None = None
    input: dict[str, Any] = Field(default_factory=dict)
    output: dict[str, Any] = Field(default_factory=dict)
    tasks: tuple[RecordedTask, ...] = ()
    failure_workflow: RecordedExecution | None = Field(
        None, validation_alias="failureWorkflow", serialization_alias="failureWorkflow"
    )

    def walk(self) -> Iterator[RecordedExecution]:
        """This execution and every one it started, depth first."""
        yield self
        for task in self.tasks:
            if task.execution is not None:
                yield from task.execution.walk()
        if self.failure_workflow is not None:
            yield from self.failure_workflow.walk()


class Recording(RecordedExecution):
    """A recording file: the recorded execution, under the format's number."""

    recording: int = FORMAT

    def to_json(self) -> str:
        """Canonical JSON: the format number first, then the execution, fields in order."""
        body = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return canonical_json({"recording": body.pop("recording"), **body})


def parse_recording(text: str, where: str) -> Recording:
    """A recording file's text, checked; RecordingError names the first problem."""
    try:
        found = Recording.model_validate_json(text)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        place = ".".join(str(p) for p in first["loc"]) or "(the file)"
        raise RecordingError(f"{where}: not a recording: {place}: {first['msg']}") from None
    if found.recording != FORMAT:
        raise RecordingError(
            f"{where}: recording format {found.recording}; this deploy-dsl reads format {FORMAT}"
        )
    return found


Fetch = Callable[[str], Mapping[str, Any]]


def record(fetch: Fetch, workflow_id: str, secrets: Collection[str] = ()) -> Recording:
    """The execution `workflow_id` and every execution it started, read through `fetch`
    (`ConductorApi.execution`), redacted; it must have finished (FINISHED)."""
    execution = fetch(workflow_id)
    status = execution.get("status")
    if status not in FINISHED:
        why = (
            "it was stopped from outside, which no replay reproduces"
            if status == "TERMINATED"
            else "it has not finished"
        )
        raise RecordingError(
            f"{execution.get('workflowName', '?')} {workflow_id} is {status}: {why}; "
            f"only {', '.join(FINISHED)} executions are recorded"
        )
    recorded = _execution(fetch, execution, tuple(secrets), 0)
    return Recording(**dict(recorded))


def _execution(
    fetch: Fetch, execution: Mapping[str, Any], secrets: tuple[str, ...], depth: int
) -> RecordedExecution:
    if depth > _MAX_DEPTH:
        raise RecordingError(f"{execution.get('workflowId')}: executions nested too deep")
    tasks = sorted(execution.get("tasks") or [], key=lambda t: int(t.get("seq") or 0))
    output = dict(execution.get("output") or {})
    failure_id = output.get(FAILURE_WORKFLOW_KEY)
    failure = None
    if isinstance(failure_id, str) and failure_id:
        failure = _execution(fetch, fetch(failure_id), secrets, depth + 1)
    inputs = dict(execution.get("input") or {})
    if depth and "failedWorkflow" in inputs:
        inputs.pop("failedWorkflow")
    return RecordedExecution(
        workflow=str(execution.get("workflowName")),
        version=int(execution.get("workflowVersion") or 0),
        workflow_id=str(execution.get("workflowId")),
        status=str(execution.get("status")),
        reason=redact(execution.get("reasonForIncompletion") or None, secrets),
        input=redact(inputs, secrets),
        output=redact(output, secrets),
        tasks=tuple(_task(fetch, task, secrets, depth) for task in tasks),
        failure_workflow=failure,
    )


def _task(
    fetch: Fetch, task: Mapping[str, Any], secrets: tuple[str, ...], depth: int
) -> RecordedTask:
    wire = task.get("workflowTask") or {}
    task_type = str(wire.get("type") or task.get("taskType"))
    output = dict(task.get("outputData") or {})
    if task_type == "HTTP" and isinstance(output.get("response"), Mapping):
        output["response"] = {k: v for k, v in output["response"].items() if k != "headers"}
    kind = kind_at_run_time(task_type)
    branch = None
    if kind is not None and kind.branch is not None and task.get("status") == "COMPLETED":
        branch = kind.branch(WorkflowTask.model_validate(wire), output)
    child_id = task.get("subWorkflowId")
    child = _execution(fetch, fetch(str(child_id)), secrets, depth + 1) if child_id else None
    return RecordedTask(
        ref=str(task.get("referenceTaskName")),
        type=task_type,
        iteration=int(task.get("iteration") or 0),
        retry_count=int(task.get("retryCount") or 0),
        status=str(task.get("status")),
        branch=branch,
        output=redact(output, secrets),
        execution=child,
    )


Search = Callable[..., Mapping[str, Any]]


def finished_executions(
    search: Search, workflow: str, *, last: int | None, since_ms: int | None
) -> list[str]:
    """The ids of the workflow's finished executions (FINISHED, any version, sub-workflows of
    other executions included), newest first: the `last` newest, those started after
    `since_ms`, or both. `search` is ConductorApi.search; flow-test runs are left out."""
    query = search_query(workflow, FINISHED, since_ms, None)
    found: list[str] = []
    start = 0
    while last is None or len(found) < last:
        page = search(query, start=start, size=_PAGE)
        results = list(page.get("results") or [])
        for summary in results:
            if not str(summary.get("correlationId") or "").startswith(_FLOW_TEST_CORRELATION):
                found.append(str(summary["workflowId"]))
        start += len(results)
        if not results or start >= int(page.get("totalHits") or 0):
            break
    return found if last is None else found[:last]

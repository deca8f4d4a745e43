"""EVENT: publishes the task's input as a message to an event queue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Unpack

from deploy_dsl.arguments import require
from deploy_dsl.checking import Placement, WorkflowScope, fails
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref, value_schema
from deploy_dsl.findings import Code
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned
from deploy_dsl.schemas import ANY, LEAF, Schema
from deploy_dsl.task import CompileOptions, Task, TaskOptions
from deploy_dsl.wire import WorkflowTask

__all__ = ["KIND", "Event"]

# What Event.start adds to the task's input to make its output (and the message).
_PUBLISHED: Final[dict[str, Schema]] = {
    "workflowInstanceId": LEAF,
    "workflowType": LEAF,
    "workflowVersion": LEAF,
    "correlationId": LEAF,
    "taskToDomain": ANY,
    "event_produced": LEAF,
}


class Event(Task[Ref]):
    """Publishes a message to an event queue (EVENT).

    The message is the task's inputs plus the workflow's identity (workflowInstanceId,
    workflowType, ...), which are also its output. `conductor:<queue>` is the server's own
    queue, which event handlers listen on; other sinks (`sqs:`, `kafka:`, `amqp:`, `nats:`)
    need that module configured on the server.

    Args:
        ref: the task reference name (see Task).
        sink: where to publish: `conductor`, `conductor:<queue>`, or `<type>:<queue>`.
        **options: TaskOptions (`inputs` are the message; `async_complete` keeps the task
            IN_PROGRESS until something completes it).
    """

    type = "EVENT"

    def __init__(self, ref: str, *, sink: str, **options: Unpack[TaskOptions]) -> None:
        super().__init__(ref, **options)
        require(f"Event {ref!r}", "sink", sink, str)
        if not sink.strip():
            raise DefinitionError(f"Event {ref!r}: sink is empty")
        self.sink = sink

    def output_fields(self) -> Schema:
        schema = value_schema(self.inputs)
        assert isinstance(schema, Mapping)
        return {**schema, **_PUBLISHED}

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {"sink": self.sink}


def _check(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    sink = task.sink
    if not sink:
        scope.report(
            Code.TASK_FIELD_MISSING, ref, "EVENT has no sink: " + fails(placement, "it FAILS")
        )
    elif sink.startswith("conductor") and sink != "conductor" and not sink.startswith("conductor:"):
        # Event.computeQueueName: "Invalid / Unsupported sink specified".
        scope.report(
            Code.TASK_FIELD_MISSING,
            ref,
            f"EVENT sink {sink!r} is neither `conductor` nor `conductor:<queue>`: the task FAILS "
            "(an unsupported sink)",
        )


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    sink = raw.get("sink")
    if not isinstance(sink, str) or not sink.strip():
        return "EVENT has no sink"
    return ImportPlan(Event, [("sink", code.literal(sink))], nested=frozenset())


def _detail(task: WorkflowTask) -> str | None:
    return task.sink


KIND = Kind(
    type="EVENT",
    builder=Event,
    summary="Publishes its input as a message to an event queue (its sink).",
    example=lambda: [Event("announce", sink="conductor:deployments", inputs={"scope": "svc-a"})],
    plan=_plan,
    check=_check,
    detail=_detail,
    flow="stand_in",
)

"""The Schedule builder: a workflow the server's scheduler starts on a cron expression (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from deploy_dsl.arguments import require
from deploy_dsl.errors import DefinitionError
from deploy_dsl.location import caller_location
from deploy_dsl.trigger_wire import StartWorkflowRequest, WorkflowSchedule
from deploy_dsl.workflow import AnyTarget, ExternalWorkflow, Workflow

__all__ = ["Schedule", "epoch_ms", "start_input"]


class Schedule:
    """A workflow started by Conductor's scheduler at the times a cron expression names.

    The expression is read as the server's scheduler reads it (Spring's CronExpression): six
    fields, seconds first, so `"0 0 2 * * *"` is 02:00:00 every day and `"0 30 1 * * MON-FRI"`
    01:30 on weekdays; `@daily`, `@hourly` and the other macros work too. `build` checks it,
    the time zone, the workflow it starts and the input against that workflow's input model.
    The server adds `_startedByScheduler`, `_scheduledTime` and a few other keys to the input
    of each run it starts.

    Args:
        name: the schedule's name, unique on the server.
        cron: when to start the workflow (six fields, seconds first, or a macro).
        workflow: the Workflow (or ExternalWorkflow) to start, at its version.
        input: the start input: an instance of the workflow's input model, or a mapping
            checked against it at build time.
        zone: the time zone the expression is read in (`"Europe/Berlin"`); the server's
            default is UTC.
        paused: registered paused: it starts nothing until resumed (and `plan` shows a
            schedule resumed on the server as drift).
        paused_reason: why it is paused, shown by the server.
        catch_up: after the server was down, start the runs it missed
            (runCatchupScheduleInstances).
        start: no run before this moment (a timezone-aware datetime).
        end: no run after this moment (a timezone-aware datetime).
        correlation_id: the correlation id of every run it starts.
        description: shown by the server and in the docs.
    """

    def __init__(
        self,
        name: str,
        *,
        cron: str,
        workflow: AnyTarget,
        input: BaseModel | Mapping[str, Any] | None = None,
        zone: str | None = None,
        paused: bool = False,
        paused_reason: str | None = None,
        catch_up: bool = False,
        start: datetime | None = None,
        end: datetime | None = None,
        correlation_id: str | None = None,
        description: str | None = None,
    ) -> None:
        require("Schedule", "name", name, str)
        if not name:
            raise DefinitionError("a Schedule needs a name")
        owner = f"Schedule {name!r}"
        require(owner, "cron", cron, str)
        require(owner, "workflow", workflow, Workflow, ExternalWorkflow)
        require(owner, "input", input, BaseModel, Mapping, optional=True)
        require(owner, "zone", zone, str, optional=True)
        require(owner, "paused", paused, bool)
        require(owner, "paused_reason", paused_reason, str, optional=True)
        require(owner, "catch_up", catch_up, bool)
        require(owner, "start", start, datetime, optional=True)
        require(owner, "end", end, datetime, optional=True)
        require(owner, "correlation_id", correlation_id, str, optional=True)
        require(owner, "description", description, str, optional=True)
        self.name = name
        self.cron = cron
        self.workflow = workflow
        self.input = input
        self.zone = zone
        self.paused = paused
        self.paused_reason = paused_reason
        self.catch_up = catch_up
        self.start = epoch_ms(owner, "start", start)
        self.end = epoch_ms(owner, "end", end)
        self.correlation_id = correlation_id
        self.description = description
        self.location = caller_location()

    def describe(self) -> str:
        """What the workflow's docs page says of it."""
        state = ", registered paused" if self.paused else ""
        return f"starts it on cron `{self.cron}` ({self.zone or 'UTC'}){state}"

    def to_wire(self) -> WorkflowSchedule:
        request = StartWorkflowRequest(
            name=self.workflow.name,
            version=self.workflow.version,
            correlation_id=self.correlation_id,
            input=start_input(self.input),
        )
        return WorkflowSchedule(
            name=self.name,
            description=self.description,
            cron_expression=self.cron,
            zone_id=self.zone,
            paused=self.paused,
            paused_reason=self.paused_reason,
            run_catchup_schedule_instances=self.catch_up,
            schedule_start_time=self.start,
            schedule_end_time=self.end,
            start_workflow_request=request,
        )


def start_input(value: BaseModel | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The JSON of a start input: a model instance as its fields (aliases, JSON types; a
    field left None is left out, as the server's mapper leaves out nulls)."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dict(value)


def epoch_ms(owner: str, argument: str, moment: datetime | None) -> int | None:
    """A datetime as the epoch milliseconds the server stores; a naive one is refused: the
    server and the machine that builds may be in different zones."""
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise DefinitionError(
            f"{owner}: {argument} must be timezone-aware (datetime(..., tzinfo=UTC)), got "
            f"{moment.isoformat()}"
        )
    return int(moment.timestamp() * 1000)

"""Execution history: the search query for the server's index, and what a summary says (pure).

`GET /api/workflow/search` answers summaries (WorkflowSummary): times as ISO strings, the
input and output as the server's Java `Map.toString()` (`{scope=svc-a, version=1}`), not
JSON. The query language is the index DAO's (SQLite and PostgreSQL in 3.32.3: `field='value'`,
`field IN (a,b)`, `startTime>millis`, joined by AND); `freeText` matches words of the input
and output, so a scope is asked for there and then matched exactly here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from deploy_dsl.durations import parse_duration
from deploy_dsl.errors import DeployDslError

__all__ = [
    "STATUSES",
    "BadFilter",
    "Summary",
    "search_query",
    "since_millis",
    "summary",
]

# WorkflowModel.Status, the values `status=` takes.
STATUSES: Final = ("RUNNING", "COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED", "PAUSED")
# A value the query language takes as it is: no quote, no parenthesis, no comma.
_PLAIN = re.compile(r"[\w.:@/+-]+\Z")
_SCHEDULED_BY = re.compile(r"(?:^|[{,\s])_startedByScheduler=([^,}]+)")
_OUTCOME = re.compile(r"(?:^|[{,\s])outcome=([^,}]+)")


class BadFilter(DeployDslError, ValueError):
    """A history filter the server's query language cannot say."""


def since_millis(text: str, now_ms: int) -> int:
    """`--since`: a duration back from now (`30m`, `2h`, `1d 6h`, Conductor's duration
    grammar) or a moment (`2030-01-31`, `2030-01-31T08:00`, UTC unless it says otherwise)."""
    seconds = parse_duration(text)
    if seconds:
        return now_ms - seconds * 1000
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadFilter(
            f"--since {text!r} is neither a duration ('30m', '2h', '1d') nor a date or time "
            "('2030-01-31', '2030-01-31T08:00')"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def search_query(
    workflow: str | None,
    statuses: Sequence[str],
    since_ms: int | None,
    correlation_id: str | None,
) -> str:
    parts = []
    if workflow is not None:
        parts.append(f"workflowType='{_plain('workflow', workflow)}'")
    if statuses:
        unknown = sorted(set(statuses) - set(STATUSES))
        if unknown:
            raise BadFilter(f"--status {', '.join(unknown)}: one of {', '.join(STATUSES)}")
        parts.append(f"status IN ({','.join(statuses)})")
    if since_ms is not None:
        parts.append(f"startTime>{since_ms}")
    if correlation_id is not None:
        parts.append(f"correlationId='{_plain('correlation id', correlation_id)}'")
    return " AND ".join(parts)


def _plain(what: str, value: str) -> str:
    if not _PLAIN.match(value):
        raise BadFilter(f"{what} {value!r}: letters, digits and . : @ / + - _ only")
    return value


@dataclass(frozen=True)
class Summary:
    workflow_id: str
    workflow: str
    version: int | None
    status: str
    started: str
    seconds: float | None
    correlation_id: str | None
    scheduled_by: str | None
    outcome: str | None
    reason: str | None
    input_text: str

    def mentions_scope(self, scope: str) -> bool:
        """Whether the input holds `scope=<scope>` anywhere (a deploy's own, or one of a
        pipeline's or rollout's services)."""
        pattern = rf"(?:^|[{{,\s])scope={re.escape(scope)}(?=[,}}\]])"
        return re.search(pattern, self.input_text) is not None

    def line(self) -> str:
        took = f"{self.seconds:7.1f}s" if self.seconds is not None else "        -"
        notes = []
        if self.outcome:
            notes.append(f"outcome {self.outcome}")
        if self.scheduled_by:
            notes.append(f"started by schedule {self.scheduled_by}")
        if self.correlation_id:
            notes.append(f"correlation {self.correlation_id}")
        note = f"  ({'; '.join(notes)})" if notes else ""
        version = f"v{self.version}" if self.version is not None else ""
        what = f"{self.workflow} {version}"
        when = _shown_time(self.started)
        return f"{when:20s} {what:32s} {self.status:10s} {took}  {self.workflow_id}{note}"

    def to_json(self) -> dict[str, Any]:
        return {
            "workflowId": self.workflow_id,
            "workflowName": self.workflow,
            "version": self.version,
            "status": self.status,
            "startTime": self.started,
            "seconds": self.seconds,
            "correlationId": self.correlation_id,
            "scheduledBy": self.scheduled_by,
            "outcome": self.outcome,
            "reasonForIncompletion": self.reason,
        }


def summary(found: Mapping[str, Any]) -> Summary:
    """One search result (WorkflowSummary) as history shows it."""
    input_text, output_text = str(found.get("input") or ""), str(found.get("output") or "")
    scheduled = _SCHEDULED_BY.search(input_text)
    outcome = _OUTCOME.search(output_text)
    executed = found.get("executionTime")
    version = found.get("version")
    return Summary(
        workflow_id=str(found.get("workflowId", "")),
        workflow=str(found.get("workflowType", "?")),
        version=version if isinstance(version, int) else None,
        status=str(found.get("status", "?")),
        started=str(found.get("startTime") or ""),
        seconds=executed / 1000 if isinstance(executed, int) and executed > 0 else None,
        correlation_id=found.get("correlationId") or None,
        scheduled_by=scheduled.group(1) if scheduled else None,
        outcome=outcome.group(1) if outcome else None,
        reason=found.get("reasonForIncompletion") or None,
        input_text=input_text,
    )


def _shown_time(value: Any) -> str:
    """`2030-01-31T08:00:00.123Z` as `2030-01-31 08:00:00Z`."""
    text = str(value or "")
    return re.sub(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?Z$", r"\1 \2Z", text)

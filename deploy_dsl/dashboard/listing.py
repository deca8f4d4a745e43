"""The deployments list: filters from the page's query string, the search they make, and the
rows it shows (pure: the searches' answers are given)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from deploy_dsl.errors import DeployDslError

__all__ = [
    "PERIODS",
    "STATUSES",
    "BadFilter",
    "Filters",
    "Row",
    "Search",
    "merge",
    "queries",
    "rows",
]

STATUSES = ("RUNNING", "COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED", "PAUSED")
PERIODS = {"1h": 3600, "24h": 86400, "7d": 7 * 86400, "all": None}
# Rows per list: the running ones, then the most recent of the rest.
PAGE_SIZE = 50
# `scope=` in the server's text of an input map (WorkflowSummary.input is the Java Map's
# toString, `{scope=svc-a, env=prod}`, not JSON): every scope of a deploy, pipeline or rollout.
_SCOPE = re.compile(r"(?<![\w$])scope=([^,{}\[\]]*)")
# The server's free text is a LIKE '%text%' over the summary's JSON (SqliteIndexQueryBuilder.
# parseFreeText); the summary escapes quotes and backslashes and `*` means `%`: the longest
# piece of the scope without them is searched, the scope itself then matched exactly here.
_FREE_TEXT_UNSAFE = re.compile(r"[\"'()*\\]")


class BadFilter(DeployDslError):
    """A filter the page cannot apply (an unknown workflow, status or period)."""


@dataclass(frozen=True)
class Filters:
    workflow: str = ""
    status: str = ""
    scope: str = ""
    period: str = "all"
    nested: bool = False  # sub-workflows too (each deploy of a pipeline, each finalize)

    @classmethod
    def parse(cls, args: Mapping[str, str], workflows: Iterable[str]) -> Filters:
        """From the query string; an unknown value is a BadFilter naming it."""
        chosen = cls(
            workflow=args.get("workflow", "").strip(),
            status=args.get("status", "").strip().upper(),
            scope=args.get("scope", "").strip(),
            period=args.get("period", "all").strip() or "all",
            nested=args.get("nested", "") in ("1", "on", "true"),
        )
        if chosen.workflow and chosen.workflow not in set(workflows):
            raise BadFilter(f"workflow {chosen.workflow!r} is not one of the project's")
        if chosen.status and chosen.status not in STATUSES:
            raise BadFilter(f"status {chosen.status!r} is not one of {', '.join(STATUSES)}")
        if chosen.period not in PERIODS:
            raise BadFilter(f"period {chosen.period!r} is not one of {', '.join(PERIODS)}")
        return chosen

    def query_string(self) -> dict[str, str]:
        """The filters that differ from the defaults, for links and the live endpoint."""
        found = {
            "workflow": self.workflow,
            "status": self.status,
            "scope": self.scope,
            "period": "" if self.period == "all" else self.period,
            "nested": "1" if self.nested else "",
        }
        return {key: value for key, value in found.items() if value}


@dataclass(frozen=True)
class Search:
    """One call of the search API: the conditions, the free text and how many."""

    query: str
    free_text: str
    size: int


def queries(filters: Filters, workflows: Sequence[str], now_ms: int) -> list[Search]:
    """What to ask the server: the running executions first (unless a status is chosen), then
    the most recent ones. An empty `workflows` means every workflow on the server."""
    names = [filters.workflow] if filters.workflow else sorted(workflows)
    conditions = [f"workflowType IN ({','.join(names)})"] if names else []
    if not filters.nested:
        conditions.append('parentWorkflowId=""')
    seconds = PERIODS[filters.period]
    if seconds is not None:
        conditions.append(f"startTime>{now_ms - seconds * 1000}")
    pieces = _FREE_TEXT_UNSAFE.split(filters.scope)
    free_text = max(pieces, key=len) or "*"
    if filters.status:
        chosen = " AND ".join([*conditions, f"status IN ({filters.status})"])
        return [Search(chosen, free_text, PAGE_SIZE)]
    running = " AND ".join([*conditions, "status IN (RUNNING,PAUSED)"])
    return [
        Search(running, free_text, PAGE_SIZE),
        Search(" AND ".join(conditions), free_text, PAGE_SIZE),
    ]


@dataclass(frozen=True)
class Row:
    workflow_id: str
    workflow: str
    version: int | None
    status: str
    start_ms: int | None
    end_ms: int | None
    scopes: tuple[str, ...]
    reason: str
    parent_id: str
    waves: bool  # a pipeline or rollout: its page shows the waves
    canary: bool  # runs canary steps: its execution page shows the canary's panel

    @property
    def running(self) -> bool:
        return self.status in ("RUNNING", "PAUSED")


def merge(answers: Sequence[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], int]:
    """The searches' results in order without repeats, and the largest total the server gave."""
    seen: set[str] = set()
    merged: list[Mapping[str, Any]] = []
    total = 0
    for answer in answers:
        total = max(total, int(answer.get("totalHits") or 0))
        for summary in answer.get("results") or []:
            workflow_id = str(summary.get("workflowId", ""))
            if workflow_id and workflow_id not in seen:
                seen.add(workflow_id)
                merged.append(summary)
    return merged, total


def rows(
    summaries: Iterable[Mapping[str, Any]],
    filters: Filters,
    waves_workflows: Iterable[str],
    canary_workflows: Iterable[str] = (),
) -> list[Row]:
    """One row per summary, keeping those whose scopes hold the scope filter (the server's free
    text matched it anywhere in the execution's summary)."""
    waves, canaries = set(waves_workflows), set(canary_workflows)
    found = []
    for summary in summaries:
        text = str(summary.get("input") or "")
        scopes = tuple(dict.fromkeys(s.strip() for s in _SCOPE.findall(text) if s.strip()))
        if filters.scope and not any(filters.scope in scope for scope in scopes):
            continue
        name = str(summary.get("workflowType", "?"))
        version = summary.get("version")
        found.append(
            Row(
                workflow_id=str(summary.get("workflowId", "")),
                workflow=name,
                version=int(version) if isinstance(version, int) else None,
                status=str(summary.get("status", "?")),
                start_ms=_epoch_ms(summary.get("startTime")),
                end_ms=_epoch_ms(summary.get("endTime")),
                scopes=scopes,
                reason=str(summary.get("reasonForIncompletion") or ""),
                parent_id=str(summary.get("parentWorkflowId") or ""),
                waves=name in waves,
                canary=name in canaries,
            )
        )
    return found


def _epoch_ms(value: Any) -> int | None:
    """The search answers times as ISO text (`2026-12-07T02:29:38.244Z`), or epoch ms."""
    if isinstance(value, int):
        return value or None
    if not isinstance(value, str) or not value:
        return None
    if value.isdigit():
        return int(value) or None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)

"""A pipeline or rollout as waves of services: each service's state with its reason, and the
gate a wave waits on (pure: the execution tree and its waiting gates are given).

A workflow is read as waves when its input has `waves: [{services: [{scope, ...}]}]`, as
pipeline_simple_v1 and rollout_v1 (and any project's workflow built the same way) take. The
executions of wave N are the sub-workflows its loop started in iteration N (a deploy, or a
wave workflow holding the deploys); a deploy is the first execution down that path whose input
has a `scope`. A wave's summary, when the workflow writes one, is a task result holding
`rolledBack` and `reasons` (rollout_wave_v1's and pipeline_simple_v1's summarize_wave).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deploy_dsl.client.approvals import WaitingGate
from deploy_dsl.client.tree import ExecutionNode

__all__ = ["Service", "Wave", "current_steps", "waves"]

_ENDED_BADLY = frozenset({"FAILED", "TIMED_OUT", "TERMINATED"})
_RUNNING_TASK = frozenset({"SCHEDULED", "IN_PROGRESS"})


@dataclass(frozen=True)
class Service:
    scope: str
    version: str
    env: str
    state: str  # running, finalized, rolled back, failed, not started
    reason: str
    workflow_id: str | None  # the deploy's execution, once started
    afterwards: str = ""  # what happened to it after the waves (rolled back at a halt)


@dataclass(frozen=True)
class Wave:
    number: int
    label: str
    state: str  # not started, waiting for approval, running, done, halted
    services: tuple[Service, ...]
    gates: tuple[WaitingGate, ...] = ()
    verdict: str = ""  # the gate's decision, as the wave's summary records it
    reason: str = ""  # why the workflow stopped after this wave
    workflow_id: str | None = None  # the wave's own execution (rollout_wave_v1), if any


@dataclass
class _Found:
    wave: ExecutionNode | None = None
    deploys: dict[str, ExecutionNode] = field(default_factory=dict)


def waves(tree: ExecutionNode, gates: Sequence[WaitingGate]) -> list[Wave] | None:
    """The waves of the execution, or None if its input has none."""
    root = tree.execution
    given = (root.get("input") or {}).get("waves")
    if not isinstance(given, list) or not all(isinstance(w, Mapping) for w in given):
        return None
    found: dict[int, _Found] = {}
    afterwards: dict[str, str] = {}
    for task, child in tree.children:
        iteration = int(task.get("iteration") or 0)
        if iteration == 0:  # after the loop: rolling back what a halted rollout finalized
            deployment = (child.execution.get("input") or {}).get("deploymentId")
            if isinstance(deployment, str):
                afterwards[deployment] = _afterwards(child)
            continue
        slot = found.setdefault(iteration, _Found())
        for deploy in _deploys(child):
            slot.deploys.setdefault(_scope(deploy) or "", deploy)
        if _scope(child) is None:
            slot.wave = child
    ended = root.get("status") not in ("RUNNING", "PAUSED")
    return [
        _wave(number, spec, found.get(number, _Found()), root, gates, afterwards, ended)
        for number, spec in enumerate(given, start=1)
    ]


def _wave(
    number: int,
    spec: Mapping[str, Any],
    found: _Found,
    root: Mapping[str, Any],
    gates: Sequence[WaitingGate],
    afterwards: Mapping[str, str],
    ended: bool,
) -> Wave:
    summary = _summary(found.wave.execution if found.wave else root, number)
    if found.wave is not None:
        waiting = tuple(g for g in gates if g.workflow_id == found.wave.workflow_id)
    else:  # a gate of the root itself belongs to the wave its loop runs now
        here = root.get("workflowId")
        now = _running_wave(root) == number and root.get("status") == "RUNNING"
        waiting = tuple(g for g in gates if g.workflow_id == here and now)
    services = tuple(
        _service(
            item, found.deploys.get(str(item.get("scope"))), summary, waiting, ended, afterwards
        )
        for item in spec.get("services") or []
        if isinstance(item, Mapping)
    )
    name = spec.get("name")
    label = f"wave {number}" + (f" ({name})" if name else "")
    started = found.wave is not None or bool(found.deploys)
    if waiting:
        state = "waiting for approval"
    elif summary.get("halt") is True:
        state = "halted"
    elif any(s.state == "running" for s in services) or (
        found.wave is not None and found.wave.execution.get("status") == "RUNNING"
    ):
        state = "running"
    elif started:
        state = "done"
    else:
        state = "not started"
    return Wave(
        number=number,
        label=label,
        state=state,
        services=services,
        gates=waiting,
        verdict=_verdict(summary.get("approval")),
        reason=str(summary.get("reason") or ""),
        workflow_id=found.wave.workflow_id if found.wave else None,
    )


def _service(
    item: Mapping[str, Any],
    deploy: ExecutionNode | None,
    summary: Mapping[str, Any],
    gates: Sequence[WaitingGate],
    ended: bool,
    afterwards: Mapping[str, str],
) -> Service:
    scope = str(item.get("scope", "?"))
    version, env = str(item.get("version", "")), str(item.get("env", ""))
    if deploy is None:
        if gates:
            reason = "waits for the wave's approval"
        elif summary.get("reason") and summary.get("halt") is True:
            reason = str(summary["reason"])
        elif ended:
            reason = "the workflow ended before this deploy started"
        else:
            reason = "waits for its turn"
        return Service(scope, version, env, "not started", reason, None)
    execution = deploy.execution
    status = str(execution.get("status", "?"))
    output = execution.get("output") or {}
    reasons = summary.get("reasons") or {}
    known = str(reasons.get(scope) or "") if isinstance(reasons, Mapping) else ""
    if status in ("RUNNING", "PAUSED"):
        steps = ", ".join(current_steps(execution)) or "starting"
        state, reason = "running", f"at {steps}"
    elif status in _ENDED_BADLY:
        state = "failed"
        reason = str(execution.get("reasonForIncompletion") or status)
        reason = f"{known}: {reason}" if known else reason
    elif output.get("outcome") == "finalized":
        state, reason = "finalized", ""
    elif output.get("outcome") == "rolled_back":
        state = "rolled back"
        reason = known or f"the health check said {output.get('status') or 'no success'}"
    else:
        state, reason = status.lower(), known
    later = afterwards.get(deploy.workflow_id, "")
    return Service(scope, version, env, state, reason, deploy.workflow_id, later)


def current_steps(execution: Mapping[str, Any]) -> list[str]:
    """The references of the tasks in progress, loop bookkeeping left out."""
    return [
        str(task.get("referenceTaskName"))
        for task in execution.get("tasks") or []
        if task.get("status") in _RUNNING_TASK and task.get("taskType") != "DO_WHILE"
    ]


def _deploys(node: ExecutionNode) -> Iterator[ExecutionNode]:
    """The first executions down from `node` (itself included) whose input has a scope."""
    if _scope(node) is not None:
        yield node
        return
    for _, child in node.children:
        yield from _deploys(child)


def _scope(node: ExecutionNode) -> str | None:
    scope = (node.execution.get("input") or {}).get("scope")
    return str(scope) if isinstance(scope, str) else None


def _summary(execution: Mapping[str, Any], iteration: int) -> Mapping[str, Any]:
    """The last task result in `execution` that reads as a wave summary (of that loop
    iteration, when the tasks are in a loop)."""
    found: Mapping[str, Any] = {}
    for task in execution.get("tasks") or []:
        result = (task.get("outputData") or {}).get("result")
        if not isinstance(result, Mapping) or "rolledBack" not in result:
            continue
        if task.get("iteration") and int(task["iteration"]) != iteration:
            continue
        found = result
    summary = (execution.get("output") or {}).get("summary")
    if not found and isinstance(summary, Mapping):
        found = summary
    return found


def _running_wave(root: Mapping[str, Any]) -> int:
    loops = [t for t in root.get("tasks") or [] if t.get("taskType") == "DO_WHILE"]
    return int(loops[-1].get("iteration") or 0) if loops else 0


def _verdict(approval: Any) -> str:
    if not isinstance(approval, Mapping):
        return ""
    message = approval.get("message")
    if message:
        return str(message)
    by = approval.get("by") or "someone"
    if approval.get("approved") is True:
        return f"approved by {by}"
    if approval.get("timedOut") is True:
        return "not decided before the timeout"
    return f"rejected by {by}" + (f": {approval['reason']}" if approval.get("reason") else "")


def _afterwards(rollback: ExecutionNode) -> str:
    status = rollback.execution.get("status")
    return {
        "COMPLETED": "rolled back when the workflow halted",
        "RUNNING": "being rolled back after the halt",
    }.get(str(status), f"rollback after the halt {str(status).lower()}")

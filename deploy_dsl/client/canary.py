"""A canary's manual pauses (promote, abort) and its analyses' measurements, as people see
them: what `deploy-dsl promote ID`, `deploy-dsl abort ID` and `status` use.

A pause is a WAIT in progress marked with the `canaryPause` input (deploy_dsl.canary), found
in the execution or any sub-workflow running below it, and completed with a PauseDecision. A
measurement is an INLINE marked with `canaryAnalysis`, whose output is the AnalysisResult so
far; its newest measurement is printed under the task's line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from deploy_dsl.canary import ANALYSIS_INPUT, PAUSE_INPUT
from deploy_dsl.client.approvals import WaitingGate, complete, gates_in, waiting_gates
from deploy_dsl.client.tree import ExecutionNode

__all__ = [
    "abort",
    "analysis_result",
    "measurement_lines",
    "pause_lines",
    "pauses_in",
    "promote",
    "reading_text",
    "waiting_pauses",
]

_WHAT = "canary pause"


def waiting_pauses(api: Any, workflow_id: str) -> tuple[Mapping[str, Any], list[WaitingGate]]:
    """The execution and the canary pauses waiting in it or below it."""
    return waiting_gates(api, workflow_id, PAUSE_INPUT)


def pauses_in(tree: ExecutionNode) -> list[WaitingGate]:
    return gates_in(tree, PAUSE_INPUT)


def promote(api: Any, workflow_id: str, *, by: str, reason: str | None = None) -> WaitingGate:
    """Ends the pause the canary waits at: it goes on to its next step. Raises NoGateWaiting
    when none waits."""
    output = {"promote": True, "by": by, "reason": reason}
    return complete(api, workflow_id, output, marker=PAUSE_INPUT, what=_WHAT)


def abort(api: Any, workflow_id: str, *, by: str, reason: str) -> WaitingGate:
    """Ends the pause the canary waits at with an abort: traffic goes back to the previous
    version and the canary ends FAILED with the reason. Raises NoGateWaiting when none waits."""
    output = {"promote": False, "by": by, "reason": reason}
    return complete(api, workflow_id, output, marker=PAUSE_INPUT, what=_WHAT)


def pause_lines(pauses: Sequence[WaitingGate], workflow_id: str, now_ms: int) -> list[str]:
    """What waits for a person, and the commands that decide it."""
    lines = []
    for pause in pauses:
        waited = max(0, now_ms - pause.since_ms) // 1000 if pause.since_ms else 0
        lines += [
            f"canary paused: {pause.title} ({pause.why or 'a manual pause'}; for {waited}s; "
            f"{pause.gate} in {pause.workflow_name} {pause.workflow_id})",
            f"  promote: deploy-dsl promote {workflow_id}",
            f"  abort:   deploy-dsl abort {workflow_id} --reason TEXT",
        ]
    return lines


def analysis_result(task: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The AnalysisResult so far of an analysis's measurement task (an INLINE marked with
    `canaryAnalysis`) once it holds a measurement; None for any other task."""
    data = task.get("inputData") or {}
    if not isinstance(data.get(ANALYSIS_INPUT), Mapping):
        return None
    result = (task.get("outputData") or {}).get("result")
    if not isinstance(result, Mapping) or not result.get("measurements"):
        return None
    return result


def reading_text(reading: Mapping[str, Any]) -> tuple[str, str | None]:
    """A metric's reading as people read it: its value (4 significant digits), and what to
    say beside it. A reading without a value says why instead: no data, an error, or a value
    such as +Inf."""
    value, detail, verdict = reading.get("value"), reading.get("detail"), reading.get("verdict")
    if detail and verdict in ("passed", "failed"):
        return str(detail), None
    shown = f"{value:.4g}" if isinstance(value, int | float) else "-"
    return shown, str(detail) if detail else None


def measurement_lines(task: Mapping[str, Any]) -> list[str]:
    """For an analysis's measurement task that completed: its newest measurement, a line per
    metric (value, condition, verdict), and the analysis's verdict once decided. Nothing for
    any other task."""
    result = analysis_result(task)
    if result is None:
        return []
    last = result["measurements"][-1]
    lines = [
        f"      measurement {last.get('number')} at {result.get('where')}: {last.get('verdict')}"
    ]
    for reading in last.get("readings") or []:
        shown, detail = reading_text(reading)
        why = f" ({detail})" if detail else ""
        lines.append(
            f"        {reading.get('metric', '?'):14s} {shown:>10s}  "
            f"{reading.get('condition', '')}  {reading.get('verdict')}{why}"
        )
    if result.get("done"):
        verdict = result.get("verdict")
        reason = f": {result['reason']}" if result.get("reason") else ""
        lines.append(f"      analysis {verdict}{reason}")
    return lines

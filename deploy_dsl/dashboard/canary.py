"""A canary as its panel shows it: the steps (the weight of each, the one that runs, the traffic
weight now), each analysis's measurements, the verdict, and the pause that waits for a person
(pure: the execution tree and its waiting pauses are given).

A canary is what `deploy_dsl.canary.CanarySteps` compiles, found by the markers it leaves in the
definition the server holds in each execution: an analysis's measurement INLINE carries
`canaryAnalysis` (`{analysis: "<canary>_<n>_analysis", where: "step n (w%)"}`), a pause's WAIT
carries `canaryPause` (`{step, weight, ...}`). Step n moves the traffic with the task
`<canary>_<n>_traffic`; an abort ends the workflow with an output naming `abortedAt`, the
`reason` and the `failure` (the reading that failed, if an analysis failed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deploy_dsl.canary import ANALYSIS_INPUT, PAUSE_INPUT
from deploy_dsl.client.approvals import WaitingGate
from deploy_dsl.client.canary import analysis_result, reading_text
from deploy_dsl.client.tree import ExecutionNode
from deploy_dsl.dashboard.flow import definition_ref, server_definition
from deploy_dsl.wire import WorkflowDef, walk

__all__ = ["Analysis", "Canary", "Measurement", "Reading", "Step", "holds_canary", "panels"]

# The references CanarySteps gives a step's tasks (deploy_dsl.canary.CanarySteps).
_ANALYSIS_REF = re.compile(r"^(?P<canary>.+)_(?P<step>\d+)_analysis$")
_PAUSE_REF = re.compile(r"^(?P<canary>.+)_(?P<step>\d+)_(?:pause|held)$")
_TRAFFIC_REF = re.compile(r"^(?P<canary>.+)_(?P<step>\d+)_traffic$")
# An analysis's `where`, `step 1 (10%)`: AnalysisResult.where's form.
_WEIGHT = re.compile(r"\((\d+)%\)\s*$")
_STARTED = frozenset({"SCHEDULED", "IN_PROGRESS", "COMPLETED"})


@dataclass(frozen=True)
class Reading:
    metric: str
    value: str  # as people read it: 4 significant digits, `-` without a value
    condition: str
    verdict: str  # passed, failed, no data, error
    detail: str | None  # why there is no value, or the raw value when it is not finite


@dataclass(frozen=True)
class Measurement:
    number: int
    at_ms: int | None
    verdict: str  # passed, failed, inconclusive
    readings: tuple[Reading, ...]


@dataclass(frozen=True)
class Analysis:
    """An analysis run at one step, as its newest measurement task has it."""

    where: str
    verdict: str  # running, passed, failed, inconclusive
    reason: str | None
    passed: int
    failed: int
    inconclusive: int
    measurements: tuple[Measurement, ...]


@dataclass(frozen=True)
class Step:
    number: int
    weight: int | None  # None: neither an analysis nor a pause says it
    state: str  # not started, running, waiting, done, aborted, or how the workflow ended
    analysis: Analysis | None
    decision: str | None  # what a person decided at its pause (`promoted at ... by alice`)

    @property
    def label(self) -> str:
        weight = f" ({self.weight}%)" if self.weight is not None else ""
        return f"step {self.number}{weight}"


@dataclass(frozen=True)
class Canary:
    workflow_id: str
    workflow_name: str
    state: str  # running, waiting, completed, aborted, or the execution's status
    steps: tuple[Step, ...]
    current: Step | None  # the last step whose traffic moved
    weight_now: int | None  # the new version's share of the traffic, when known
    reason: str | None  # why it was aborted or stopped
    failure: Reading | None  # the reading that failed it
    pauses: tuple[WaitingGate, ...] = ()  # waiting for promote or abort

    @property
    def traffic(self) -> str:
        """The new version's share of the traffic now, in words."""
        if self.state == "aborted" and self.current is not None:
            weight = self.current.weight
            where = f"{weight}%" if weight is not None else f"step {self.current.number}"
            return f"back on the previous version (aborted at {where})"
        if self.weight_now is None:
            return "none moved yet" if self.current is None else "unknown"
        return f"{self.weight_now}% to the new version"


@dataclass
class _Spec:
    """A step as the definition writes it."""

    weight: int | None = None
    analyses: set[str] = field(default_factory=set)  # its analyses' DO_WHILE references
    pauses: set[str] = field(default_factory=set)  # its pauses' WAIT references


def holds_canary(body: Mapping[str, Any]) -> bool:
    """Whether a workflow (compiled, or as the server holds it) runs canary steps."""
    definition = server_definition(body)
    return definition is not None and bool(_specs(definition))


def panels(tree: ExecutionNode, pauses: Sequence[WaitingGate]) -> list[Canary]:
    """The canaries of the execution and of the sub-workflows followed below it, in the order
    the executions are walked; `pauses` are the canary pauses waiting in the tree."""
    found = []
    for _, node in tree.walk():
        definition = server_definition(node.execution.get("workflowDefinition"))
        if definition is None:
            continue
        waiting = [p for p in pauses if p.workflow_id == node.workflow_id]
        for ref, specs in _specs(definition).items():
            found.append(_canary(node.execution, ref, specs, waiting))
    return found


def _specs(definition: WorkflowDef) -> dict[str, dict[int, _Spec]]:
    """Each canary's steps, by the canary's reference and the step's number."""
    found: dict[str, dict[int, _Spec]] = {}

    def spec(canary: str, number: str) -> _Spec:
        return found.setdefault(canary, {}).setdefault(int(number), _Spec())

    for task in walk(definition.tasks):
        given = task.input_parameters or {}
        analysis, pause = given.get(ANALYSIS_INPUT), given.get(PAUSE_INPUT)
        ref = task.task_reference_name
        if isinstance(analysis, Mapping) and isinstance(analysis.get("analysis"), str):
            named = _ANALYSIS_REF.match(analysis["analysis"])
            if named:
                step = spec(named["canary"], named["step"])
                step.analyses.add(analysis["analysis"])
                weight = _WEIGHT.search(str(analysis.get("where") or ""))
                if weight and step.weight is None:
                    step.weight = int(weight.group(1))
        named = _PAUSE_REF.match(ref)
        if task.type == "WAIT" and isinstance(pause, Mapping) and named:
            step = spec(named["canary"], named["step"])
            step.pauses.add(ref)
            if isinstance(pause.get("weight"), int):
                step.weight = pause["weight"]
    for task in walk(definition.tasks):  # steps with neither an analysis nor a pause
        named = _TRAFFIC_REF.match(task.task_reference_name)
        if named and named["canary"] in found:
            spec(named["canary"], named["step"])
    return found


def _canary(
    execution: Mapping[str, Any],
    ref: str,
    specs: Mapping[int, _Spec],
    pauses: Sequence[WaitingGate],
) -> Canary:
    status = str(execution.get("status", "?"))
    output = execution.get("output") or {}
    # A workflow may hold two canaries: each shows only its own pauses.
    pauses = [p for p in pauses if any(p.gate in spec.pauses for spec in specs.values())]
    tasks: Sequence[Mapping[str, Any]] = sorted(
        execution.get("tasks") or [], key=lambda t: t.get("seq") or 0
    )
    by_ref: dict[str, list[Mapping[str, Any]]] = {}
    for task in tasks:
        by_ref.setdefault(definition_ref(task), []).append(task)
    moved = {
        number
        for number in specs
        if any(t.get("status") in _STARTED for t in by_ref.get(f"{ref}_{number}_traffic", []))
    }
    current = max(moved, default=None)
    aborted_at = output.get("abortedAt") if status == "FAILED" else None
    aborted = aborted_at.get("step") if isinstance(aborted_at, Mapping) else None
    steps = []
    for number in sorted(specs):
        spec = specs[number]
        waiting = [p for p in pauses if p.gate in spec.pauses]
        if waiting:
            state = "waiting"
        elif number == aborted:
            state = "aborted"
        elif number not in moved:
            state = "not started"
        elif number != current or status == "COMPLETED":
            state = "done"
        elif status == "RUNNING":
            state = "running"
        else:
            state = status.lower().replace("_", " ")
        steps.append(
            Step(
                number,
                spec.weight,
                state,
                _analysis(spec, tasks),
                _decision(spec, by_ref),
            )
        )
    at = next((s for s in steps if s.number == current), None)
    return Canary(
        workflow_id=str(execution.get("workflowId", "")),
        workflow_name=str(execution.get("workflowName", "?")),
        state=_state(status, pauses, aborted),
        steps=tuple(steps),
        current=at,
        weight_now=_weight_now(at, by_ref.get(f"{ref}_{current}_traffic", [])),
        reason=_reason(status, output, execution, aborted),
        failure=_reading(output.get("failure")) if aborted is not None else None,
        pauses=tuple(pauses),
    )


def _state(status: str, pauses: Sequence[WaitingGate], aborted: Any) -> str:
    if status == "RUNNING":
        return "waiting" if pauses else "running"
    if status == "FAILED" and aborted is not None:
        return "aborted"
    return status.lower().replace("_", " ")


def _reason(
    status: str, output: Mapping[str, Any], execution: Mapping[str, Any], aborted: Any
) -> str | None:
    if aborted is not None and output.get("reason"):
        return str(output["reason"])
    if status not in ("RUNNING", "COMPLETED"):
        return str(execution.get("reasonForIncompletion") or "") or None
    return None


def _weight_now(step: Step | None, traffic: Sequence[Mapping[str, Any]]) -> int | None:
    """The weight the current step set, once its traffic task completed: what the task
    answered (`trafficWeight`, as the mock worker's swap_traffic says), else the step's."""
    done = [t for t in traffic if t.get("status") == "COMPLETED"]
    if step is None or not done:
        return None
    body = ((done[-1].get("outputData") or {}).get("response") or {}).get("body")
    answered = body.get("trafficWeight") if isinstance(body, Mapping) else None
    return answered if isinstance(answered, int) else step.weight


def _analysis(spec: _Spec, tasks: Sequence[Mapping[str, Any]]) -> Analysis | None:
    """The step's analysis as its newest measurement task says (each holds every measurement
    so far)."""
    results = [
        found
        for task in tasks
        if (found := analysis_result(task)) is not None
        and (task.get("inputData") or {})[ANALYSIS_INPUT].get("analysis") in spec.analyses
    ]
    if not results:
        return None
    result = results[-1]
    return Analysis(
        where=str(result.get("where") or ""),
        verdict=str(result.get("verdict") or "?"),
        reason=str(result["reason"]) if result.get("reason") else None,
        passed=_count(result.get("passed")),
        failed=_count(result.get("failed")),
        inconclusive=_count(result.get("inconclusive")),
        measurements=tuple(
            Measurement(
                number=_count(item.get("number")),
                at_ms=item["at"] if isinstance(item.get("at"), int) else None,
                verdict=str(item.get("verdict") or "?"),
                readings=tuple(
                    r for r in map(_reading, item.get("readings") or []) if r is not None
                ),
            )
            for item in result.get("measurements") or []
            if isinstance(item, Mapping)
        ),
    )


def _decision(spec: _Spec, by_ref: Mapping[str, Sequence[Mapping[str, Any]]]) -> str | None:
    """The message of the last pause decision of the step (its INLINE `<pause>_decision`)."""
    messages = [
        str(result["message"])
        for ref in sorted(spec.pauses)
        for task in by_ref.get(f"{ref}_decision", [])
        if isinstance(result := (task.get("outputData") or {}).get("result"), Mapping)
        and result.get("message")
    ]
    return messages[-1] if messages else None


def _reading(given: Any) -> Reading | None:
    if not isinstance(given, Mapping):
        return None
    value, detail = reading_text(given)
    return Reading(
        metric=str(given.get("metric") or "?"),
        value=value,
        condition=str(given.get("condition") or ""),
        verdict=str(given.get("verdict") or "?"),
        detail=detail,
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0

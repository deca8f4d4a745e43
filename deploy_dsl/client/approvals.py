"""Approval gates that wait now (ApprovalGate's WAIT tasks in progress), and deciding one.

A gate's WAIT carries the `approval` input (deploy_dsl.controls.APPROVAL_INPUT); it may sit in
the execution itself or in any sub-workflow still running below it (rollout_v1's gates are in
its waves), so the search follows the running SUB_WORKFLOW tasks down. A canary's manual pause
is found and completed the same way, by its own input (client/canary.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from deploy_dsl.client.tree import ExecutionNode, load_tree
from deploy_dsl.controls import APPROVAL_INPUT
from deploy_dsl.errors import DeployDslError

__all__ = [
    "NoGateWaiting",
    "WaitingGate",
    "complete",
    "decide",
    "gates_in",
    "matching",
    "waiting_gates",
]

# The server's suffix on a task in a DO_WHILE's body: `<ref>__<iteration>`.
_ITERATION = re.compile(r"__\d+$")


class _Api(Protocol):
    def execution(self, workflow_id: str) -> dict[str, Any]: ...

    def complete_task(self, workflow_id: str, task_id: str, output: dict[str, Any]) -> None: ...


class NoGateWaiting(DeployDslError):
    """Nothing to approve: no gate waits in the execution (or none by the name asked for)."""


@dataclass(frozen=True)
class WaitingGate:
    """A gate's WAIT in progress, and where it is."""

    gate: str  # the WAIT's reference
    subject: str | None  # what is being approved, as the definition says
    task_id: str
    workflow_id: str  # the execution that holds the WAIT
    workflow_name: str
    path: tuple[str, ...]  # the sub-workflows' labels from the root to that execution
    since_ms: int  # when it started waiting
    timeout: str | None  # the WAIT's duration, when it has one
    why: str | None = None  # why it waits, when the marker says (a canary's pause)

    @property
    def title(self) -> str:
        """`wave 2 (eu)` if the definition gave a subject, else where the gate is."""
        return self.subject or " / ".join((*self.path, self.gate))

    @property
    def described(self) -> str:
        """`approve_wave (wave 2 (production)) in rollout_wave_v1 5c1e...`."""
        return f"{self.gate} ({self.title}) in {self.workflow_name} {self.workflow_id}"

    def answers_to(self, name: str) -> bool:
        """Whether `--gate NAME` means this gate: its reference (with or without a loop's
        `__N`), its subject, or a label on the way to it (a wave's, a service's), whole or
        as a word in it (`production` and `wave 2` both name `wave 2 (production)`)."""
        wanted = name.strip().lower()
        if wanted in (self.gate.lower(), _ITERATION.sub("", self.gate).lower()):
            return True
        pattern = re.compile(rf"(?<![\w-]){re.escape(wanted)}(?![\w-])")
        labels = [*self.path, *([self.subject] if self.subject else [])]
        return any(pattern.search(label.lower()) for label in labels)


def gates_in(tree: ExecutionNode, marker: str = APPROVAL_INPUT) -> list[WaitingGate]:
    """Every gate waiting in the tree (a WAIT in progress whose input `marker` is a mapping),
    in the order the executions are walked."""
    found = []
    for path, node in tree.walk():
        if node.execution.get("status") != "RUNNING":
            continue
        for task in node.execution.get("tasks") or []:
            gate = _gate(task, node, path, marker)
            if gate is not None:
                found.append(gate)
    return found


def waiting_gates(
    api: _Api, workflow_id: str, marker: str = APPROVAL_INPUT
) -> tuple[Mapping[str, Any], list[WaitingGate]]:
    """The execution (as the server has it now) and the gates waiting in it or below it."""
    tree = load_tree(api.execution, workflow_id, running_only=True)
    return tree.execution, gates_in(tree, marker)


def decide(
    api: _Api,
    workflow_id: str,
    *,
    approved: bool,
    by: str,
    reason: str | None,
    gate: str | None = None,
) -> WaitingGate:
    """Completes the one gate waiting in `workflow_id` (or the one `gate` names: its reference,
    subject or a wave's or service's label) with the decision; returns it. Raises
    NoGateWaiting when there is none, or several to choose from, naming those waiting."""
    output: dict[str, Any] = {"approved": approved, "by": by, "reason": reason}
    return complete(api, workflow_id, output, gate=gate)


def complete(
    api: _Api,
    workflow_id: str,
    output: dict[str, Any],
    *,
    gate: str | None = None,
    marker: str = APPROVAL_INPUT,
    what: str = "approval gate",
) -> WaitingGate:
    """Completes the one WAIT marked `marker` waiting in `workflow_id` or below it (or the one
    `gate` names) with `output`, and checks that the server took it; returns it. Raises
    NoGateWaiting when there is none, or several to choose from, naming those waiting."""
    execution, gates = waiting_gates(api, workflow_id, marker)
    where = f"{execution.get('workflowName', '?')} {workflow_id}"
    waiting = matching(gates, gate, where, what)
    if waiting is None:
        status = execution.get("status", "?")
        raise NoGateWaiting(f"no {what} is waiting in {where} (it is {status})")
    api.complete_task(waiting.workflow_id, waiting.task_id, output)
    _check_taken(api, waiting, output)
    return waiting


def matching(
    gates: Sequence[WaitingGate], name: str | None, where: str, what: str = "approval gate"
) -> WaitingGate | None:
    """The one gate `name` means (any one gate when None); None when no gate waits at all.
    Raises NoGateWaiting when `name` matches none of those waiting, or several."""
    if not gates:
        return None
    chosen = [g for g in gates if name is None or g.answers_to(name)]
    waiting = "; ".join(g.described for g in gates)
    if not chosen:
        raise NoGateWaiting(f"no {what} named {name!r} is waiting in {where}; waiting: {waiting}")
    if len(chosen) > 1:
        names = ", ".join(sorted({g.gate for g in chosen}))
        raise NoGateWaiting(
            f"{len(chosen)} {what}s are waiting in {where} ({names}): pick one with "
            f"--gate (a reference, a wave or a service); waiting: {waiting}"
        )
    return chosen[0]


def _check_taken(api: _Api, gate: WaitingGate, output: Mapping[str, Any]) -> None:
    """The server ignores an update to a task that has already ended (its timeout may have
    completed it a moment before): read it back rather than report a decision it dropped."""
    tasks: Sequence[Mapping[str, Any]] = api.execution(gate.workflow_id).get("tasks") or []
    task = next((t for t in tasks if t.get("taskId") == gate.task_id), None)
    taken = (task.get("outputData") or {}) if task is not None else {}
    if task is None or any(taken.get(key) != value for key, value in output.items()):
        raise NoGateWaiting(
            f"{gate.title}: the gate ended before the decision reached it (its timeout "
            "passed); nothing was decided"
        )


def _gate(
    task: Mapping[str, Any], node: ExecutionNode, path: tuple[str, ...], name: str
) -> WaitingGate | None:
    data = task.get("inputData") or {}
    marker = data.get(name)
    if task.get("taskType") != "WAIT" or task.get("status") != "IN_PROGRESS":
        return None
    if not isinstance(marker, Mapping):
        return None
    subject = marker.get("subject")
    duration = data.get("duration")
    return WaitingGate(
        gate=str(task.get("referenceTaskName", "?")),
        subject=str(subject) if subject else None,
        task_id=str(task.get("taskId", "")),
        workflow_id=node.workflow_id,
        workflow_name=node.name,
        path=path,
        since_ms=int(task.get("startTime") or task.get("scheduledTime") or 0),
        timeout=str(duration) if duration else None,
        why=str(marker["why"]) if marker.get("why") else None,
    )

"""The Conductor API as the dashboard reads it: the project's client (`ConductorApi`) behind
one cache, so pages polling every second cost the server at most one request per answer per
second, whatever the number of pages open."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from deploy_dsl.client import canary
from deploy_dsl.client.approvals import WaitingGate, decide
from deploy_dsl.client.timeline import TERMINAL_STATUSES
from deploy_dsl.client.tree import ExecutionNode, Follow, load_tree
from deploy_dsl.dashboard.cache import TtlCache

__all__ = ["Api", "Source", "is_finished"]

T = TypeVar("T")

# PAUSED is in TERMINAL_STATUSES for `run --wait`, but a paused execution can be resumed.
_FINISHED = TERMINAL_STATUSES - {"PAUSED"}
# Registered definitions change only by registering (or `--allow-overwrite`): a few seconds.
_DEFINITIONS_TTL = 5.0


class Api(Protocol):
    """The calls of `deploy_dsl.client.api.ConductorApi` the dashboard makes."""

    def search(
        self, query: str, *, free_text: str = "*", size: int = 50, sort: str = "startTime:DESC"
    ) -> dict[str, Any]: ...

    def execution(self, workflow_id: str) -> dict[str, Any]: ...

    def workflow_defs(self) -> list[dict[str, Any]]: ...

    def workflow_def(self, name: str, version: int) -> dict[str, Any] | None: ...

    def complete_task(self, workflow_id: str, task_id: str, output: dict[str, Any]) -> None: ...

    def terminate(self, workflow_id: str, reason: str | None) -> None: ...


class Source:
    def __init__(self, api: Api, cache: TtlCache | None = None) -> None:
        self.api = api
        self.cache = cache or TtlCache()

    # -- reads, cached --------------------------------------------------------------------------

    def search(self, query: str, free_text: str, size: int) -> dict[str, Any]:
        return self.cache.get(
            ("search", query, free_text, size),
            lambda: self.api.search(query, free_text=free_text, size=size),
        )

    def execution(self, workflow_id: str) -> dict[str, Any]:
        """An execution with its tasks; a finished one is kept (it no longer changes)."""
        return self.cache.get(
            ("execution", workflow_id),
            lambda: self.api.execution(workflow_id),
            final=lambda found: found.get("status") in _FINISHED,
        )

    def tree(self, workflow_id: str, follow: Follow | None = None) -> ExecutionNode:
        return load_tree(self.execution, workflow_id, follow=follow)

    def workflow_defs(self) -> list[dict[str, Any]]:
        return self.cache.get(("definitions",), self.api.workflow_defs, ttl=_DEFINITIONS_TTL)

    def workflow_def(self, name: str, version: int) -> dict[str, Any] | None:
        return self.cache.get(
            ("definition", name, version),
            lambda: self.api.workflow_def(name, version),
            ttl=_DEFINITIONS_TTL,
        )

    # -- actions, never cached ---------------------------------------------------------------

    def decide(
        self, workflow_id: str, *, approved: bool, by: str, reason: str | None, gate: str | None
    ) -> WaitingGate:
        """Completes the gate through `client.approvals` on fresh reads."""
        return self._then_forget(
            lambda: decide(
                self.api, workflow_id, approved=approved, by=by, reason=reason, gate=gate
            )
        )

    def promote(self, workflow_id: str, *, by: str, reason: str | None) -> WaitingGate:
        """Ends the canary pause waiting in the execution: the canary goes on
        (`client.canary.promote`)."""
        return self._then_forget(
            lambda: canary.promote(self.api, workflow_id, by=by, reason=reason)
        )

    def abort(self, workflow_id: str, *, by: str, reason: str) -> WaitingGate:
        """Ends the canary pause waiting in the execution with an abort: the canary rolls back
        (`client.canary.abort`)."""
        return self._then_forget(lambda: canary.abort(self.api, workflow_id, by=by, reason=reason))

    def terminate(self, workflow_id: str, reason: str | None) -> None:
        self._then_forget(lambda: self.api.terminate(workflow_id, reason))

    def _then_forget(self, action: Callable[[], T]) -> T:
        """Runs an action, then forgets what may have changed so the next poll shows it."""
        try:
            return action()
        finally:
            self.cache.forget()


def is_finished(execution: Mapping[str, Any]) -> bool:
    return execution.get("status") in _FINISHED

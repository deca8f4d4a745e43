"""What an execution's end means to a script: its exit code (pure).

The convention for "it ran to the end, but what it deployed was rolled back": the workflow
declares an `outcome` output, and `rolled_back` is that value (deploy_simple_v1 and its failure
workflow do). Such an execution is COMPLETED as far as Conductor is concerned; a CI job that
deploys needs to tell it from a deploy that went out, so `run --wait` and `status` give it an
exit code of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_ROLLED_BACK",
    "EXIT_RUNNING",
    "OUTCOME_FIELD",
    "ROLLED_BACK",
    "exit_code",
    "rolled_back",
]

OUTCOME_FIELD: Final = "outcome"
ROLLED_BACK: Final = "rolled_back"

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1  # FAILED, TERMINATED, TIMED_OUT
EXIT_RUNNING: Final = 2  # RUNNING or PAUSED: not ended yet
EXIT_ROLLED_BACK: Final = 3  # COMPLETED, with outcome rolled_back

# Not ended: the server may still finish it (a paused one once resumed).
_NOT_ENDED: Final = frozenset({"RUNNING", "PAUSED"})


def rolled_back(execution: Mapping[str, Any]) -> bool:
    output = execution.get("output") or {}
    return isinstance(output, Mapping) and output.get(OUTCOME_FIELD) == ROLLED_BACK


def exit_code(execution: Mapping[str, Any], *, rolled_back_ok: bool = False) -> int:
    """0 for COMPLETED, 3 for COMPLETED with `outcome: rolled_back` (0 with `rolled_back_ok`),
    2 while RUNNING or PAUSED, 1 for FAILED, TERMINATED or TIMED_OUT."""
    status = execution.get("status")
    if status in _NOT_ENDED:
        return EXIT_RUNNING
    if status != "COMPLETED":
        return EXIT_ERROR
    if rolled_back(execution) and not rolled_back_ok:
        return EXIT_ROLLED_BACK
    return EXIT_OK

"""The defaults Conductor spells out on every task of an export, kept as one constant."""

from __future__ import annotations

from typing import Any

from deploy_dsl.importer.compare import same_json
from deploy_dsl.importer.sources import walk

__all__ = ["CONDUCTOR_DEFAULTS", "DEFAULTS_NAME", "choose_defaults"]

DEFAULTS_NAME = "CONDUCTOR_DEFAULTS"
# What a Conductor server writes for every WorkflowTask field left at its default.
CONDUCTOR_DEFAULTS: dict[str, Any] = {
    "decisionCases": {},
    "defaultCase": [],
    "forkTasks": [],
    "startDelay": 0,
    "joinOn": [],
    "optional": False,
    "defaultExclusiveJoinTask": [],
    "asyncComplete": False,
    "loopOver": [],
    "permissive": False,
    "rateLimited": False,
}


def choose_defaults(tasks: Any) -> dict[str, Any] | None:
    """The defaults the tasks spell out, if at least two tasks spell out three or more.

    Each task then uses the constant or states its fields itself, whichever is shorter.
    """
    shapes = [
        {k for k, v in CONDUCTOR_DEFAULTS.items() if k in task and same_json(task[k], v)}
        for task in walk(tasks)
    ]
    shapes = [shape for shape in shapes if len(shape) >= 3]
    if len(shapes) < 2:
        return None
    stated = set().union(*shapes)
    return {key: value for key, value in CONDUCTOR_DEFAULTS.items() if key in stated}

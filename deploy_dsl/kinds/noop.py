"""NOOP: a task that does nothing and completes at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deploy_dsl.expressions import Ref
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned
from deploy_dsl.task import Task

__all__ = ["KIND", "Noop"]


class Noop(Task[Ref]):
    """Does nothing and completes at once (NOOP): a placeholder, or a SWITCH case with nothing
    to do.

    Args:
        ref: the task reference name (see Task).
        **options: TaskOptions.
    """

    type = "NOOP"


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    return ImportPlan(Noop)


KIND = Kind(
    type="NOOP",
    builder=Noop,
    summary="Does nothing; completes at once.",
    example=lambda: [Noop("nothing_to_do")],
    plan=_plan,
    operator=True,
    named=True,
    unchecked="it needs nothing: it completes at once",
)

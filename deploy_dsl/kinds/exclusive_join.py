"""EXCLUSIVE_JOIN: after cases of SWITCHes, completes with whichever named task ran."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Unpack

from deploy_dsl.arguments import require
from deploy_dsl.expressions import Ref
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned, Snippet
from deploy_dsl.kinds.noop import Noop
from deploy_dsl.kinds.switch import Switch
from deploy_dsl.task import CompileOptions, Task, TaskOptions

__all__ = ["KIND", "ExclusiveJoin"]


class ExclusiveJoin(Task[Ref]):
    """Completes with the output of whichever `join_on` task ran (EXCLUSIVE_JOIN).

    It ends branches of which only one runs, such as the cases of a SWITCH.

    Args:
        ref: the task reference name (see Task).
        join_on: the references of which one is expected to run.
        default_join_on: defaultExclusiveJoinTask: the references to use when none of
            `join_on` ran.
        **options: TaskOptions.
    """

    type = "EXCLUSIVE_JOIN"

    def __init__(
        self,
        ref: str,
        *,
        join_on: Sequence[str],
        default_join_on: Sequence[str] = (),
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        require(f"ExclusiveJoin {ref!r}", "join_on", join_on, list, tuple)
        require(f"ExclusiveJoin {ref!r}", "default_join_on", default_join_on, list, tuple)
        self.join_on = list(join_on)
        self.default_join_on = list(default_join_on)

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {
            "joinOn": self.join_on,
            "defaultExclusiveJoinTask": self.default_join_on or None,
        }


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    join_on, default = raw.get("joinOn"), raw.get("defaultExclusiveJoinTask")
    if not isinstance(join_on, list) or not all(isinstance(r, str) for r in join_on):
        return "EXCLUSIVE_JOIN has no joinOn list"
    kwargs: list[tuple[str, Snippet]] = [("join_on", code.literal(join_on))]
    if isinstance(default, list) and default and all(isinstance(r, str) for r in default):
        kwargs.append(("default_join_on", code.literal(default)))
    return ImportPlan(ExclusiveJoin, kwargs)


KIND = Kind(
    type="EXCLUSIVE_JOIN",
    builder=ExclusiveJoin,
    summary="Completes with the output of whichever of the named tasks ran.",
    example=lambda: [
        Switch(
            "pick", value="fast", cases={"fast": [Noop("fast_path")]}, default=[Noop("slow_path")]
        ),
        ExclusiveJoin("either", join_on=["fast_path", "slow_path"]),
    ],
    plan=_plan,
    shape="join",
    operator=True,
    unchecked="ExclusiveJoin completes with whichever task of joinOn (or the default list) ran; "
    "which can run is known only at run time",
)

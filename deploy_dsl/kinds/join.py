"""JOIN: waits for the named tasks of the fork before it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Unpack

from deploy_dsl.arguments import require
from deploy_dsl.expressions import Shape
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned, Snippet
from deploy_dsl.schemas import ANY, Schema
from deploy_dsl.task import CompileOptions, Task, TaskOptions

__all__ = ["KIND", "Join", "JoinMode"]

JoinMode = Literal["SYNC", "ASYNC"]


class Join(Task[Shape]):
    """Waits for the named tasks of the preceding fork; output is keyed by those references.

    To the type checker its output is `dict[str, <the callee's output model>]` after a
    DynamicFork of a workflow (`DynamicFork.join`), else Ref, open.

    Args:
        ref: the task reference name (see Task).
        join_on: the references to wait for (the last task of each branch); empty after a
            DynamicFork.
        outputs: the shape of its output (`Fork.join` and `DynamicFork.join` give it).
        join_mode: joinMode: `SYNC` checks the branches at once every time the workflow is
            decided, `ASYNC` (the server's default) backs off (Join.getEvaluationOffset).
        join_status: joinStatus, kept as written (Conductor OSS 3.32 does not read it).
        **options: TaskOptions.
    """

    type = "JOIN"

    def __init__(
        self,
        ref: str,
        *,
        join_on: Sequence[str] = (),
        outputs: Schema = ANY,
        join_mode: JoinMode | None = None,
        join_status: str | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        owner = f"Join {ref!r}"
        require(owner, "join_on", join_on, list, tuple)
        require(owner, "join_status", join_status, str, optional=True)
        self.join_on = list(join_on)
        self.outputs = outputs
        self.join_mode = join_mode
        self.join_status = join_status

    def output_fields(self) -> Schema:
        return self.outputs

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {"joinOn": self.join_on, "joinMode": self.join_mode, "joinStatus": self.join_status}


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    join_on = raw.get("joinOn")
    kwargs: list[tuple[str, Snippet]] = []
    if isinstance(join_on, list) and join_on and all(isinstance(r, str) for r in join_on):
        kwargs.append(("join_on", code.literal(join_on)))
    for key, argument in (("joinMode", "join_mode"), ("joinStatus", "join_status")):
        if isinstance(raw.get(key), str):
            kwargs.append((argument, code.literal(raw[key])))
    return ImportPlan(Join, kwargs)


KIND = Kind(
    type="JOIN",
    builder=Join,
    summary="Waits for the named tasks of the fork before it; its output holds their outputs.",
    example=lambda: _example(),
    plan=_plan,
    shape="join",
    operator=True,
    unchecked="checked with the fork before it: DSL030 (a JOIN after every fork) and DSL031 "
    "(what joinOn waits for)",
)


def _example() -> list[Task]:
    from deploy_dsl.kinds.fork_join import Fork  # Fork.join makes a Join: imported late
    from deploy_dsl.kinds.noop import Noop

    fork = Fork("both", branches=[[Noop("left")], [Noop("right")]])
    return [fork, Join("joined", join_on=["left", "right"], join_mode="SYNC")]

"""Promotion: registering on one server (production) exactly what another (staging) holds of
the project's definitions, the bytes that ran there, not a fresh build (pure but for `promote`,
which writes through the API it is given).

The source must hold what the code compiles to with its settings (the same check as `plan
--detailed-exitcode` against it), or the promotion is refused unless told: otherwise what
goes to production is not what the code review saw. What is carried is the source's copy of
each of the code's definitions (workflow versions, task definitions, schedules, event
handlers), without the server's bookkeeping; the target's plan of those bytes has the same
guard as `register` (a registered workflow version is never silently rewritten, nor another
owner's schedule or handler). Afterwards the target is read back and compared with the
source: what `diff --against` would say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from deploy_dsl.client.comparison import Difference, changes_between, compare
from deploy_dsl.client.inventory import Held, HeldApi, Item, items, read_held, stripped
from deploy_dsl.client.ownership import Ownership
from deploy_dsl.client.plan import Plan, WorkflowKey
from deploy_dsl.client.registration import RegistryApi, Report, apply, plan_against
from deploy_dsl.compiler import Compiled
from deploy_dsl.errors import DeployDslError
from deploy_dsl.trigger_wire import EventHandlerDef, WorkflowSchedule
from deploy_dsl.wire import TaskDef, WorkflowDef, dump

__all__ = ["Promotion", "PromotionApi", "PromotionFailed", "prepare", "promote", "verify"]

_Wire = TypeVar("_Wire", TaskDef, WorkflowSchedule, EventHandlerDef)


class PromotionApi(RegistryApi, HeldApi, Protocol):
    """What promotion reads from and writes to a server: the registry and its snapshot."""


class PromotionFailed(DeployDslError):
    """The target does not hold the source's bytes after the promotion."""


@dataclass(frozen=True)
class Promotion:
    source: str
    target: str
    carried: Compiled  # the source's copies of the code's definitions
    plan: Plan  # of those bytes against the target
    drift: list[str] = field(default_factory=list)  # the source differs from the code
    notes: list[str] = field(default_factory=list)  # the target's settings compile otherwise

    def refusals(self, *, allow_drift: bool, allow_overwrite: bool) -> list[str]:
        """Why nothing may be written; empty when the promotion may go ahead."""
        drift = [] if allow_drift else [f"{line} (--allow-drift)" for line in self.drift]
        return [*drift, *self.plan.refusals(allow_overwrite=allow_overwrite)]


def prepare(
    source: Held,
    target: Held,
    on_source: Compiled,
    on_target: Compiled,
    *,
    ownership: Ownership,
    externals: Sequence[WorkflowKey] = (),
) -> Promotion:
    """`on_source`/`on_target`: the code compiled with each server's settings."""
    checked = plan_against(source, on_source, externals=externals, ownership=ownership)
    sent = [e for e in checked.code_entries if e.action in ("create", "update")]
    drift = [_drift_line(entry.label, entry.action, entry.changes) for entry in sent]
    carried = _carried(source, on_source)
    plan = plan_against(target, carried, externals=externals, ownership=ownership)
    return Promotion(source.server, target.server, carried, plan, drift, _notes(carried, on_target))


def promote(
    api: PromotionApi,
    promotion: Promotion,
    report: Report,
    *,
    allow_overwrite: bool,
    ownership: Ownership,
) -> None:
    """Applies the target's plan, then reads the target back: it must hold the source's
    bytes (PromotionFailed names what differs)."""
    apply(api, promotion.plan, report, allow_overwrite=allow_overwrite)
    differences = verify(read_held(api), promotion.carried, ownership)
    if differences:
        shown = "; ".join(f"{d.label} {d.state}" for d in differences[:5])
        raise PromotionFailed(f"{promotion.target} does not hold the source's bytes: {shown}")


def verify(target: Held, carried: Compiled, ownership: Ownership) -> list[Difference]:
    """What differs between the carried bytes and the target's copies of them."""
    wanted = _items(carried, ownership)
    keys = {item.key for item in wanted}
    held = [item for item in items(target, ownership) if item.key in keys]
    differences, _ = compare(wanted, held)
    return differences


def _items(carried: Compiled, ownership: Ownership) -> list[Item]:
    snapshot = Held(
        "",
        [dump(w) for w in carried.workflows],
        [dump(t) for t in carried.taskdefs],
        [dump(s) for s in carried.schedules],
        [dump(h) for h in carried.event_handlers],
    )
    return items(snapshot, ownership)


def _carried(source: Held, code: Compiled) -> Compiled:
    """The source's copy of each of the code's definitions it holds."""
    workflows = {(w.get("name"), w.get("version")): w for w in source.workflows}
    taskdefs = {t.get("name"): t for t in source.taskdefs}
    schedules = {s.get("name"): s for s in source.schedules or ()}
    handlers = {h.get("name"): h for h in source.event_handlers}
    return Compiled(
        [
            WorkflowDef.model_validate(stripped(workflows[key]))
            for key in ((w.name, w.version) for w in code.workflows)
            if key in workflows
        ],
        [_held(TaskDef, taskdefs, t.name) for t in code.taskdefs if t.name in taskdefs],
        [],
        schedules=[
            _held(WorkflowSchedule, schedules, s.name)
            for s in code.schedules
            if s.name in schedules
        ],
        event_handlers=[
            _held(EventHandlerDef, handlers, h.name)
            for h in code.event_handlers
            if h.name in handlers
        ],
    )


def _held(model: type[_Wire], held: Mapping[Any, Mapping[str, Any]], name: str) -> _Wire:
    return model.model_validate(stripped(held[name]))


def _drift_line(label: str, action: str, changes: Sequence[Any]) -> str:
    if action == "create":
        return f"the source does not hold {label}, which the code defines"
    first = changes[0].path if changes else "?"
    more = f" and {len(changes) - 1} more" if len(changes) > 1 else ""
    return f"the source's {label} differs from the code ({first}{more})"


def _notes(carried: Compiled, on_target: Compiled) -> list[str]:
    """Workflows the target's settings (WORKER_BASE_URL) would compile otherwise than the
    source holds them: promotion carries the source's bytes as they are."""
    compiled = {(w.name, w.version): dump(w) for w in on_target.workflows}
    notes = []
    for workflow in carried.workflows:
        own = compiled.get((workflow.name, workflow.version))
        if own is None:
            continue
        found = changes_between("workflow", dump(workflow), own)
        if found:
            notes.append(
                f"workflow {workflow.name} v{workflow.version}: the target's settings compile "
                f"it otherwise ({found[0].path}: {found[0].new!r}); it gets the source's bytes"
            )
    return notes

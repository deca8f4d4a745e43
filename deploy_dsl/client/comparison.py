"""Differences between registered definitions: two versions of a workflow, or what two servers
hold (pure).

The same field-level diff as `plan` (`deploy_dsl.client.diff`: the server's defaults and
bookkeeping are not differences, tasks are matched by reference), read as "from the first to
the second": neither side is the code, so nothing is drift.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from deploy_dsl.client.diff import (
    Change,
    event_handler_changes,
    schedule_changes,
    taskdef_changes,
    workflow_changes,
)
from deploy_dsl.client.inventory import Item, ItemKind

__all__ = ["Difference", "State", "changes_between", "compare"]

State = Literal["differs", "only_first", "only_second"]

_CHANGES: Mapping[ItemKind, Callable[[Mapping[str, Any], Mapping[str, Any]], list[Change]]] = {
    "workflow": workflow_changes,
    "taskdef": taskdef_changes,
    "schedule": schedule_changes,
    "event_handler": event_handler_changes,
}


@dataclass(frozen=True)
class Difference:
    kind: ItemKind
    name: str
    version: int | None
    state: State
    changes: tuple[Change, ...] = ()

    @property
    def label(self) -> str:
        version = f" v{self.version}" if self.version is not None else ""
        return f"{self.kind.replace('_', ' ')} {self.name}{version}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "version": self.version,
            "state": self.state,
            "changes": [change.to_json() for change in self.changes],
        }


def changes_between(
    kind: ItemKind,
    first: Mapping[str, Any],
    second: Mapping[str, Any],
    *,
    ignore: frozenset[str] = frozenset(),
) -> list[Change]:
    """What differs from `first` to `second`, top-level fields in `ignore` left out (`version`
    when two versions of one workflow are compared)."""

    def kept(body: Mapping[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in body.items() if key not in ignore}

    found = _CHANGES[kind](kept(second), kept(first))
    return [Change(c.path, c.old, c.new) for c in found]


def compare(first: Sequence[Item], second: Sequence[Item]) -> tuple[list[Difference], int]:
    """Every definition either side holds, matched by kind, name and version: the ones that
    differ or are only on one side, and how many are the same."""
    ones = {item.key: item for item in first}
    others = {item.key: item for item in second}
    differences: list[Difference] = []
    same = 0
    for key in sorted({*ones, *others}, key=lambda k: (k[0], k[1], k[2] or 0)):
        kind, name, version = key
        one, other = ones.get(key), others.get(key)
        if one is None:
            differences.append(Difference(kind, name, version, "only_second"))
        elif other is None:
            differences.append(Difference(kind, name, version, "only_first"))
        else:
            found = changes_between(kind, one.body, other.body)
            if found:
                differences.append(Difference(kind, name, version, "differs", tuple(found)))
            else:
                same += 1
    return differences, same

"""What a server holds, read in four requests, and which of it is the project's.

`list`, `show`, `diff --against`, `promote` and the plan start from the same snapshot: every
workflow version, task definition, schedule and event handler, as the server answers them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from deploy_dsl.client.defaults import SERVER_MANAGED
from deploy_dsl.client.ownership import Ownership
from deploy_dsl.errors import DeployDslError

__all__ = [
    "KINDS",
    "Held",
    "HeldApi",
    "Item",
    "ItemKind",
    "NotRegistered",
    "find",
    "items",
    "parse_key",
    "read_held",
    "stripped",
]

ItemKind = Literal["workflow", "taskdef", "schedule", "event_handler"]
KINDS: tuple[ItemKind, ...] = ("workflow", "taskdef", "schedule", "event_handler")


class NotRegistered(DeployDslError, LookupError):
    """Nothing of that name (and version) is registered on the server."""


class HeldApi(Protocol):
    url: str

    def workflow_defs(self) -> list[dict[str, Any]]: ...

    def task_defs(self) -> list[dict[str, Any]]: ...

    def schedules(self) -> list[dict[str, Any]] | None: ...

    def event_handlers(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Held:
    """Everything registered on one server; `schedules` is None when it has no scheduler."""

    server: str
    workflows: Sequence[Mapping[str, Any]] = ()
    taskdefs: Sequence[Mapping[str, Any]] = ()
    schedules: Sequence[Mapping[str, Any]] | None = ()
    event_handlers: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class Item:
    """One registered definition, with whether the project owns it."""

    kind: ItemKind
    name: str
    version: int | None
    body: Mapping[str, Any] = field(repr=False)
    owned: bool

    @property
    def key(self) -> tuple[ItemKind, str, int | None]:
        return self.kind, self.name, self.version

    @property
    def label(self) -> str:
        version = f" v{self.version}" if self.version is not None else ""
        return f"{self.kind.replace('_', ' ')} {self.name}{version}"


def read_held(api: HeldApi) -> Held:
    return Held(
        api.url, api.workflow_defs(), api.task_defs(), api.schedules(), api.event_handlers()
    )


def items(held: Held, ownership: Ownership, code_workflows: Collection[str] = ()) -> list[Item]:
    """Every definition the server holds, workflows by name then version, each with whether
    it is the project's: its owner email or name prefix (`Ownership`), a workflow the code
    defines, or a schedule or event handler that starts one of the project's workflows."""
    found: list[Item] = []
    owned_names = set(code_workflows)
    for body in held.workflows:
        version = body.get("version")
        name = str(body.get("name"))
        owned = ownership.owns(body) or name in code_workflows
        if owned:
            owned_names.add(name)
        number = version if isinstance(version, int) else None
        found.append(Item("workflow", name, number, body, owned))
    for body in held.taskdefs:
        found.append(Item("taskdef", str(body.get("name")), None, body, ownership.owns(body)))
    triggers: list[tuple[ItemKind, Mapping[str, Any]]] = [
        *(("schedule", body) for body in held.schedules or ()),
        *(("event_handler", body) for body in held.event_handlers),
    ]
    for kind, body in triggers:
        owned = ownership.owns_trigger(body, owned_names)
        found.append(Item(kind, str(body.get("name")), None, body, owned))
    return sorted(found, key=lambda i: (KINDS.index(i.kind), i.name, i.version or 0))


def parse_key(text: str) -> tuple[str, int | None]:
    """`NAME` or `NAME:VERSION` (a name may itself hold colons: the version is after the last
    one, when that is a number)."""
    name, colon, version = text.rpartition(":")
    if colon and name and version.isdigit():
        return name, int(version)
    return text, None


def find(found: Sequence[Item], name: str, version: int | None) -> Item:
    """The workflow version asked for (the latest without a version), else the task
    definition, schedule or event handler of that name."""
    workflows = [i for i in found if i.kind == "workflow" and i.name == name]
    if version is not None:
        match = [i for i in workflows if i.version == version]
        if match:
            return match[0]
        held = ", ".join(f"v{i.version}" for i in workflows) or "none"
        raise NotRegistered(f"workflow {name} v{version} is not registered (versions: {held})")
    if workflows:
        return max(workflows, key=lambda i: i.version or 0)
    for item in found:
        if item.name == name:
            return item
    raise NotRegistered(
        f"nothing named {name!r} is registered (no workflow, task definition, schedule or "
        "event handler); `deploy-dsl list --all` lists what is"
    )


def stripped(body: Mapping[str, Any]) -> dict[str, Any]:
    """A definition without the server's bookkeeping (create/update times and users): the
    bytes a definition is made of, as `show` prints them and `promote` carries them."""
    return {key: value for key, value in body.items() if key not in SERVER_MANAGED}

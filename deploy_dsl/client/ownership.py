"""Which definitions on a server belong to this project (pure).

A server is shared: other teams register their own workflows and task definitions on it. Only
what the project owns may be listed as "not in the definitions" or deleted by `register
--prune`. Owned means: its `ownerEmail` is one of the project's, or its name starts with one of
the project's prefixes (`[tool.deploy-dsl]` in pyproject.toml, `deploy_dsl.workspace.config`).

Schedules and event handlers carry no owner email on the server (neither
`WorkflowSchedule` nor `EventHandler` has the field): one is the project's when its name has
one of the prefixes, or when it starts one of the project's workflows. An event handler that
only completes or fails tasks names no workflow the server could show, so without a name
prefix `--prune` cannot tell it is the project's: give such handlers a prefix.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Ownership", "started_workflows"]


@dataclass(frozen=True)
class Ownership:
    owner_emails: frozenset[str] = frozenset()
    name_prefixes: tuple[str, ...] = ()

    @classmethod
    def of_definitions(cls, bodies: Iterable[Mapping[str, Any]]) -> Ownership:
        """Without configuration: the owner emails the project's own definitions state."""
        emails = {str(b["ownerEmail"]) for b in bodies if b.get("ownerEmail")}
        return cls(frozenset(emails))

    def owns(self, definition: Mapping[str, Any]) -> bool:
        return definition.get("ownerEmail") in self.owner_emails or self._prefixed(definition)

    def owns_trigger(self, definition: Mapping[str, Any], workflows: Collection[str]) -> bool:
        """A schedule's or event handler's body: a prefixed name, or it starts one of
        `workflows` (the project's)."""
        started = {name for name, _ in started_workflows(definition)}
        return self._prefixed(definition) or bool(started & set(workflows))

    def _prefixed(self, definition: Mapping[str, Any]) -> bool:
        name = str(definition.get("name") or "")
        return any(prefix and name.startswith(prefix) for prefix in self.name_prefixes)

    def describe(self) -> str:
        parts = [f"ownerEmail {e}" for e in sorted(self.owner_emails)]
        parts += [f"name prefix {p!r}" for p in self.name_prefixes]
        return " or ".join(parts) or "nothing (no owner email or name prefix)"


def started_workflows(definition: Mapping[str, Any]) -> list[tuple[str, int | None]]:
    """(name, version) of each workflow a schedule (its startWorkflowRequest) or an event
    handler (its start_workflow actions) starts; version None for the latest."""
    requests = [definition.get("startWorkflowRequest")]
    requests += [a.get("start_workflow") for a in definition.get("actions") or () if a]
    started = []
    for request in requests:
        if isinstance(request, Mapping) and request.get("name"):
            version = request.get("version")
            started.append((str(request["name"]), version if isinstance(version, int) else None))
    return started

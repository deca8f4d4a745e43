"""Which definitions on a server belong to this project (pure).

A server is shared: other teams register their own workflows and task definitions on it. Only
what the project owns may be listed as "not in the definitions" or deleted by `register
--prune`. Owned means: its `ownerEmail` is one of the project's, or its name starts with one of
the project's prefixes (`[tool.deploy-dsl]` in pyproject.toml, `deploy_dsl.workspace.config`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Ownership"]


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
        name = str(definition.get("name") or "")
        return definition.get("ownerEmail") in self.owner_emails or any(
            prefix and name.startswith(prefix) for prefix in self.name_prefixes
        )

    def describe(self) -> str:
        parts = [f"ownerEmail {e}" for e in sorted(self.owner_emails)]
        parts += [f"name prefix {p!r}" for p in self.name_prefixes]
        return " or ".join(parts) or "nothing (no owner email or name prefix)"

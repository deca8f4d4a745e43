"""Putting a generated module together: docstring, the imports it needs, `__all__`, the code.

Imports are derived from the names the code uses, so nothing unused is imported, in the order
ruff's isort wants with this project's settings (deploy_dsl first-party, then local modules).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from deploy_dsl import dsl
from deploy_dsl.importer.names import natural_key
from deploy_dsl.importer.pycode import WIDTH, ListNode, Statement, Str

__all__ = ["DSL_NAMES", "Block", "ModuleText"]

DSL_NAMES = frozenset(dsl.__all__)
_THIRD_PARTY = {"Any": "typing", "BaseModel": "pydantic", "Field": "pydantic"}


@dataclass(frozen=True)
class Block:
    """A piece of module code and the module-level names it uses."""

    text: str
    needs: frozenset[str]
    is_class: bool = False

    @staticmethod
    def of(statement: Statement) -> Block:
        return Block(statement.source(), statement.needs())


@dataclass
class ModuleText:
    docstring: str
    exports: list[str]
    blocks: list[Block]
    # variable -> (module stem, the name it has there)
    local_imports: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def render(self) -> str:
        needs = frozenset().union(*(block.needs for block in self.blocks))
        parts = [f'"""{self.docstring}"""', *self._imports(needs)]
        exports = ListNode([Str(name) for name in sorted(self.exports, key=natural_key)])
        parts.append(Statement("__all__", exports).source())
        text = "\n\n".join(parts)
        previous_is_class = False
        for block in self.blocks:
            gap = "\n\n\n" if block.is_class or previous_is_class else "\n\n"
            text += gap + block.text
            previous_is_class = block.is_class
        return text + "\n"

    def _imports(self, needs: frozenset[str]) -> list[str]:
        groups: list[list[str]] = []
        by_module: dict[str, list[str]] = {}
        for name, module in _THIRD_PARTY.items():
            if name in needs:
                by_module.setdefault(module, []).append(name)
        for module in ("typing", "pydantic"):  # standard library first, then third party
            if module in by_module:
                groups.append([_from_import(module, by_module[module])])
        if needs & DSL_NAMES:
            groups.append([_from_import("deploy_dsl.dsl", needs & DSL_NAMES)])
        local = sorted(
            (stem, source, variable)
            for variable, (stem, source) in self.local_imports.items()
            if variable in needs
        )
        if local:
            groups.append(
                [
                    _from_import(f".{stem}", [source if source == var else f"{source} as {var}"])
                    for stem, source, var in local
                ]
            )
        return ["\n".join(group) for group in groups]


def _from_import(module: str, names: Iterable[str]) -> str:
    ordered = sorted(names, key=natural_key)
    line = f"from {module} import {', '.join(ordered)}"
    if len(line) <= WIDTH:
        return line
    body = "".join(f"    {name},\n" for name in ordered)
    return f"from {module} import (\n{body})"

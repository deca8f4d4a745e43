"""Which workflow a SUB_WORKFLOW or dynamic fork calls: an imported module, or an external one.

A call to a workflow among the imported files imports that module's Workflow; any other call
(or one that would make two modules import each other) declares an ExternalWorkflow, so the
import builds without the missing definitions and validation knows they live elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from deploy_dsl.importer.names import Namespace, snake_case
from deploy_dsl.importer.pycode import Atom, Call, Statement, Str, literal
from deploy_dsl.importer.sources import walk
from deploy_dsl.kinds import KINDS
from deploy_dsl.schemas import ANY
from deploy_dsl.wire import WorkflowTask
from deploy_dsl.workflow import ExternalWorkflow

__all__ = ["Catalog", "ModuleEntry", "Targets", "called_workflows"]

# (workflow name, version); no version means Conductor starts the newest one.
CallTarget = tuple[str, int | None]


@dataclass(frozen=True)
class ModuleEntry:
    """One imported workflow: its module stem, its Workflow variable and what callers see."""

    stem: str
    workflow: str
    version: int
    output_keys: tuple[str, ...]

    def stand_in(self) -> ExternalWorkflow:
        """An object with the Workflow's name, version and output schema, for checking."""
        return ExternalWorkflow(self.workflow, self.version, {k: ANY for k in self.output_keys})


@dataclass
class Catalog:
    """Every imported workflow by name, then version."""

    entries: dict[str, dict[int, ModuleEntry]] = field(default_factory=dict)
    # (caller stem, callee stem) pairs written as ExternalWorkflow to break import cycles
    back_edges: set[tuple[str, str]] = field(default_factory=set)

    def add(self, entry: ModuleEntry) -> None:
        self.entries.setdefault(entry.workflow, {})[entry.version] = entry

    def find(self, name: str, version: int | None) -> ModuleEntry | None:
        versions = self.entries.get(name, {})
        if version is None:
            return versions[max(versions)] if versions else None
        return versions.get(version)

    def break_cycles(self, calls: dict[str, list[CallTarget]]) -> None:
        """Marks the calls that would close an import cycle (self-calls included)."""
        state: dict[str, str] = {}

        def visit(stem: str) -> None:
            state[stem] = "open"
            for name, version in calls.get(stem, []):
                entry = self.find(name, version)
                if entry is None:
                    continue
                if state.get(entry.stem) == "open":
                    self.back_edges.add((stem, entry.stem))
                elif entry.stem not in state:
                    visit(entry.stem)
            state[stem] = "done"

        for stem in sorted(calls):
            if stem not in state:
                visit(stem)


def called_workflows(tasks: Any) -> Iterator[CallTarget]:
    """(name, version) of every workflow a raw task list starts by a fixed name, as each
    task's kind says (`deploy_dsl.kinds.calls`); tasks that do not fit the wire model start
    nothing the import can resolve."""
    for raw in walk(tasks):
        kind = KINDS.get(raw.get("type", "SIMPLE"))
        if kind is None or kind.calls is None:
            continue
        try:  # the nested lists are walked here: leave them out of the model
            task = WorkflowTask.model_validate({k: v for k, v in raw.items() if k not in _NESTED})
        except ValidationError:
            continue
        for call in kind.calls(task):
            if call.how != "inline sub-workflow":
                yield call.name, call.version


_NESTED = frozenset({"decisionCases", "defaultCase", "forkTasks", "loopOver"})


class Targets:
    """The call targets of one generated module, each imported or declared once."""

    def __init__(
        self, catalog: Catalog, names: Namespace, stem: str, calls: list[CallTarget]
    ) -> None:
        self.catalog = catalog
        self.names = names
        self.stem = stem
        # A call without a version declares the version another call states, if one does.
        self._stated: dict[str, int] = {}
        for name, version in calls:
            if version is not None:
                self._stated[name] = max(version, self._stated.get(name, version))
        self._resolved: dict[CallTarget, Atom] = {}
        self._declared: dict[tuple[str, int | None], Atom] = {}
        # variable -> (module stem, that module's variable)
        self.imports: dict[str, tuple[str, str]] = {}
        self.externals: list[Statement] = []
        for name, version in calls:  # before any task, so callees keep their own names
            self.resolve(name, version)

    def resolve(self, name: str, version: int | None) -> Atom:
        """The variable to pass as `workflow=` for a call of `name` (newest when no version)."""
        key = (name, version)
        if key not in self._resolved:
            entry = self.catalog.find(name, version)
            if entry is not None and (self.stem, entry.stem) not in self.catalog.back_edges:
                self._resolved[key] = self._imported(entry)
            else:
                known = self._stated.get(name, entry.version if entry else None)
                self._resolved[key] = self._external(name, known if version is None else version)
        return self._resolved[key]

    def _imported(self, entry: ModuleEntry) -> Atom:
        key = (entry.workflow, entry.version)
        if key not in self._declared:
            variable = self.names.allocate(entry.stem, "workflow", "workflow")
            self.imports[variable] = (entry.stem, entry.stem)
            self._declared[key] = Atom(variable, entry.stand_in(), frozenset({variable}))
        return self._declared[key]

    def _external(self, name: str, version: int | None) -> Atom:
        key = (name, version)
        if key in self._declared:
            return self._declared[key]
        external = ExternalWorkflow(name, version if version is not None else 1)
        variable = self.names.allocate(snake_case(name) or "workflow", "workflow", "workflow")
        call = Call("ExternalWorkflow", [Str(name)], [("version", literal(external.version))])
        call.value = external
        comment = None
        if version is None:
            comment = "Called without a version (the newest runs); 1 is a placeholder."
        self.externals.append(Statement(variable, call, comment))
        self._declared[key] = Atom(variable, external, frozenset({variable}))
        return self._declared[key]

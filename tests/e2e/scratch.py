"""Scratch definitions for the plan and register tests: their own names, their own owner email,
their own directory, and everything on the server that carries their suffix deleted afterwards.

The names share one random suffix per test, so tests never see each other's definitions (nor
a server's other definitions), and cleanup can find every version a test registered.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.support import CliResult, Conductor, run_cli

__all__ = ["Scratch", "scratch"]


@dataclass
class Scratch:
    root: Path
    unique: str
    conductor: Conductor

    @property
    def owner(self) -> str:
        return f"e2e-{self.unique}@example.com"

    def name(self, kind: str) -> str:
        return f"e2e_{kind}_{self.unique}"

    def write(self, source: str, directory: str = "defs") -> str:
        """Replaces the definitions of `directory` with one module; returns the directory."""
        folder = self.root / directory
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.py"):
            old.unlink()
        module = folder / f"scratch_{self.unique}_{directory}.py"
        module.write_text(textwrap.dedent(source), encoding="utf-8")
        return str(folder)

    def cli(self, *args: str, directory: str = "defs", stdin: str | None = "") -> CliResult:
        """`deploy-dsl ARGS --definitions DIR`; stdin is an empty pipe (no terminal), as in CI."""
        return run_cli(*args, "--definitions", str(self.root / directory), stdin=stdin)

    def held(self) -> dict[str, tuple[object, object]]:
        """(createTime, updateTime) of every scratch definition the server holds, by label:
        equal before and after means nothing was written."""
        times = {
            f"workflow {w['name']} v{w['version']}": (w.get("createTime"), w.get("updateTime"))
            for w in self.conductor.api.workflow_defs()
            if self.unique in str(w.get("name"))
        }
        times |= {
            f"taskdef {t['name']}": (t.get("createTime"), t.get("updateTime"))
            for t in self.conductor.api.task_defs()
            if self.unique in str(t.get("name"))
        }
        return times

    def cleanup(self) -> None:
        for label in self.held():
            kind, name, *version = label.split()
            if kind == "workflow":
                self.conductor.delete(f"metadata/workflow/{name}/{version[0].lstrip('v')}")
            else:
                self.conductor.delete(f"metadata/taskdefs/{name}")


@pytest.fixture
def scratch(conductor: Conductor, tmp_path: Path, unique: str) -> Iterator[Scratch]:
    """A test's scratch definitions; whatever of them reached the server is deleted after."""
    here = Scratch(tmp_path, unique, conductor)
    try:
        yield here
    finally:
        here.cleanup()

"""The layering: a pure core at the top of deploy_dsl/ (flat, but for `kinds/`, one module
per Conductor task type), the edges in packages of their own.

Core modules import no edge package and no module that does I/O; only the SDK adapter
(deploy_dsl/client/api.py) imports the Conductor SDK. A failure names the file, the line and
the import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "deploy_dsl"
EDGES = (
    "cli", "client", "dashboard", "docs", "importer", "local", "scaffold", "testing", "workspace",
)  # fmt: skip
# The core's one package: the registry of task kinds, a module per Conductor task type.
CORE_PACKAGES = ("kinds",)
SDK_ADAPTER = PACKAGE / "client" / "api.py"
# Modules whose job is I/O (files, processes, network, terminals) or loading code.
IO_MODULES = frozenset(
    {
        "click", "conductor", "fcntl", "glob", "http", "httpx", "importlib", "io", "jinja2",
        "pathlib", "pkgutil", "requests", "shutil", "signal", "socket", "sqlite3", "subprocess",
        "tempfile", "urllib",
    }
)  # fmt: skip


def core_modules() -> list[Path]:
    # `python -m deploy_dsl` is the command line's entry, not part of the core.
    top = [p for p in PACKAGE.glob("*.py") if p.name != "__main__.py"]
    return sorted([*top, *(p for name in CORE_PACKAGES for p in (PACKAGE / name).glob("*.py"))])


def imports(source: str) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in the source, those inside functions included."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module == "deploy_dsl":  # `from deploy_dsl import cli`
                for alias in node.names:
                    yield node.lineno, f"deploy_dsl.{alias.name}"
            else:
                yield node.lineno, node.module


def core_violations(path: Path, source: str) -> list[str]:
    found = []
    for line, module in imports(source):
        top = module.split(".")[0]
        parts = module.split(".")
        if top == "deploy_dsl" and len(parts) > 1 and parts[1] in EDGES:
            found.append(f"{path}:{line}: core module imports {module}, an edge package")
        elif top in IO_MODULES:
            found.append(f"{path}:{line}: core module imports {module}, which does I/O")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "open":
            found.append(f"{path}:{node.lineno}: core module calls open()")
    return found


def sdk_violations(path: Path, source: str) -> list[str]:
    return [
        f"{path}:{line}: imports {module}; only {SDK_ADAPTER.relative_to(REPO_ROOT)} may"
        for line, module in imports(source)
        if module.split(".")[0] == "conductor" and path != SDK_ADAPTER
    ]


def _relative(path: Path) -> Path:
    return path.relative_to(REPO_ROOT)


def test_the_core_is_flat_and_the_edges_are_packages() -> None:
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert packages == {*EDGES, *CORE_PACKAGES}, "deploy_dsl/ holds the edge packages and kinds"
    assert {p.stem for p in core_modules()} >= {
        "wire", "expressions", "task", "kind", "workflow", "taskdef", "validation", "compiler",
        "canonical", "dsl",
    }  # fmt: skip


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_module_imports_no_edge_and_no_io(path: Path) -> None:
    problems = core_violations(_relative(path), path.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


def test_only_the_sdk_adapter_imports_the_sdk() -> None:
    problems = [
        problem
        for path in sorted(PACKAGE.rglob("*.py"))
        for problem in sdk_violations(path, path.read_text(encoding="utf-8"))
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "line",
    [
        "import deploy_dsl.cli",
        "from deploy_dsl.local.stack import up",
        "from deploy_dsl import workspace",
        "import subprocess",
        "def f():\n    from pathlib import Path",
        "text = open('x').read()",
    ],
)
def test_the_check_catches_an_edge_or_io_import(line: str) -> None:
    (problem,) = core_violations(Path("deploy_dsl/wire.py"), line)
    assert problem.startswith("deploy_dsl/wire.py:")


def test_the_check_catches_the_sdk_outside_the_adapter() -> None:
    (problem,) = sdk_violations(PACKAGE / "cli" / "run.py", "from conductor.client import x")
    assert "only deploy_dsl/client/api.py may" in problem

"""The authors' reference: every public name of `deploy_dsl.dsl`, its signature, one line.

Generated into build/docs/ by every build from the library itself, so it cannot drift from
the code; the docstrings it reads document each argument (a test checks they all do).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, is_typeddict

from deploy_dsl import dsl
from deploy_dsl.kinds import KINDS

__all__ = ["REFERENCE_PAGE", "Entry", "entries", "kinds_table", "render_reference"]

# Relative to build/docs/.
REFERENCE_PAGE = "reference.md"


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str  # "class", "function" or "constant"
    signature: str
    summary: str
    parameters: tuple[str, ...]  # the named arguments a docstring must document
    doc: str


def entries() -> Iterator[Entry]:
    """The public names of deploy_dsl.dsl in alphabetical order."""
    for name in sorted(dsl.__all__, key=str.lower):
        value = getattr(dsl, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            kind = "class" if inspect.isclass(value) else "function"
            doc = inspect.getdoc(value) or ""
            yield Entry(name, kind, _signature(name, value), _summary(doc), _named(value), doc)
        else:
            doc = dsl.CONSTANTS[name]
            yield Entry(name, "constant", name, doc, (), doc)


def render_reference() -> str:
    lines = [
        "# deploy_dsl.dsl reference",
        "",
        "Generated from the library by `deploy-dsl build`; definitions import these names with",
        "`from deploy_dsl.dsl import ...`. The arguments of each builder are documented in its",
        "docstring (`help(Http)`); every task builder also takes Task's arguments.",
        "",
        "| name | signature | what it is |",
        "| --- | --- | --- |",
    ]
    for entry in entries():
        signature = entry.signature.replace("|", "\\|")
        summary = entry.summary.replace("|", "\\|")
        lines.append(f"| `{entry.name}` | `{signature}` | {summary} |")
    lines += ["", *kinds_table()]
    return "\n".join(lines) + "\n"


# How each FlowRun reads in the table (deploy_dsl/kind.py says what each one does).
_FLOW_TESTS = {
    "engine": "run by the engine",
    "worker": "a mock answers it (workers never see it)",
    "system": "a mock answers it (the server's HTTP workers never see it)",
    "external": "a mock completes it",
    "stand_in": "a mock completes a HUMAN task in its place",
    "callee": "runs the called workflow, with its own mocks",
}


def kinds_table() -> list[str]:
    """Every Conductor task type with a builder: what it does and how a flow test runs it."""
    lines = [
        "## Conductor task types",
        "",
        "One builder per type of Conductor OSS 3.32 (`deploy_dsl/kinds/`, one module each). "
        "Types without one (the AI module's, custom ones) are written with `GenericTask`.",
        "",
        "| type | builder | what it does | in a flow test |",
        "| --- | --- | --- | --- |",
    ]
    for kind in sorted(KINDS.values(), key=lambda k: k.type):
        lines.append(
            f"| `{kind.type}` | `{kind.builder.__name__}` | {kind.summary} | "
            f"{_FLOW_TESTS[kind.flow]} |"
        )
    return lines


def _signature(name: str, value: Any) -> str:
    if is_typeddict(value):  # keyword arguments, written `**options` in the builders
        return f"{name}({', '.join(value.__annotations__)})"
    parameters = []
    for parameter in inspect.signature(value).parameters.values():
        text = parameter.name
        if parameter.kind is parameter.VAR_KEYWORD:
            text = f"**{text}"
        elif parameter.kind is parameter.VAR_POSITIONAL:
            text = f"*{text}"
        elif parameter.default is not parameter.empty:
            text = f"{text}={parameter.default!r}"
        parameters.append((parameter.kind, text))
    shown: list[str] = []
    keyword_only = False
    for kind, text in parameters:
        if kind is inspect.Parameter.KEYWORD_ONLY and not keyword_only:
            shown.append("*")
            keyword_only = True
        shown.append(text)
    return f"{name}({', '.join(shown)})"


def _named(value: Any) -> tuple[str, ...]:
    if is_typeddict(value):
        # Keys named as Conductor names its fields (camelCase) are documented there.
        keys = tuple(value.__annotations__)
        return () if any(key != key.lower() for key in keys) else keys
    named = (
        parameter.name
        for parameter in inspect.signature(value).parameters.values()
        if parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL)
    )
    return tuple(named)


def _summary(doc: str) -> str:
    return doc.split("\n\n", 1)[0].replace("\n", " ").strip()

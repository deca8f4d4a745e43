"""`${...}` strings back into typed references: `create.output.response.body.id`, `inputs.scope`.

A string becomes a reference only when the reference renders back to exactly the same text;
anything else (a typo, a path the task type does not have, a task not defined yet, quoting the
DSL would write differently) stays a plain string, so the import never changes a workflow.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import WORKFLOW, Ref, path_of, ref_of, schema_of
from deploy_dsl.importer.pycode import Atom, DictNode, FString, ListNode, Node, Str, literal, quote
from deploy_dsl.kinds.do_while import DoWhile
from deploy_dsl.schemas import ModelFields, Schema
from deploy_dsl.task import Task

__all__ = ["Accessor", "Scope", "parse_path"]

# `${...}` not preceded by `$` (`$${x}` is Conductor's escape for a literal `${x}`).
_EXPRESSION = re.compile(r"(?<!\$)\$\{([^{}]*)\}")
_ROOT = re.compile(r"[^.\[\]\s]+")
_STEP = re.compile(r"\.([^.\[\]\s]+)|\['([^'\\]*)'\]|\[\"([^\"\\]*)\"\]|\[(\d+)\]")


@dataclass(frozen=True)
class Accessor:
    """One step of a path: `.name`, `['key']` or `[0]`."""

    key: str | int
    bracketed: bool = False


def parse_path(body: str) -> tuple[str, list[Accessor]] | None:
    """`t.output['a b'][0]` -> ('t', [output, 'a b', 0]); None for what it cannot read."""
    root = _ROOT.match(body)
    if root is None:
        return None
    steps: list[Accessor] = []
    position = root.end()
    while position < len(body):
        step = _STEP.match(body, position)
        if step is None:
            return None
        name, single, double, index = step.groups()
        if name is not None:
            steps.append(Accessor(name))
        elif index is not None:
            steps.append(Accessor(int(index), bracketed=True))
        else:
            steps.append(Accessor(single if single is not None else double, bracketed=True))
        position = step.end()
    return root.group(), steps


def _step_code(step: Accessor, quote_char: str, schema: Schema) -> str | None:
    """Python for one step from a reference of this schema, or None when it cannot be
    written in this quoting context."""
    key = step.key
    if isinstance(key, int):
        return f"[{key}]"
    if isinstance(schema, ModelFields):
        # A model's field is read by its attribute name (the type checker knows no other).
        attribute = next((a for a, json in schema.json_names.items() if json == key), None)
        if attribute is not None:
            return f".{attribute}"
    plain = key.isidentifier() and not keyword.iskeyword(key) and not hasattr(Ref, key)
    if plain and not step.bracketed:
        return f".{key}"
    if "\\" in key or quote_char in key:
        return None
    return f"[{quote(key, quote_char)}]"


def _apply(start: Ref, steps: list[Accessor], quote_char: str) -> tuple[Ref, str] | None:
    """The reference at the end of `steps`, and the Python that walks there from `start`."""
    ref, codes = start, []
    try:
        for step in steps:
            code = _step_code(step, quote_char, schema_of(ref))
            if code is None:
                return None
            codes.append(code)
            ref = ref[step.key]
    except DefinitionError:  # the schema says the field does not exist: keep the string
        return None
    return ref, "".join(codes)


@dataclass
class Scope:
    """What a reference may start from at the current point of a generated module."""

    inputs: Ref | None = None
    variables: Ref | None = None
    # reference name -> (variable name, task object) of tasks already defined
    tasks: dict[str, tuple[str, Task]] = field(default_factory=dict)
    loops: frozenset[str] = frozenset()

    def define(self, ref: str, name: str, task: Task) -> None:
        self.tasks[ref] = (name, task)

    def node(self, value: Any) -> Node:
        """A JSON value as Python, with its `${...}` strings as references where possible."""
        if isinstance(value, str):
            return self.string(value)
        if isinstance(value, dict):
            return DictNode([(Str(str(k)), self.node(v)) for k, v in value.items()])
        if isinstance(value, list):
            return ListNode([self.node(item) for item in value])
        return literal(value)

    def string(self, text: str) -> Node:
        whole = _EXPRESSION.fullmatch(text)
        if whole is not None:
            return self.reference(whole.group(1), '"') or Str(text)
        parts: list[str | Atom] = []
        position = 0
        for match in _EXPRESSION.finditer(text):
            reference = self.reference(match.group(1), "'")
            if reference is None:
                continue
            parts.extend([text[position : match.start()], reference])
            position = match.end()
        if not parts:
            return Str(text)
        parts.append(text[position:])
        return FString([part for part in parts if part != ""])

    def reference(self, body: str, quote_char: str) -> Atom | None:
        """The typed reference for an expression body, if one renders back to it exactly."""
        parsed = parse_path(body)
        if parsed is None:
            return None
        root, steps = parsed
        start = self._start(root, steps, quote_char)
        if start is None:
            return None
        code, ref, needs, rest = start
        walked = _apply(ref, rest, quote_char)
        if walked is None or path_of(walked[0]) != body:
            return None
        result, steps_code = walked
        return Atom(code + steps_code, result, needs)

    def _start(
        self, root: str, steps: list[Accessor], quote_char: str
    ) -> tuple[str, Ref, frozenset[str], list[Accessor]] | None:
        """Where the Python expression starts, and the steps left to apply to it."""
        first = steps[0].key if steps and not steps[0].bracketed else None
        if root == "workflow":
            if first == "input" and self.inputs is not None and len(steps) > 1:
                return "inputs", self.inputs, frozenset({"inputs"}), steps[1:]
            if first == "variables" and self.variables is not None and len(steps) > 1:
                known = self._has_field(self.variables, steps[1].key)
                if known:
                    return "variables", self.variables, frozenset({"variables"}), steps[1:]
            return "WORKFLOW", ref_of(WORKFLOW), frozenset({"WORKFLOW"}), steps
        if root in self.tasks and first in ("output", "input"):
            name, task = self.tasks[root]
            ref = task.output_ref() if first == "output" else task.input
            return f"{name}.{first}", ref, frozenset({name}), steps[1:]
        if root in self.loops and [s.key for s in steps] == ["output", "iteration"]:
            code = f"DoWhile.iteration_of({quote(root, quote_char)})"
            return code, ref_of(DoWhile.iteration_of(root)), frozenset({"DoWhile"}), []
        return None

    @staticmethod
    def _has_field(ref: Ref, key: str | int) -> bool:
        try:
            ref[key]
        except DefinitionError:
            return False
        return True

"""The JavaScript parser of `build` against the server's own: GraalJS 25 inside the jar.

Registration parses a `javascript` SWITCH's expression (WorkflowTaskTypeConstraint.
isSwitchTaskValid: ScriptEvaluator.validateScriptSyntax) with the engine and options that
later run it, so registering one SWITCH per script asks the server whether it parses. Each
verdict must be the parser's (deploy_dsl.script_checks.javascript_error): it refuses nothing
the server runs, and lets nothing through that the server refuses. The scripts cover what
changed between ECMAScript editions, Annex B (which GraalJS enables), strict mode and the
early errors a parser may skip.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from deploy_dsl.errors import DeployDslError
from deploy_dsl.script_checks import javascript_error
from tests.e2e.support import Conductor

pytestmark = pytest.mark.e2e

SCRIPTS = [
    # what Conductor scripts are made of
    "$.a.b", "$.k == 'x' ? 'yes' : 'no'", "(function () { return $.n + 1; })()",
    "if ($.x) { 'a' } else { 'b' }", "$.items.map(i => i.scope).join(',')", "`x ${$.a}`",
    "/re/g.test($.x)", "[1, 2].at(-1)",
    # ES2018 to ES2025
    "$.a?.b ?? 'x'", "({...$.o, k: 1}).k", "a ||= b", "x = 1n", "1_000",
    "/(?<y>\\d{4})/v.test('2024')", "class A { #p = 1; static { } }",
    "(async function () { await 1 })()", "a?.[0]?.()", "'\\u{1F600}'",
    # Annex B and sloppy mode
    "var x = 010;", "a = 1 <!-- c\n 1", "a\n--> c\n1", "with ($) { a }",
    "function f(a, a) {}", "if (a) function f() {}", "#!shebang\n1", "delete x",
    # strict mode
    "'use strict'; var x = 010;", "'use strict'; with ($) { a }",
    "'use strict'; function f(a, a) {}", "'use strict'; delete x",
    # not a script: modules, functions' own statements, later proposals, JSX
    "return 1", "break;", "new.target", "yield 1", "await 1", "import x from 'y'",
    "export default 1", "super.x", "using x = y", "x |> f", "@dec class A {}", "<div/>",
    # plain syntax errors and early errors
    "1 +", "$.a.b)", "1 = 2", "function () {}", "let a = 1; let a = 2;", "/[/", "0_1",
    "({ __proto__: 1, __proto__: 2 })", "for await (const x of y) {}", "a\n  .b(\n 1,,)",
]  # fmt: skip


def _switch(name: str, expression: str) -> dict[str, Any]:
    case = {"name": "n", "taskReferenceName": "n", "type": "SET_VARIABLE",
            "inputParameters": {"x": 1}}  # fmt: skip
    task = {"name": "s", "taskReferenceName": "s", "type": "SWITCH",
            "evaluatorType": "javascript", "expression": expression,
            "decisionCases": {"a": [case]}}  # fmt: skip
    return {"name": name, "version": 1, "ownerEmail": "o@example.com", "schemaVersion": 2,
            "tasks": [task]}  # fmt: skip


def _server_refuses(conductor: Conductor, definition: dict[str, Any]) -> str | None:
    try:
        result = conductor.api.put_workflows([definition])
    except DeployDslError as error:
        return str(error)
    refused = result.get("bulkErrorResults") or {}
    return "; ".join(map(str, refused.values())) or None


def test_the_parser_agrees_with_graaljs_in_the_server(conductor: Conductor) -> None:
    prefix = f"dd_js_{uuid.uuid4().hex[:6]}_"
    disagreements: list[str] = []
    accepted: list[str] = []
    try:
        for number, script in enumerate(SCRIPTS):
            name = f"{prefix}{number}"
            refused = _server_refuses(conductor, _switch(name, script))
            ours = javascript_error(script)
            if refused is None:
                accepted.append(name)
            if (refused is None) != (ours is None):
                server = "refuses" if refused else "accepts"
                disagreements.append(f"{script!r}: the server {server} it; the parser says {ours}")
    finally:
        for name in accepted:
            conductor.delete(f"metadata/workflow/{name}/1")
    assert not disagreements, "\n".join(disagreements)
    # Both verdicts occur: the corpus tells the two apart.
    assert 0 < len(accepted) < len(SCRIPTS)

"""The validator against the real server: every corpus workflow and every rule case is registered
on the local Conductor (under a scratch prefix) and the server's verdict is compared with the
validator's.

- The server refuses it: the validator must report an error.
- The validator reports an error the server does not share: the case must be listed below with
  the run-time consequence that makes it an error, and that consequence must be in the message.
- An error whose message says the server refuses the definition must be refused by the server.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from deploy_dsl.errors import DeployDslError
from deploy_dsl.findings import Finding
from deploy_dsl.validation import Subject, validate
from deploy_dsl.wire import TaskDef, WorkflowDef
from tests.conftest import CONDUCTOR_FIXTURES
from tests.e2e.support import Conductor
from tests.validation_cases import RULES, TASKDEF_RULES, WORKFLOW_RULES, workflow

pytestmark = pytest.mark.e2e

# Accepted by the server, yet an error: what happens at run time (a phrase of the message).
ACCEPTED_BUT_BROKEN: dict[str, str] = {
    "rule:dunder_in_loop": "the loop never completes",
    "rule:unknown_root_nested": "resolves to null",
    "rule:workflow_field_null": "resolves to null",
    "rule:task_field_null": "resolves to null",
    "rule:forward": "resolves to null",
    "rule:self_reference": "resolves to null",
    "rule:switch_sibling": "resolves to null",
    "rule:switch_unknown_evaluator": "the workflow FAILS",
    "rule:value_param_not_an_input": "always takes the default case",
    "rule:fork_without_join": "the workflow FAILS",
    "rule:join_unknown": "the JOIN never completes",
    "rule:fork_empty_branch": "start fails",
    "rule:fork_type": "its branches never run",
    "rule:dynamic_fork_version_int": "ClassCastException",
    "rule:loop_condition_expression": "the DO_WHILE FAILS",
    "rule:loop_condition_outside": "the DO_WHILE FAILS",
    "rule:http_no_method": "No HTTP method specified",
    "rule:inline_no_expression": "the task FAILS",
    "rule:sub_name_expression": "the start fails",
    "rule:switch_graaljs_syntax": "the SWITCH FAILS",
    "rule:inline_syntax": "the task FAILS",
    "rule:loop_condition_syntax": "the DO_WHILE FAILS",
    "rule:jq_syntax": "the task FAILS",
    "fixture:nested_fork_join_integration_test:FanInOutNestedTest": "never completes",
    "fixture:do_while_timeline_ui_demo:do_while_timeline_ui_demo": "the task FAILS",
    "fixture:nested_fork_join_with_sub_workflow_integration_test:FanInOutNestedSubWorkflowTest": (
        "never completes"
    ),
}
_CLAIMS_REFUSAL = re.compile(r"the server (rejects|refuses|answers 500)")


@dataclass(frozen=True)
class Case:
    id: str
    definition: dict[str, Any]
    errors: list[Finding]


def _renamed(data: Any, names: dict[str, str]) -> Any:
    """A copy with every workflow name of the corpus (its own, its sub-workflows') renamed."""
    if isinstance(data, dict):
        out = {key: _renamed(value, names) for key, value in data.items()}
        for key in ("name", "forkTaskWorkflow"):
            if isinstance(out.get(key), str) and out[key] in names and _names_workflow(data, key):
                out[key] = names[out[key]]
        return out
    if isinstance(data, list):
        return [_renamed(item, names) for item in data]
    return data


def _names_workflow(data: dict[str, Any], key: str) -> bool:
    # A workflow's own name, a subWorkflowParam's or startWorkflow's name, a dynamic fork's child.
    return key == "forkTaskWorkflow" or "tasks" in data or "taskReferenceName" not in data


def _fixture_cases(prefix: str) -> Iterator[Case]:
    files = sorted(CONDUCTOR_FIXTURES.glob("*.json"))
    loaded = {path: json.loads(path.read_text(encoding="utf-8")) for path in files}
    items = {path: data if isinstance(data, list) else [data] for path, data in loaded.items()}
    names = {w["name"]: f"{prefix}{w['name']}" for ws in items.values() for w in ws}
    for path, workflows in items.items():
        renamed = [_renamed(w, names) for w in workflows]
        definitions = [WorkflowDef.model_validate(w) for w in renamed]
        findings = validate(Subject(definitions, strict=False))
        for original, data in zip(workflows, renamed, strict=True):
            errors = [f for f in findings if f.severity == "error" and f.workflow == data["name"]]
            yield Case(f"fixture:{path.stem}:{original['name']}", data, errors)


def _rule_cases(prefix: str) -> Iterator[Case]:
    built = [(f"rule:{name}", workflow(*tasks)) for name, tasks, _ in RULES]
    built += [(f"workflow:{name}", copy.deepcopy(d)) for name, d, _ in WORKFLOW_RULES]
    for number, (case_id, data) in enumerate(built):
        data["name"] = f"{prefix}{number}"
        definition = WorkflowDef.model_validate(data)
        errors = [f for f in validate(Subject([definition], strict=False)) if f.severity == "error"]
        yield Case(case_id, data, errors)


def _register_workflow(conductor: Conductor, data: dict[str, Any]) -> str | None:
    """None if the server takes the definition, else its reason."""
    try:
        result = conductor.api.put_workflows([data])
    except DeployDslError as error:
        return str(error)
    refused = result.get("bulkErrorResults") or {}
    return "; ".join(map(str, refused.values())) or None


def _judge(case: Case, refused: str | None) -> list[str]:
    problems = []
    messages = " | ".join(f.message for f in case.errors)
    if refused is not None and not case.errors:
        problems.append(f"{case.id}: the server refuses it ({refused}); the validator says nothing")
    if refused is None and case.errors:
        consequence = ACCEPTED_BUT_BROKEN.get(case.id)
        if consequence is None:
            problems.append(f"{case.id}: accepted by the server, but validator errors: {messages}")
        elif consequence not in messages:
            problems.append(f"{case.id}: no error says {consequence!r}: {messages}")
        for finding in case.errors:
            if _CLAIMS_REFUSAL.search(finding.message):
                problems.append(f"{case.id}: says the server refuses it, it did not: {finding}")
    if refused is not None and case.id in ACCEPTED_BUT_BROKEN:
        problems.append(f"{case.id}: listed as accepted, but the server refuses it ({refused})")
    return problems


@pytest.fixture(scope="module")
def prefix() -> str:
    return f"dd_diff_{uuid.uuid4().hex[:6]}_"


def test_the_validator_agrees_with_the_server(conductor: Conductor, prefix: str) -> None:
    cases = [*_fixture_cases(prefix), *_rule_cases(prefix)]
    problems: list[str] = []
    accepted: list[dict[str, Any]] = []
    try:
        for case in cases:
            refused = _register_workflow(conductor, case.definition)
            if refused is None:
                accepted.append(case.definition)
            problems += _judge(case, refused)
    finally:
        for data in accepted:
            conductor.delete(f"metadata/workflow/{data['name']}/{data.get('version', 1)}")
    listed = {case.id for case in cases}
    problems += [f"{case_id}: listed but not in the corpus" for case_id in
                 ACCEPTED_BUT_BROKEN.keys() - listed]  # fmt: skip
    assert len(cases) > 130
    assert not problems, "\n".join(problems)


def test_the_taskdef_rules_agree_with_the_server(conductor: Conductor, prefix: str) -> None:
    problems: list[str] = []
    for number, (fields, expected) in enumerate(TASKDEF_RULES):
        data = {"name": f"{prefix}td{number}", "ownerEmail": "o@example.com", **fields}
        taskdef = TaskDef.model_validate(data)
        errors = [f for f in validate(Subject([], [taskdef])) if f.severity == "error"]
        assert [(f.severity, f.code.name) for f in errors] == [
            e for e in expected if e[0] == "error"
        ]
        try:
            conductor.api.post_taskdefs([data])
        except DeployDslError as error:
            if not errors:
                problems.append(
                    f"{fields}: the server refuses it ({error}); the validator says nothing"
                )
            continue
        conductor.delete(f"metadata/taskdefs/{data['name']}")
        if errors:
            problems.append(f"{fields}: the server accepts it, the validator says {errors[0]}")
    assert not problems, "\n".join(problems)

"""The registry of task kinds: for every Conductor task type with a builder, the builder's
JSON imports back to a builder that writes the same bytes, the validator has its checks, and
the docs describe it. (That a flow test runs it with mocks: tests/flows/test_kinds_flow.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy_dsl.canonical import canonical_model_json
from deploy_dsl.compiler import Compiled
from deploy_dsl.docs.facts import summary
from deploy_dsl.docs.flowchart import flowchart, node_id
from deploy_dsl.docs.pages import render_docs
from deploy_dsl.docs.reference import render_reference
from deploy_dsl.kind import Kind
from deploy_dsl.kinds import KINDS, SERVER_ONLY_TYPES
from deploy_dsl.validation import Subject, validate
from deploy_dsl.wire import WorkflowDef, walk
from deploy_dsl.workflow import Workflow
from tests.importer.helpers import import_package

# Conductor OSS 3.32's task types (TaskType in conductor-common), less the AI module's.
OSS_TYPES = {
    "SIMPLE", "DYNAMIC", "FORK_JOIN", "FORK_JOIN_DYNAMIC", "DECISION", "SWITCH", "JOIN",
    "EXCLUSIVE_JOIN", "DO_WHILE", "SUB_WORKFLOW", "START_WORKFLOW", "EVENT", "WAIT", "HUMAN",
    "HTTP", "LAMBDA", "INLINE", "TERMINATE", "KAFKA_PUBLISH", "JSON_JQ_TRANSFORM",
    "SET_VARIABLE", "NOOP",
}  # fmt: skip
ALL_KINDS = list(KINDS.values())


def example(kind: Kind) -> Workflow:
    name = f"kind_{kind.type.lower()}"
    return Workflow(name, version=1, owner_email="kinds@example.com", tasks=kind.example())


def compiled(kind: Kind) -> WorkflowDef:
    return example(kind).compile().definition


def test_every_oss_task_type_has_a_kind() -> None:
    assert set(KINDS) >= OSS_TYPES
    # A type is a kind of its own or written with GenericTask, never both.
    assert not SERVER_ONLY_TYPES & set(KINDS)


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.type)
def test_the_example_holds_its_kind_and_builds_clean(kind: Kind) -> None:
    definition = compiled(kind)
    assert kind.type in {task.type for task in walk(definition.tasks)}
    errors = [f for f in validate(Subject([definition])) if f.severity == "error"]
    # The callee of SUB_WORKFLOW, START_WORKFLOW and FORK_JOIN_DYNAMIC is not in the subject.
    assert [f for f in errors if f.code.name != "MISSING_SUB_WORKFLOW"] == []


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.type)
def test_builder_wire_import_builder_gives_the_same_bytes(kind: Kind, tmp_path: Path) -> None:
    definition = compiled(kind)
    source = tmp_path / "source.json"
    source.write_text(canonical_model_json(definition), encoding="utf-8")
    imported = import_package([source], tmp_path / f"imported_kind_{kind.type.lower()}")

    text = imported.text("source.json")
    assert "GenericTask" not in text and "extra=" not in text
    assert kind.builder.__name__ in text
    assert canonical_model_json(imported.workflow("source.json").compile().definition) == (
        source.read_text(encoding="utf-8")
    )


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.type)
def test_the_validator_checks_it_or_says_why_not(kind: Kind) -> None:
    assert kind.check is not None or kind.check_next is not None or kind.unchecked


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.type)
def test_the_docs_describe_it(kind: Kind) -> None:
    definition = compiled(kind)
    assert kind.summary and kind.summary.endswith(".")
    page = render_docs(Compiled([definition], [], []))[f"docs/{definition.name}.md"]
    for task in walk(definition.tasks):
        assert f"| `{task.task_reference_name}` | {task.type} |" in page
        assert summary(task).startswith(task.type)
    table = render_reference()
    assert f"| `{kind.type}` | `{kind.builder.__name__}` | {kind.summary} |" in table
    shapes = {item.id: item.shape for item in flowchart(definition).items if hasattr(item, "shape")}
    clusters = [item for item in flowchart(definition).items if hasattr(item, "title")]
    for task in definition.tasks:
        if task.type == kind.type and not clusters:
            assert shapes[node_id(task.task_reference_name)] == kind.shape


def test_the_kinds_of_the_gantt_and_the_flow_tests_agree() -> None:
    from deploy_dsl.client.gantt import takes_time
    from deploy_dsl.testing.references import answered_by_mock

    for kind in ALL_KINDS:
        assert takes_time(kind.type) is not kind.operator
        assert answered_by_mock(kind.type) is (kind.flow not in ("engine", "callee"))
    assert not takes_time("FORK") and takes_time("SUB_WORKFLOW") and takes_time("USER_TASK")


def test_the_example_json_is_what_the_kind_says_it_writes() -> None:
    http = json.loads(canonical_model_json(compiled(KINDS["HTTP"])))
    request = http["tasks"][0]["inputParameters"]["http_request"]
    assert request["headers"] == {"X-Deployed-By": "deploy-dsl"}

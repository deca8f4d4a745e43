from __future__ import annotations

import pytest
from pydantic import BaseModel

from deploy_dsl.errors import UnknownField
from deploy_dsl.expressions import (
    ANY,
    WORKFLOW,
    Ref,
    expressions_in,
    path_of,
    render,
    schema_of,
    split_expression,
    workflow_input,
)


class Inputs(BaseModel):
    scope: str
    env: str


def test_input_fields_render_to_expressions() -> None:
    inputs = workflow_input(Inputs)
    assert str(inputs.scope) == "${workflow.input.scope}"
    assert f"deploy {inputs.env}!" == "deploy ${workflow.input.env}!"


def test_a_misspelt_input_is_an_error_naming_the_known_fields() -> None:
    inputs = workflow_input(Inputs)
    with pytest.raises(UnknownField, match=r"no field 'scpoe' \(known fields: env, scope\)"):
        _ = inputs.scpoe


def test_workflow_fields_are_checked() -> None:
    assert str(WORKFLOW.workflowId) == "${workflow.workflowId}"
    with pytest.raises(UnknownField, match="'workflowID'"):
        _ = WORKFLOW.workflowID


def test_leaf_fields_take_no_further_path() -> None:
    with pytest.raises(UnknownField):
        _ = WORKFLOW.workflowId.anything


def test_open_values_accept_any_path_and_brackets() -> None:
    body = Ref("t.output", {"response": {"body": ANY}}).response.body
    assert str(body.items[0]["a b"]) == "${t.output.response.body.items[0]['a b']}"


def test_render_replaces_refs_deeply_and_keeps_other_values() -> None:
    inputs = workflow_input(Inputs)
    value = {"a": [inputs.scope, 1, None], "b": {"c": inputs.env, "d": True}}
    assert render(value) == {
        "a": ["${workflow.input.scope}", 1, None],
        "b": {"c": "${workflow.input.env}", "d": True},
    }


def test_expressions_in_skips_escaped_dollars() -> None:
    value = {"a": "${x.y} and $${literal} and ${z}", "b": ["${w.output}"]}
    assert list(expressions_in(value)) == ["x.y", "z", "w.output"]


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("workflow.input.scope", ["workflow", "input", "scope"]),
        ("t.output['a b'][0].c", ["t", "output", "a b", "0", "c"]),
        ('t.output["k"]', ["t", "output", "k"]),
    ],
)
def test_split_expression(body: str, segments: list[str]) -> None:
    assert split_expression(body) == segments


def test_every_public_name_is_a_field_and_dunders_are_not_children() -> None:
    open_ref = Ref("task.output")
    assert path_of(open_ref) == "task.output" and schema_of(open_ref) is ANY
    assert str(open_ref.response.body._id) == "${task.output.response.body._id}"
    assert not hasattr(open_ref, "__deepcopy_me__")
    declared = Ref("x", {"path": ANY, "schema": ANY, "a": {"b": ANY}})
    # A model field named like what a Ref is made of is a field, as the type checker reads it.
    assert str(declared.path) == "${x.path}" and str(declared.schema) == "${x.schema}"
    assert str(declared.a.b.c) == "${x.a.b.c}"
    with pytest.raises(UnknownField, match=r"no field 'z' \(known fields: b\)"):
        _ = declared.a.z

from __future__ import annotations

import inspect

import pytest
from pydantic import BaseModel

from deploy_dsl.dsl import (
    DoWhile,
    DynamicFork,
    Fork,
    Http,
    Inline,
    SetVariable,
    Simple,
    SubWorkflow,
    Switch,
    Terminate,
    WorkerEndpoint,
    Workflow,
    workflow_input,
)
from deploy_dsl.errors import DefinitionError, UnknownField
from deploy_dsl.task import CompileOptions
from deploy_dsl.wire import dump


class In(BaseModel):
    scope: str


def _workflow(*tasks: object, **kwargs: object) -> Workflow:
    return Workflow("wf", version=1, owner_email="o@example.com", input=In, tasks=tasks, **kwargs)  # type: ignore[arg-type]


def test_http_output_is_typed() -> None:
    call = Http("call", uri="http://x/y")
    assert str(call.output.response.body.id) == "${call.output.response.body.id}"
    with pytest.raises(UnknownField, match="'respnse'"):
        _ = call.output.respnse


def test_worker_endpoint_joins_the_base_url_at_compile_time() -> None:
    call = Http("call", uri=WorkerEndpoint("create"), method="POST", body={"a": 1})
    default = dump(_workflow(call).compile().definition)
    custom = dump(_workflow(call).compile(CompileOptions("http://host:9/api/")).definition)
    assert default["tasks"][0]["inputParameters"]["http_request"]["uri"] == (
        "http://localhost:3000/create"
    )
    assert (
        custom["tasks"][0]["inputParameters"]["http_request"]["uri"] == "http://host:9/api/create"
    )


def test_switch_value_param_compiles_to_conductor_fields() -> None:
    inputs = workflow_input(In)
    switch = Switch("s", value=inputs.scope, cases={"a": [Simple("t1")]}, default=[Simple("t2")])
    task = dump(_workflow(switch).compile().definition)["tasks"][0]
    assert task["evaluatorType"] == "value-param"
    assert task["expression"] == "switchCaseValue"
    assert task["inputParameters"] == {"switchCaseValue": "${workflow.input.scope}"}
    assert [t["taskReferenceName"] for t in task["decisionCases"]["a"]] == ["t1"]
    assert [t["taskReferenceName"] for t in task["defaultCase"]] == ["t2"]


def test_switch_needs_one_of_value_or_script() -> None:
    with pytest.raises(DefinitionError, match="exactly one of value= or script="):
        Switch("s", cases={"a": [Simple("t")]})


def test_fork_join_waits_for_branch_ends() -> None:
    fork = Fork("f", branches=[[Simple("a1"), Simple("a2")], [Simple("b1")]])
    assert fork.join("j").join_on == ["a2", "b1"]


def test_dynamic_fork_over_a_workflow() -> None:
    child = Workflow("child", version=3, owner_email=None, tasks=[Simple("x")])
    fork = DynamicFork("d", workflow=child, fork_inputs=[{"a": 1}])
    wire = dump(_workflow(fork).compile().definition)["tasks"][0]
    assert wire["inputParameters"] == {
        "forkTaskWorkflow": "child",
        "forkTaskWorkflowVersion": "3",
        "forkTaskInputs": [{"a": 1}],
    }


def test_do_while_and_sub_workflow_and_terminate() -> None:
    child = Workflow("child", version=2, owner_email=None, tasks=[Simple("x")], output={"k": 1})
    sub = SubWorkflow("call_child", workflow=child, inputs={"a": 1})
    assert str(sub.output.k) == "${call_child.output.k}"
    with pytest.raises(UnknownField):
        _ = sub.output.nope
    loop = DoWhile("loop", condition="$.loop['iteration'] < 3", body=[sub])
    stop = Terminate("stop", status="FAILED", reason="because")
    tasks = dump(_workflow(loop, stop).compile().definition)["tasks"]
    assert tasks[0]["loopCondition"] == "$.loop['iteration'] < 3"
    assert tasks[0]["loopOver"][0]["subWorkflowParam"] == {"name": "child", "version": 2}
    assert tasks[1]["inputParameters"] == {
        "terminationStatus": "FAILED",
        "terminationReason": "because",
    }


def test_inline_output_and_script() -> None:
    script = Inline("calc", script="$.a + 1", inputs={"a": 1})
    assert str(script.output.result) == "${calc.output.result}"
    wire = dump(_workflow(script).compile().definition)["tasks"][0]
    assert wire["inputParameters"] == {"evaluatorType": "graaljs", "expression": "$.a + 1", "a": 1}


def test_bad_reference_names_are_refused() -> None:
    with pytest.raises(DefinitionError, match="reference name 'a b'"):
        Simple("a b")


def test_workflow_records_inputs_and_where_each_task_was_written() -> None:
    task, line = Simple("t"), inspect.currentframe().f_lineno  # type: ignore[union-attr]
    compiled = _workflow(task).compile()
    assert compiled.definition.input_parameters == ["scope"]
    assert compiled.definition.schema_version == 2
    assert [str(place) for place in compiled.locations[("wf", "t")]] == [
        f"tests/test_builders.py:{line}"
    ]


def test_a_variable_without_a_default_is_set_later_not_started_with() -> None:
    # SetVariable.execute sets any name: a variables model's field without a default is one
    # the workflow's SET_VARIABLE tasks set, so it is left out of the initial variables.
    class Vars(BaseModel):
        attempts: int = 0
        verdict: str

    remember = SetVariable("remember", inputs={"verdict": "ok"})
    workflow = Workflow("wf", version=1, owner_email="o@x", variables=Vars, tasks=[remember])
    assert workflow.compile().definition.variables == {"attempts": 0}
    assert list(workflow.problems()) == []

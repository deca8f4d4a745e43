"""Small hand-made workflows for what the corpus does not show: expressions, loops, names."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deploy_dsl.compiler import compile_project
from deploy_dsl.importer import ImportFailed, import_files
from tests.importer.helpers import REPO_ROOT, Imported, canonical, import_package, package_dir


def _task(ref: str, kind: str = "SIMPLE", **fields: Any) -> dict[str, Any]:
    task = {"name": fields.pop("name", ref), "taskReferenceName": ref, "type": kind}
    return {**task, "inputParameters": {}, **fields}


def _workflow(name: str, tasks: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"name": name, "version": 1, "ownerEmail": "o@example.com", "tasks": tasks, **fields}


Definitions = list[Any]
CASES: list[Callable[[], Definitions]] = []


def case(build: Callable[[], Definitions]) -> Callable[[], Definitions]:
    """Registers the definitions of a case, so that one test lints all of them at once."""
    CASES.append(build)
    return build


def _import(tmp_path: Path, *definitions: Any, ruff: bool = True) -> Imported:
    sources = tmp_path / "json"
    sources.mkdir()
    paths = []
    for index, definition in enumerate(definitions):
        path = sources / f"{index}.json"
        path.write_text(json.dumps(definition))
        paths.append(path)
    return import_package(paths, package_dir(tmp_path), ruff=ruff)


def _assert_round_trip(imported: Imported, *definitions: dict[str, Any]) -> None:
    for index, definition in enumerate(definitions):
        assert canonical(imported.built(f"{index}.json")) == canonical(definition)


@case
def _expressions() -> Definitions:
    first = _task("first")
    second = _task(
        "second",
        inputParameters={
            "escaped": "$${workflow.input.id}",
            "mixed": "cost {x}: $${literal} ${workflow.input.id} of ${first.output.total}",
            "typo": "${workflow.inptu.id}",
            "env": "${CPEWF_TASK_ID}",
        },
    )
    definition = _workflow("expressions", [first, second], inputParameters=["id"])
    return [definition]


def test_escaped_and_embedded_expressions(tmp_path: Path) -> None:
    (definition,) = _expressions()
    imported = _import(tmp_path, definition)
    _assert_round_trip(imported, definition)
    text = imported.text("0.json")
    assert '"escaped": "$${workflow.input.id}",' in text
    assert 'f"cost {{x}}: $${{literal}} {inputs.id} of {first.output.total}"' in text
    assert '"typo": "${workflow.inptu.id}",' in text
    assert '"env": "${CPEWF_TASK_ID}",' in text


@case
def _paths() -> Definitions:
    lookup = _task("lookup")
    use = _task(
        "use",
        inputParameters={
            "spaced": "${lookup.output['a b'][0]}",
            "nested": "${lookup.output.items[2].name}",
            "in_text": "first: ${lookup.output['a b'][0]}!",
            "double_quoted": '${lookup.output["a b"]}',
            "dashed": "${workflow.input.my-key}",
        },
    )
    definition = _workflow("paths", [lookup, use], inputParameters=["my-key"])
    return [definition]


def test_json_paths_with_brackets(tmp_path: Path) -> None:
    (definition,) = _paths()
    imported = _import(tmp_path, definition)
    _assert_round_trip(imported, definition)
    text = imported.text("0.json")
    assert '"spaced": lookup.output["a b"][0],' in text
    assert '"nested": lookup.output["items"][2].name,' in text or (
        '"nested": lookup.output.items[2].name,' in text
    )
    assert "f\"first: {lookup.output['a b'][0]}!\"" in text
    assert "'${lookup.output[\"a b\"]}'" in text  # DSL quoting differs: kept as written
    assert '"dashed": inputs.my_key,' in text  # the attribute the type checker knows
    assert 'my_key: Any = Field(default=None, alias="my-key")' in text


@case
def _forks() -> Definitions:
    by_tasks = _task(
        "fan_out",
        "FORK_JOIN_DYNAMIC",
        inputParameters={"tasks": "${workflow.input.tasks}", "inputs": {}},
        dynamicForkTasksParam="tasks",
        dynamicForkTasksInputParamName="inputs",
    )
    by_workflow = _task(
        "per_item",
        "FORK_JOIN_DYNAMIC",
        inputParameters={
            "forkTaskWorkflow": "child",
            "forkTaskWorkflowVersion": "3",
            "forkTaskInputs": "${workflow.input.items}",
        },
    )
    tasks = [by_tasks, _task("join_1", "JOIN"), by_workflow, _task("join_2", "JOIN")]
    definition = _workflow("forks", tasks, inputParameters=["tasks", "items"])
    return [definition]


def test_dynamic_forks_of_both_forms(tmp_path: Path) -> None:
    (definition,) = _forks()
    imported = _import(tmp_path, definition)
    _assert_round_trip(imported, definition)
    text = imported.text("0.json")
    assert 'tasks_param="tasks",' in text
    assert 'child = ExternalWorkflow("child", version=3)' in text
    assert "workflow=child, fork_inputs=inputs.items)" in text
    assert compile_project(imported.project).errors == []


@case
def _loops() -> Definitions:
    pick = _task(
        "pick",
        "INLINE",
        inputParameters={
            "evaluatorType": "graaljs",
            "expression": "$.i % 2 == 0 ? 'even' : 'odd'",
            "i": "${loop.output.iteration}",
        },
    )
    branch = _task(
        "branch",
        "SWITCH",
        evaluatorType="value-param",
        expression="switchCaseValue",
        inputParameters={"switchCaseValue": "${pick.output.result}"},
        decisionCases={"even": [_task("on_even")]},
        defaultCase=[_task("on_odd", inputParameters={"n": "${loop.output.iteration}"})],
    )
    loop = _task(
        "loop",
        "DO_WHILE",
        loopCondition="$.loop['iteration'] < 3",
        loopOver=[pick, branch],
        inputParameters={},
    )
    definition = _workflow("loops", [loop], outputParameters={"last": "${pick.output.result}"})
    return [definition]


def test_do_while_with_a_switch_inside(tmp_path: Path) -> None:
    (definition,) = _loops()
    imported = _import(tmp_path, definition)
    _assert_round_trip(imported, definition)
    text = imported.text("0.json")
    assert 'inputs={"i": DoWhile.iteration_of("loop")},' in text
    assert "value=pick.output.result," in text
    assert 'cases={"even": [Simple("on_even")]},' in text
    assert '"last": pick.output.result' in text


@case
def _variables_and_loop_counters() -> Definitions:
    # Written from Conductor's code, for the three classes of false errors found on workflows
    # it runs correctly: SetVariable.execute sets any name, declared in `variables` or not;
    # DoWhile.evaluateCondition resolves the loop's own inputs again, when its output (the
    # iteration) exists; a variable nothing sets reads null, which a SWITCH may mean.
    remember = _task("remember", "SET_VARIABLE", inputParameters={"case": "b", "seen": True})
    route = _task(
        "route",
        "SWITCH",
        evaluatorType="value-param",
        expression="switchCaseValue",
        inputParameters={"switchCaseValue": "${workflow.variables.case}"},
        decisionCases={"b": [_task("on_b", inputParameters={"n": "${workflow.variables.count}"})]},
        defaultCase=[_task("other", inputParameters={"m": "${workflow.variables.elsewhere}"})],
    )
    loop = _task(
        "loop",
        "DO_WHILE",
        loopCondition="$.pass < 3",
        inputParameters={"pass": "${loop.output.iteration}", "so_far": "${loop.output}"},
        loopOver=[_task("body")],
    )
    definition = _workflow("variables_set_later", [remember, route, loop], variables={"count": 0})
    return [definition]


def test_variables_set_by_tasks_and_loops_reading_themselves_build(tmp_path: Path) -> None:
    (definition,) = _variables_and_loop_counters()
    imported = _import(tmp_path, definition)
    _assert_round_trip(imported, definition)
    text = imported.text("0.json")
    # The variables the JSON starts with keep their values; those only SET_VARIABLE sets are
    # declared without a default, so that they are not among the initial variables.
    assert "count: Any = 0" in text
    assert "case: Any\n" in text and "seen: Any\n" in text
    assert "value=variables.case," in text
    assert 'DoWhile.iteration_of("loop")' in text
    findings = compile_project(imported.project, strict=False).findings
    assert [(f.severity, f.code.value, f.task) for f in findings] == [
        ("warning", "DSL016", "other")
    ], "\n".join(map(str, findings))


@case
def _unknown() -> Definitions:
    custom = _task("custom", "MY_TASK", inputParameters={"a": 1}, futureField={"x": True})
    definition = _workflow("custom", [custom], laterField=[1, 2.5, None])
    return [definition]


def test_unknown_types_and_fields_are_carried_with_warnings(tmp_path: Path) -> None:
    (definition,) = _unknown()
    imported = _import(tmp_path, definition)
    _assert_round_trip(imported, definition)
    warnings = "\n".join(imported.result.warnings)
    assert "no builder for task type 'MY_TASK'; written as GenericTask" in warnings
    assert "task custom: unknown field(s) futureField carried through in extra=" in warnings
    assert "unknown field(s) laterField carried through in extra=" in warnings
    assert '"laterField": [1, 2.5, None]' in imported.text("0.json")


@case
def _calls() -> Definitions:
    child = _workflow("child", [_task("work")], outputParameters={"done": "${work.output.ok}"})
    parent = _workflow(
        "parent",
        [
            _task(
                "call",
                "SUB_WORKFLOW",
                name="child",
                subWorkflowParam={"name": "child", "version": 1},
            ),
            _task(
                "newest", "SUB_WORKFLOW", name="elsewhere", subWorkflowParam={"name": "elsewhere"}
            ),
            _task("echo", inputParameters={"done": "${call.output.done}"}),
        ],
    )
    return [child, parent]


def test_sub_workflows_import_each_other_or_are_declared_external(tmp_path: Path) -> None:
    child, parent = _calls()
    imported = _import(tmp_path, child, parent)
    _assert_round_trip(imported, child, parent)
    text = imported.text("1.json")
    assert "from .child import child" in text
    assert 'call = SubWorkflow("call", workflow=child)' in text
    assert "# Called without a version (the newest runs); 1 is a placeholder." in text
    assert 'elsewhere = ExternalWorkflow("elsewhere", version=1)' in text
    assert 'newest = SubWorkflow("newest", workflow=elsewhere, latest=True)' in text
    assert '"done": call.output.done' in text
    assert compile_project(imported.project).errors == []


@case
def _versions() -> Definitions:
    pinned = {"name": "shared", "version": 2}
    calls = [
        _task("newest", "SUB_WORKFLOW", name="shared", subWorkflowParam={"name": "shared"}),
        _task("pinned", "SUB_WORKFLOW", name="shared", subWorkflowParam=pinned),
    ]
    return [_workflow("versions", calls)]


def test_a_workflow_called_with_and_without_a_version_is_declared_once(tmp_path: Path) -> None:
    (definition,) = _versions()
    imported = _import(tmp_path, definition)
    _assert_round_trip(imported, definition)
    text = imported.text("0.json")
    assert text.count("ExternalWorkflow(") == 1
    assert 'shared = ExternalWorkflow("shared", version=2)' in text
    assert 'SubWorkflow("newest", workflow=shared, latest=True)' in text


@case
def _cycle() -> Definitions:
    ping = _workflow("ping", [_task("to_pong", "SUB_WORKFLOW", subWorkflowParam={"name": "pong"})])
    pong = _workflow("pong", [_task("to_ping", "SUB_WORKFLOW", subWorkflowParam={"name": "ping"})])
    return [ping, pong]


def test_calls_in_a_cycle_do_not_import_each_other(tmp_path: Path) -> None:
    ping, pong = _cycle()
    imported = _import(tmp_path, ping, pong)
    _assert_round_trip(imported, ping, pong)
    texts = imported.text("0.json") + imported.text("1.json")
    assert texts.count("ExternalWorkflow(") == 1


@case
def _names() -> Definitions:
    tasks = [
        _task("class"),
        _task("1st"),
        _task("a-b"),
        _task("a_b"),
        _task("inputs", inputParameters={"v": "${workflow.input._hidden}"}),
        _task("Workflow", inputParameters={"j": "${workflow.input.json}"}),
    ]
    first = _workflow("My Flow!", tasks, inputParameters=["_hidden", "json"])
    second = {**_workflow("My Flow!", [_task("only")]), "version": 2}
    return [first, second]


def test_names_are_valid_unique_identifiers(tmp_path: Path) -> None:
    first, second = _names()
    imported = _import(tmp_path, first, second)
    _assert_round_trip(imported, first, second)
    assert imported.result.modules == {"0.json": "my_flow_v1", "1.json": "my_flow_v2"}
    text = imported.text("0.json")
    for variable in (
        "class_ =",
        "task_1st =",
        "a_b =",
        "a_b_task =",
        "inputs_task =",
        "workflow =",
    ):
        assert f"\n{variable}" in text, variable
    assert 'hidden: Any = Field(default=None, alias="_hidden")' in text
    assert 'field_json: Any = Field(default=None, alias="json")' in text


@case
def _plain() -> Definitions:
    long_text = "a long description that does not fit on one line of code " * 4
    script = "(function () {\n  return $.x;\n})()"
    inline = _task(
        "run", "INLINE", inputParameters={"evaluatorType": "javascript", "expression": script}
    )
    definition = _workflow("plain", [inline], description=long_text)
    return [definition]


def test_code_without_ruff_is_valid_and_builds_the_same(tmp_path: Path) -> None:
    (definition,) = _plain()
    imported = _import(tmp_path, definition, ruff=False)
    _assert_round_trip(imported, definition)
    text = imported.text("0.json")
    assert 'script="""(function () {\n  return $.x;\n})()""",' in text
    assert all(len(line) <= 100 for line in text.splitlines())


def test_what_cannot_be_written_exactly_is_reported(tmp_path: Path) -> None:
    definition = _workflow("nulls", [_task("t", description=None)])
    imported = _import(tmp_path, definition)
    assert any(
        "field(s) description cannot be written exactly" in w for w in imported.result.warnings
    )


def test_task_definitions_keep_every_field(tmp_path: Path) -> None:
    taskdefs = [
        {"name": "fast", "retryCount": 2, "retryLogic": "FIXED", "retryDelaySeconds": 1},
        {"name": "odd", "timeoutSeconds": 10, "responseTimeoutSeconds": 60, "custom": "x"},
    ]
    imported = _import(tmp_path, taskdefs)
    built = [
        taskdef.to_wire().model_dump(by_alias=True, exclude_none=True)
        for taskdef in imported.project.taskdefs
    ]
    assert canonical(built) == canonical(taskdefs)
    text = (imported.directory / "taskdefs.py").read_text()
    assert 'retry=RetryPolicy(count=2, delay_seconds=1, logic="FIXED")' in text
    # Built as written; the validator, not the builder, says the server refuses it (DSL050).
    assert "timeout_seconds=10" in text and "response_timeout_seconds=60" in text
    assert any("unknown field(s) custom" in w for w in imported.result.warnings)


def test_unreadable_input_is_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ImportFailed, match=r"broken\.json:1: not JSON"):
        import_files([broken])


@case
def _unicode() -> Definitions:
    text = "D\u00e9ploiement \u2019quoted\u2019 \u2013 ${workflow.input.x} " + "\u00e9" * 80
    definition = _workflow("unicode", [_task("t", inputParameters={"msg": text})], description=text)
    return [definition]


def test_text_with_look_alike_characters_stays_ruff_clean(tmp_path: Path) -> None:
    (definition,) = _unicode()
    imported = _import(tmp_path, definition)
    _assert_round_trip(imported, definition)
    source = imported.text("0.json")
    assert source.isascii()
    assert "D\\xe9ploiement \\u2019quoted\\u2019 \\u2013 {inputs.x}" in source


def test_every_case_passes_ruff_and_mypy_even_unformatted(tmp_path: Path) -> None:
    # One package for all cases: one ruff and one mypy run (workflow names differ by case).
    # Not formatted by ruff first: the emitter alone writes code in ruff's style.
    every = (definition for build in CASES for definition in build())
    imported = _import(tmp_path, *every, ruff=False)
    config = str(REPO_ROOT / "pyproject.toml")
    for tool, *args in (
        ("ruff", "check", "--config", config),
        ("ruff", "format", "--check", "--config", config),
        ("mypy", "--config-file", config),
    ):
        command = [str(Path(sys.executable).with_name(tool)), *args, str(imported.directory)]
        done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

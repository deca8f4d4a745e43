"""The validator: broken definitions must fail with the exact code and line; Conductor's own
workflows must pass (warnings allowed)."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from deploy_dsl.compiler import compile_project
from deploy_dsl.findings import Code
from deploy_dsl.project import collect
from deploy_dsl.validation import Subject, validate
from deploy_dsl.wire import TaskDef, WorkflowDef, WorkflowTask
from tests.conftest import CONDUCTOR_FIXTURES, REPO_ROOT

INVALID_DIR = Path(__file__).parent / "invalid"
INVALID = sorted(p.stem for p in INVALID_DIR.glob("*.py") if not p.stem.startswith("_"))
_EXPECT = re.compile(r"# expect(-warning)?: (DSL\d+)")


def _expected(module: str) -> set[tuple[str, str, str]]:
    path = INVALID_DIR / f"{module}.py"
    expected = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if match := _EXPECT.search(line):
            severity = "warning" if match.group(1) else "error"
            expected.add((severity, match.group(2), f"tests/invalid/{module}.py:{number}"))
    return expected


@pytest.mark.parametrize("module", INVALID)
def test_invalid_definition_fails_with_its_code_at_its_line(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    project = collect([importlib.import_module(f"tests.invalid.{module}")])
    findings = compile_project(project).findings
    found = {(f.severity, f.code.value, f.location or "") for f in findings}
    assert found == _expected(module), "\n".join(map(str, findings))


def test_every_invalid_case_expects_something() -> None:
    assert len(INVALID) >= 14
    for module in INVALID:
        assert _expected(module), f"tests/invalid/{module}.py has no '# expect:' marker"


def _findings(workflow: dict[str, Any], **subject: Any) -> list[tuple[str, str, str | None]]:
    definition = WorkflowDef.model_validate(workflow)
    found = validate(Subject([definition], strict=subject.pop("strict", False), **subject))
    return [(f.severity, f.code.name, f.task) for f in found]


def _wf(*tasks: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "name": "w",
        "version": 1,
        "ownerEmail": "o@example.com",
        "tasks": list(tasks),
        **fields,
    }


def _t(ref: str, kind: str = "SIMPLE", **fields: Any) -> dict[str, Any]:
    return {"name": fields.pop("name", ref), "taskReferenceName": ref, "type": kind, **fields}


def _loop(*body: dict[str, Any], ref: str = "loop") -> dict[str, Any]:
    condition = f"$.{ref}['iteration'] < 2"
    return _t(ref, "DO_WHILE", loopCondition=condition, loopOver=list(body))


HTTP_OK = {"http_request": {"uri": "http://w/x", "method": "GET"}}
ERROR, WARNING = "error", "warning"

# One case per rule: the workflow's tasks, what the validator must say, and (in the comment)
# the Conductor class or method whose behaviour the rule encodes.
RULES: list[tuple[str, list[dict[str, Any]], list[tuple[str, str, str | None]]]] = [
    # TaskReferenceNameUniqueValidator.isValid: unique over collectTasks(), loop bodies included
    ("duplicate_in_loop", [_t("a"), _loop(_t("a"))], [(ERROR, "DUPLICATE_REF", "a")]),
    # TaskUtils.removeIterationFromTaskRefName: a body task's reference is cut at '__'
    ("dunder_in_loop", [_loop(_t("a__b"))], [(ERROR, "DOUBLE_UNDERSCORE_REF", "a__b")]),
    # ... outside a loop nothing is cut: it runs (DoWhile.execute may still confuse the prefix)
    ("dunder_top", [_t("a__b")], [(WARNING, "DOUBLE_UNDERSCORE_REF", "a__b")]),
    # WorkflowTask.name / taskReferenceName are @NotEmpty
    ("empty_name", [_t("a", name="")], [(ERROR, "EMPTY_NAME", "a")]),
    # WorkflowTask.startDelay is @PositiveOrZero
    ("negative_delay", [_t("a", startDelay=-1)], [(ERROR, "NEGATIVE_START_DELAY", "a")]),
    # ConstraintParamUtil.validateInputParam checks top-level tasks: an unknown root is refused
    ("unknown_root_top", [_t("a", inputParameters={"x": "${nope.output}"})],
     [(ERROR, "UNKNOWN_ROOT", "a")]),
    # ParametersUtils.getTaskInputV2: nested, JSONPath with SUPPRESS_EXCEPTIONS reads null
    ("unknown_root_nested", [_loop(_t("a", inputParameters={"x": "${nope.output}"}))],
     [(ERROR, "UNKNOWN_ROOT", "a")]),
    # ConstraintParamUtil: JsonPath.compile("") fails, so `${}` is refused in a top-level task
    ("empty_expression_top", [_t("a", inputParameters={"x": "${}"})],
     [(ERROR, "UNKNOWN_ROOT", "a")]),
    # ConstraintParamUtil splits at '.': `$.workflow` is not a root it knows (top level only)
    ("dollar_root_top", [_t("a", inputParameters={"x": "${$.workflow.input.x}"})],
     [(ERROR, "UNKNOWN_ROOT", "a")]),
    # Jayway JSONPath: `$.x` is the document's root, as `x` is (nested tasks are not checked)
    ("dollar_root_nested", [_loop(_t("a", inputParameters={"x": "${$.workflow.input.x}"}))],
     [(WARNING, "UNDECLARED_INPUT", "a")]),
    # ConstraintParamUtil: the root is read up to the first '.', so `a['output']` is refused
    ("bracket_root_top", [_t("b"), _t("a", inputParameters={"x": "${b['output'].x}"})],
     [(ERROR, "UNKNOWN_ROOT", "a")]),
    ("bracket_root_nested", [_t("b"), _loop(_t("a", inputParameters={"x": "${b['output'].x}"}))],
     []),
    # EnvUtils.getSystemParametersValue: CPEWF_TASK_ID is the task's id; NETFLIX_ENV comes from
    # the host and stays literal where unset; other names only where the host has them
    ("system_parameters",
     [_t("a", inputParameters={"id": "${CPEWF_TASK_ID}", "e": "${NETFLIX_ENV}", "h": "${HOME}"})],
     [(WARNING, "UNKNOWN_ROOT", "a"), (WARNING, "UNKNOWN_ROOT", "a")]),
    # ParametersUtils: `workflow.env.` goes to the EnvironmentDAO, `workflow.secrets.` to the
    # SecretsDAO at dispatch; schemaVersion is in getTaskInputV2's workflow map
    ("workflow_env_secrets", [_t("a", inputParameters={
        "e": "${workflow.env.REGION}", "s": "${workflow.secrets.TOKEN}",
        "v": "${workflow.schemaVersion}"})], []),
    # getTaskInputV2's workflow map has no createTime: it resolves to null
    ("workflow_field_null", [_t("a", inputParameters={"x": "${workflow.createTime}"})],
     [(ERROR, "BAD_WORKFLOW_FIELD", "a")]),
    # getTaskInputV2's task map has no seq or subWorkflowId (that one is in the output)
    ("task_field_null", [_t("b"), _t("a", inputParameters={"x": "${b.seq}"})],
     [(ERROR, "BAD_TASK_FIELD", "a")]),
    # getTaskInputV2 maps only tasks already scheduled: a later one reads null
    ("forward", [_t("a", inputParameters={"x": "${b.output}"}), _t("b")],
     [(ERROR, "FORWARD_REF", "a")]),
    # DoWhile.evaluateCondition resolves the loop's own inputs again before each condition
    ("loop_inputs_read_body",
     [_t("loop", "DO_WHILE", loopCondition="$.v < 3", inputParameters={"v": "${a.output.n}"},
         loopOver=[_t("a")])], []),
    # SwitchTaskMapper schedules one case: another case's task never runs, so it reads null
    ("switch_sibling", [_t("s", "SWITCH", evaluatorType="value-param", expression="k",
        inputParameters={"k": "x"}, decisionCases={
            "x": [_t("a")], "y": [_t("b", inputParameters={"v": "${a.output}"})]})],
     [(ERROR, "SIBLING_BRANCH_REF", "b")]),
    # ForkJoinTaskMapper starts the branches together: the other branch's task may be done
    ("fork_sibling", [_t("f", "FORK_JOIN", forkTasks=[
        [_t("a")], [_t("b", inputParameters={"v": "${a.output}"})]]),
        _t("j", "JOIN", joinOn=["a", "b"])],
     [(WARNING, "SIBLING_BRANCH_REF", "b")]),
    # WorkflowExecutorOps: variables start as the definition's; an unknown one reads null
    ("undeclared_variable", [_t("a", inputParameters={"x": "${workflow.variables.nope}"})],
     [(ERROR, "UNDECLARED_VARIABLE", "a")]),
    # WorkflowTaskTypeConstraint.isSwitchTaskValid: decisionCases must not be empty ...
    ("switch_no_cases", [_t("s", "SWITCH", evaluatorType="javascript", expression="1",
        decisionCases={})], [(ERROR, "SWITCH_NO_CASES", "s")]),
    # ... except in a DO_WHILE body (loopOver has no @Valid): there it takes the default case
    ("switch_no_cases_in_loop", [_loop(_t("s", "SWITCH", evaluatorType="javascript",
        expression="1", decisionCases={}))], [(WARNING, "SWITCH_NO_CASES", "s")]),
    # the server's Evaluator beans include `python` (PythonEvaluator) ...
    ("switch_python", [_t("s", "SWITCH", evaluatorType="python", expression="x",
        decisionCases={"a": [_t("a")]})], []),
    # ... and SwitchTaskMapper fails the workflow for an unknown one
    ("switch_unknown_evaluator", [_t("s", "SWITCH", evaluatorType="foo", expression="x",
        decisionCases={"a": [_t("a")]})], [(ERROR, "SWITCH_BAD_EVALUATOR", "s")]),
    # isSwitchTaskValid: an expression is required; an empty one selects the default case
    ("switch_empty_expression", [_t("s", "SWITCH", evaluatorType="javascript", expression="",
        decisionCases={"a": [_t("a")]})], [(WARNING, "SWITCH_NO_EXPRESSION", "s")]),
    # ValueParamEvaluator reads inputParameters[expression], unresolved: absent -> null
    ("value_param_not_an_input", [_t("s", "SWITCH", evaluatorType="value-param",
        expression="${workflow.input.k}", decisionCases={"a": [_t("a")]})],
     [(ERROR, "SWITCH_VALUE_NOT_AN_INPUT", "s")]),
    # isDecisionTaskValid: caseValueParam or caseExpression is required
    ("decision_no_param", [_t("d", "DECISION", decisionCases={"a": [_t("a")]})],
     [(ERROR, "DECISION_NO_PARAM", "d")]),
    # ForkJoinTaskMapper: a fork not followed by a JOIN fails the workflow
    ("fork_without_join", [_t("f", "FORK_JOIN", forkTasks=[[_t("a")]]), _t("b")],
     [(ERROR, "FORK_WITHOUT_JOIN", "f")]),
    # Join.execute waits for every joinOn task: one the fork never runs keeps it waiting
    ("join_unknown", [_t("f", "FORK_JOIN", forkTasks=[[_t("a")]]), _t("j", "JOIN",
        joinOn=["ghost"])], [(ERROR, "JOIN_NOT_BRANCH_END", "j")]),
    # ... an empty joinOn completes at once
    ("join_empty", [_t("f", "FORK_JOIN", forkTasks=[[_t("a")]]), _t("j", "JOIN", joinOn=[])],
     [(WARNING, "JOIN_NOT_BRANCH_END", "j")]),
    # ... and a SWITCH completes at once (Switch.execute), so joining on one does not wait
    ("join_on_switch", [_t("f", "FORK_JOIN", forkTasks=[[_t("s", "SWITCH",
        evaluatorType="javascript", expression="1", decisionCases={"1": [_t("a")]})]]),
        _t("j", "JOIN", joinOn=["s"])], [(WARNING, "JOIN_NOT_BRANCH_END", "j")]),
    # isForkJoinTaskValid: forkTasks must not be empty; ForkJoinTaskMapper takes each branch's
    # first task, so an empty branch breaks the start
    ("fork_empty_branch", [_t("f", "FORK_JOIN", forkTasks=[[_t("a")], []]),
        _t("j", "JOIN", joinOn=["a"])], [(ERROR, "FORK_NO_BRANCHES", "f")]),
    # TaskType.of("FORK") is USER_DEFINED: the task waits for a worker, the branches never run
    ("fork_type", [_t("f", "FORK", forkTasks=[[_t("a")]]), _t("j", "JOIN", joinOn=["a"])],
     [(ERROR, "FORK_TYPE", "f")]),
    # isDynamicForkJoinValid: forkTaskInputs, or both dynamicForkTasks* parameters
    ("dynamic_fork_params", [_t("f", "FORK_JOIN_DYNAMIC", dynamicForkTasksParam="t"),
        _t("j", "JOIN")], [(ERROR, "DYNAMIC_FORK_PARAMS", "f")]),
    # ForkJoinDynamicTaskMapper casts forkTaskWorkflowVersion to String
    ("dynamic_fork_version_int", [_t("f", "FORK_JOIN_DYNAMIC", inputParameters={
        "forkTaskWorkflow": "child", "forkTaskWorkflowVersion": 1, "forkTaskInputs": []}),
        _t("j", "JOIN")], [(ERROR, "DYNAMIC_FORK_PARAMS", "f")]),
    # isDoWhileTaskValid: loopCondition and loopOver are required
    ("do_while_no_body", [_t("d", "DO_WHILE", loopCondition="false", loopOver=[])],
     [(ERROR, "DO_WHILE_INCOMPLETE", "d")]),
    # DoWhile.isListIteration: with `items` an empty condition is how a list loop is written
    ("do_while_items", [_t("d", "DO_WHILE", loopCondition="", items="${workflow.input.xs}",
        loopOver=[_t("a")])], []),
    # DoWhile.evaluateCondition: `${...}` is not substituted, and only the loop's inputs,
    # itself and its body are in scope
    ("loop_condition_expression", [_t("d", "DO_WHILE", loopCondition="${d.output.n} < 3",
        loopOver=[_t("a")])], [(ERROR, "LOOP_CONDITION", "d")]),
    ("loop_condition_outside", [_t("p"), _t("d", "DO_WHILE", loopCondition="$.p['n'] > 1",
        loopOver=[_t("a")])], [(ERROR, "LOOP_CONDITION", "d")]),
    ("loop_condition_output_level", [_t("d", "DO_WHILE", loopCondition="$.a.output.n < 3",
        loopOver=[_t("a")])], [(WARNING, "LOOP_CONDITION", "d")]),
    # HttpTask.start: without http_request it reads the whole input (uri, method)
    ("http_inputs_at_top", [_t("h", "HTTP", inputParameters={"uri": "http://w/x",
        "method": "GET"})], [(WARNING, "HTTP_NO_TASKDEF", "h")]),
    # ... and the task FAILS without a method ("No HTTP method specified")
    ("http_no_method", [_t("h", "HTTP", inputParameters={"http_request": {"uri": "http://w"}})],
     [(ERROR, "HTTP_NO_REQUEST", "h"), (WARNING, "HTTP_NO_TASKDEF", "h")]),
    # isHttpTaskValid: no http_request, uri or method at all is refused
    ("http_nothing", [_t("h", "HTTP", inputParameters={"body": {}})],
     [(ERROR, "HTTP_NO_REQUEST", "h"), (ERROR, "HTTP_NO_REQUEST", "h"),
      (WARNING, "HTTP_NO_TASKDEF", "h")]),
    # getTaskInputV2 adds the TaskDef's inputTemplate: a template's http_request serves
    ("http_template", [_t("h", "HTTP", taskDefinition={"name": "h", "inputTemplate": HTTP_OK})],
     []),
    # Terminate.validateInputStatus: exactly COMPLETED, FAILED or TERMINATED
    ("terminate_status", [_t("t", "TERMINATE", inputParameters={"terminationStatus": "DONE"})],
     [(ERROR, "TERMINATE_BAD_STATUS", "t")]),
    # isTerminateTaskValid: "terminate task cannot be optional"
    ("terminate_optional", [_t("t", "TERMINATE", optional=True,
        inputParameters={"terminationStatus": "FAILED"})], [(ERROR, "TERMINATE_OPTIONAL", "t")]),
    # isEventTaskValid / isJSONJQTransformTaskValid / isKafkaPublishTaskValid: required fields
    ("event_no_sink", [_t("e", "EVENT")], [(ERROR, "TASK_FIELD_MISSING", "e")]),
    ("jq_no_query", [_t("q", "JSON_JQ_TRANSFORM", inputParameters={})],
     [(ERROR, "TASK_FIELD_MISSING", "q")]),
    # Inline.checkExpression: an INLINE without an expression FAILS
    ("inline_no_expression", [_t("i", "INLINE", inputParameters={"evaluatorType": "graaljs"})],
     [(ERROR, "TASK_FIELD_MISSING", "i")]),
    # isSubWorkflowTaskValid: subWorkflowParam is required
    ("sub_no_params", [_t("s", "SUB_WORKFLOW")], [(ERROR, "SUB_WORKFLOW_NO_NAME", "s")]),
    # SubWorkflowParams.getName() is the inline definition's name: nothing is looked up
    ("sub_inline", [_t("s", "SUB_WORKFLOW", subWorkflowParam={"workflowDefinition": {
        "name": "inline", "tasks": [_t("a")]}})], []),
    # MetadataMapperService.populateVersionForSubWorkflow looks the literal name up at start
    ("sub_name_expression", [_t("s", "SUB_WORKFLOW", subWorkflowParam={
        "name": "${workflow.input.child}"})],
     [(ERROR, "SUB_WORKFLOW_VERSION", "s")]),
    # Jackson reads subWorkflowParam.version as an Integer: an expression answers 500
    ("sub_version_expression", [_t("s", "SUB_WORKFLOW", subWorkflowParam={
        "name": "child", "version": "${workflow.input.v}"})],
     [(ERROR, "SUB_WORKFLOW_VERSION", "s"), (WARNING, "MISSING_SUB_WORKFLOW", "s")]),
    # WaitTaskMapper / isWaitTaskValid: DateTimeUtils.parseDuration, not both fields
    ("wait_bad_duration", [_t("w", "WAIT", inputParameters={"duration": "5"})],
     [(ERROR, "WAIT_DURATION", "w")]),
    ("wait_both", [_t("w", "WAIT", inputParameters={"duration": "5s", "until": "2030-01-01"})],
     [(ERROR, "WAIT_DURATION", "w")]),
    ("wait_bad_until", [_t("w", "WAIT", inputParameters={"until": "2030-01-01T10:00:00Z"})],
     [(ERROR, "WAIT_DURATION", "w")]),
    # WaitTaskMapper.setCallbackAfter: a blank duration waits until completed from outside
    ("wait_blank", [_t("w", "WAIT", inputParameters={"duration": " "})],
     [(WARNING, "WAIT_DURATION", "w")]),
    ("wait_expression", [_t("w", "WAIT", inputParameters={"duration": "${workflow.input.d}"})],
     [(WARNING, "UNDECLARED_INPUT", "w")]),
    # DeciderService: an unknown type is scheduled for a worker that never comes
    ("unknown_type", [_t("u", "MY_TYPE")], [(WARNING, "UNKNOWN_TASK_TYPE", "u")]),
]  # fmt: skip


@pytest.mark.parametrize(("tasks", "expected"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule(tasks: list[dict[str, Any]], expected: list[tuple[str, str, str | None]]) -> None:
    assert sorted(_findings(_wf(*tasks))) == sorted(expected)


def test_undeclared_input_is_an_error_only_for_the_projects_definitions() -> None:
    # WorkflowDef.inputParameters is documentation to the server: a key nobody sends is null.
    task = _t("a", inputParameters={"x": "${workflow.input.y}"})
    assert _findings(_wf(task)) == [(WARNING, "UNDECLARED_INPUT", "a")]
    assert _findings(_wf(task), strict=True) == [(ERROR, "UNDECLARED_INPUT", "a")]


def test_input_template_keys_count_as_declared() -> None:
    # WorkflowExecutorOps merges inputTemplate defaults into the start input.
    task = _t("a", inputParameters={"x": "${workflow.input.region}"})
    assert _findings(_wf(task, inputTemplate={"region": "eu"})) == []


def test_a_missing_owner_is_a_warning() -> None:
    # The boot jar sets conductor.app.ownerEmailMandatory=false; the code default is true.
    workflow = _wf(_t("a"))
    del workflow["ownerEmail"]
    assert _findings(workflow) == [(WARNING, "MISSING_OWNER_EMAIL", None)]


def test_empty_tasks_are_refused() -> None:
    # WorkflowDef.tasks is @NotEmpty.
    assert _findings(_wf()) == [(ERROR, "EMPTY_TASKS", None)]


@pytest.mark.parametrize("version", [2**31, -(2**31) - 1, 10**40])
def test_a_version_outside_the_servers_int_is_refused(version: int) -> None:
    # WorkflowDef.version is a Java int.
    assert _findings(_wf(_t("a"), version=version)) == [(ERROR, "VERSION_OUT_OF_RANGE", None)]


def test_a_missing_sub_workflow_is_an_error_for_the_project_and_a_warning_for_json() -> None:
    # SubWorkflow.start: "No such workflow defined" fails the task (the parent's start fails
    # instead when no version is given: populateVersionForSubWorkflow).
    task = _t("s", "SUB_WORKFLOW", subWorkflowParam={"name": "ghost", "version": 1})
    assert _findings(_wf(task)) == [(WARNING, "MISSING_SUB_WORKFLOW", "s")]
    assert _findings(_wf(task), strict=True) == [(ERROR, "MISSING_SUB_WORKFLOW", "s")]
    assert _findings(_wf(task), external_workflows=frozenset({"ghost"})) == []


def _taskdef_findings(**fields: Any) -> list[tuple[str, str]]:
    taskdef = TaskDef.model_validate({"name": "t", "ownerEmail": "o@example.com", **fields})
    return [(f.severity, f.code.name) for f in validate(Subject([], [taskdef]))]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # TaskTimeoutConstraint: responseTimeoutSeconds may equal timeoutSeconds ...
        ({"timeoutSeconds": 60, "responseTimeoutSeconds": 60}, []),
        # ... not exceed it; left out it is 3600 (TaskDef's default)
        ({"timeoutSeconds": 60, "responseTimeoutSeconds": 61}, [(ERROR, "TASKDEF_TIMEOUTS")]),
        ({"timeoutSeconds": 60}, [(ERROR, "TASKDEF_TIMEOUTS")]),
        ({"timeoutSeconds": 3600}, []),
        ({"timeoutSeconds": 60, "responseTimeoutSeconds": 10, "totalTimeoutSeconds": 30},
         [(ERROR, "TASKDEF_TIMEOUTS")]),
        # TaskDef's field constraints: @Min(1) responseTimeoutSeconds, @Min(0) retryCount
        ({"responseTimeoutSeconds": 0}, [(ERROR, "TASKDEF_OUT_OF_RANGE")]),
        ({"retryCount": -1}, [(ERROR, "TASKDEF_OUT_OF_RANGE")]),
    ],
)  # fmt: skip
def test_taskdef_rule(fields: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert _taskdef_findings(**fields) == expected


def test_duplicate_definitions_are_errors_only_when_they_differ() -> None:
    # The bulk PUT/POST keeps the last of two definitions with the same key.
    one = WorkflowDef.model_validate(_wf(_t("a")))
    other = WorkflowDef.model_validate(_wf(_t("b")))
    same = validate(Subject([one, one], strict=False))
    differ = validate(Subject([one, other], strict=False))
    assert [(f.severity, f.code.name) for f in same] == [(WARNING, "DUPLICATE_WORKFLOW")]
    assert [(f.severity, f.code.name) for f in differ] == [(ERROR, "DUPLICATE_WORKFLOW")]


def test_a_duplicate_workflow_name_names_every_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)
    project = collect([importlib.import_module("tests.invalid.duplicate_workflow")])
    (finding,) = compile_project(project).findings
    assert "tests/invalid/duplicate_workflow.py:4" in finding.message
    assert "tests/invalid/duplicate_workflow.py:5" in finding.message


def test_a_cycle_is_named_in_order() -> None:
    calls_b = _t("s", "SUB_WORKFLOW", subWorkflowParam={"name": "b", "version": 1})
    calls_a = _t("s", "SUB_WORKFLOW", subWorkflowParam={"name": "a", "version": 1})
    a = WorkflowDef.model_validate({**_wf(calls_b), "name": "a"})
    b = WorkflowDef.model_validate({**_wf(calls_a), "name": "b"})
    (finding,) = validate(Subject([a, b], strict=False))
    assert finding.code is Code.SUB_WORKFLOW_CYCLE
    assert "a v1 -> b v1 -> a v1" in finding.message


def test_nesting_past_the_limit_is_a_finding_not_a_crash() -> None:
    task = WorkflowTask(name="leaf", task_reference_name="leaf")
    for level in range(3000):  # deeper than Python's recursion limit
        task = WorkflowTask.model_construct(
            name=f"s{level}", task_reference_name=f"s{level}", type="SWITCH",
            evaluator_type="javascript", expression="1", decision_cases={"1": [task]},
        )  # fmt: skip
    definition = WorkflowDef.model_construct(
        name="deep", version=1, owner_email="o@x", tasks=[task]
    )
    assert [f.code for f in validate(Subject([definition], strict=False))] == [Code.NESTED_TOO_DEEP]


# Conductor's own test workflows: the server accepts them, so the validator must too, except
# where a workflow has a defect at run time; each is listed with what happens.
BROKEN_FIXTURES: dict[str, str] = {
    "nested_fork_join_integration_test.json": "join2 waits on t20, which runs only in case 'a' "
    "of d1: in any other case the JOIN never completes (Join.execute)",
    "nested_fork_join_with_sub_workflow_integration_test.json": "the same JOIN on t20 as "
    "nested_fork_join_integration_test",
}


def _fixture_files() -> list[Path]:
    files = sorted(CONDUCTOR_FIXTURES.glob("*.json"))
    assert len(files) == 76, f"expected Conductor's 76 fixtures in {CONDUCTOR_FIXTURES}"
    return files


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: p.stem)
def test_conductor_fixture_has_no_errors(path: Path) -> None:
    data = json.loads(path.read_text())
    items = data if isinstance(data, list) else [data]
    workflows = [WorkflowDef.model_validate(item) for item in items]
    errors = [f for f in validate(Subject(workflows, strict=False)) if f.severity == "error"]
    if path.name in BROKEN_FIXTURES:
        assert errors, f"{path.name} was listed as broken but validates cleanly"
    else:
        assert not errors, "\n".join(map(str, errors))


def test_every_code_is_unique() -> None:
    values = [code.value for code in Code]
    assert len(values) == len(set(values))

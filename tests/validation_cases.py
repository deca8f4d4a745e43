"""The validator's rule cases, shared by its unit tests and the end-to-end differential test,
which registers each on the real server and compares the server's verdict with the validator's.

Each case says what the validator must report; the comment above it names the Conductor class
or method whose behaviour the rule encodes.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ERROR", "RULES", "TASKDEF_RULES", "WARNING", "WORKFLOW_RULES", "task", "workflow"]


def workflow(*tasks: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "name": "w",
        "version": 1,
        "ownerEmail": "o@example.com",
        "tasks": list(tasks),
        **fields,
    }


def task(ref: str, kind: str = "SIMPLE", **fields: Any) -> dict[str, Any]:
    return {"name": fields.pop("name", ref), "taskReferenceName": ref, "type": kind, **fields}


def loop(*body: dict[str, Any], ref: str = "loop") -> dict[str, Any]:
    condition = f"$.{ref}['iteration'] < 2"
    return task(ref, "DO_WHILE", loopCondition=condition, loopOver=list(body))


HTTP_OK = {"http_request": {"uri": "http://w/x", "method": "GET"}}
ERROR, WARNING = "error", "warning"

# One case per rule: the workflow's tasks, what the validator must say, and (in the comment)
# the Conductor class or method whose behaviour the rule encodes.
RULES: list[tuple[str, list[dict[str, Any]], list[tuple[str, str, str | None]]]] = [
    # TaskReferenceNameUniqueValidator.isValid: unique over collectTasks(), loop bodies included
    ("duplicate_in_loop", [task("a"), loop(task("a"))], [(ERROR, "DUPLICATE_REF", "a")]),
    # TaskUtils.removeIterationFromTaskRefName: a body task's reference is cut at '__'
    ("dunder_in_loop", [loop(task("a__b"))], [(ERROR, "DOUBLE_UNDERSCORE_REF", "a__b")]),
    # ... outside a loop nothing is cut: it runs (DoWhile.execute may still confuse the prefix)
    ("dunder_top", [task("a__b")], [(WARNING, "DOUBLE_UNDERSCORE_REF", "a__b")]),
    # WorkflowTask.name / taskReferenceName are @NotEmpty
    ("empty_name", [task("a", name="")], [(ERROR, "EMPTY_NAME", "a")]),
    # WorkflowTask.startDelay is @PositiveOrZero
    ("negative_delay", [task("a", startDelay=-1)], [(ERROR, "NEGATIVE_START_DELAY", "a")]),
    # ConstraintParamUtil.validateInputParam checks top-level tasks: an unknown root is refused
    ("unknown_root_top", [task("a", inputParameters={"x": "${nope.output}"})],
     [(ERROR, "UNKNOWN_ROOT", "a")]),
    # ParametersUtils.getTaskInputV2: nested, JSONPath with SUPPRESS_EXCEPTIONS reads null
    ("unknown_root_nested", [loop(task("a", inputParameters={"x": "${nope.output}"}))],
     [(ERROR, "UNKNOWN_ROOT", "a")]),
    # ConstraintParamUtil: JsonPath.compile("") fails, so `${}` is refused in a top-level task
    ("empty_expression_top", [task("a", inputParameters={"x": "${}"})],
     [(ERROR, "UNKNOWN_ROOT", "a")]),
    # ConstraintParamUtil splits at '.': `$.workflow` is not a root it knows (top level only)
    ("dollar_root_top", [task("a", inputParameters={"x": "${$.workflow.input.x}"})],
     [(ERROR, "UNKNOWN_ROOT", "a")]),
    # Jayway JSONPath: `$.x` is the document's root, as `x` is (nested tasks are not checked)
    ("dollar_root_nested", [loop(task("a", inputParameters={"x": "${$.workflow.input.x}"}))],
     [(WARNING, "UNDECLARED_INPUT", "a")]),
    # ConstraintParamUtil: the root is read up to the first '.', so `a['output']` is refused
    ("bracket_root_top", [task("b"), task("a", inputParameters={"x": "${b['output'].x}"})],
     [(ERROR, "UNKNOWN_ROOT", "a")]),
    ("bracket_root_nested", [task("b"), loop(task("a", inputParameters={"x": "${b['output'].x}"}))],
     []),
    # EnvUtils.getSystemParametersValue: CPEWF_TASK_ID is the task's id; NETFLIX_ENV comes from
    # the host and stays literal where unset; other names only where the host has them
    ("system_parameters",
     [task("a", inputParameters={"id": "${CPEWF_TASK_ID}", "e": "${NETFLIX_ENV}", "h": "${HOME}"})],
     [(WARNING, "UNKNOWN_ROOT", "a"), (WARNING, "UNKNOWN_ROOT", "a")]),
    # ParametersUtils: `workflow.env.` goes to the EnvironmentDAO, `workflow.secrets.` to the
    # SecretsDAO at dispatch; schemaVersion is in getTaskInputV2's workflow map
    ("workflow_env_secrets", [task("a", inputParameters={
        "e": "${workflow.env.REGION}", "s": "${workflow.secrets.TOKEN}",
        "v": "${workflow.schemaVersion}"})], []),
    # getTaskInputV2's workflow map has no createTime: it resolves to null
    ("workflow_field_null", [task("a", inputParameters={"x": "${workflow.createTime}"})],
     [(ERROR, "BAD_WORKFLOW_FIELD", "a")]),
    # getTaskInputV2's task map has no seq or subWorkflowId (that one is in the output)
    ("task_field_null", [task("b"), task("a", inputParameters={"x": "${b.seq}"})],
     [(ERROR, "BAD_TASK_FIELD", "a")]),
    # getTaskInputV2 maps only tasks already scheduled: a later one reads null
    ("forward", [task("a", inputParameters={"x": "${b.output}"}), task("b")],
     [(ERROR, "FORWARD_REF", "a")]),
    # getTaskInputV2: in a loop body a task reading itself gets its previous iteration's output
    ("loop_self_reference", [loop(task("acc", inputParameters={"prev": "${acc.output}"}))], []),
    # ... outside a loop it has not run yet: null
    ("self_reference", [task("acc", inputParameters={"prev": "${acc.output}"})],
     [(ERROR, "FORWARD_REF", "acc")]),
    # DoWhile.evaluateCondition resolves the loop's own inputs again before each condition
    ("loop_inputs_read_body",
     [task("loop", "DO_WHILE", loopCondition="$.v < 3", inputParameters={"v": "${a.output.n}"},
         loopOver=[task("a")])], []),
    # ... and its own output: `${loop.output.iteration}` is the loop's counter by then
    ("loop_inputs_read_itself",
     [task("loop", "DO_WHILE", loopCondition="$.i < 3", inputParameters={
         "i": "${loop.output.iteration}", "all": "${loop.output}"}, loopOver=[task("a")])], []),
    # SwitchTaskMapper schedules one case: another case's task never runs, so it reads null
    ("switch_sibling", [task("s", "SWITCH", evaluatorType="value-param", expression="k",
        inputParameters={"k": "x"}, decisionCases={
            "x": [task("a")], "y": [task("b", inputParameters={"v": "${a.output}"})]})],
     [(ERROR, "SIBLING_BRANCH_REF", "b")]),
    # ForkJoinTaskMapper starts the branches together: the other branch's task may be done
    ("fork_sibling", [task("f", "FORK_JOIN", forkTasks=[
        [task("a")], [task("b", inputParameters={"v": "${a.output}"})]]),
        task("j", "JOIN", joinOn=["a", "b"])],
     [(WARNING, "SIBLING_BRANCH_REF", "b")]),
    # WorkflowExecutorOps: variables start as the definition's; one nothing sets reads null,
    # which the workflow may mean (a SWITCH's default case): a warning
    ("undeclared_variable", [task("a", inputParameters={"x": "${workflow.variables.nope}"})],
     [(WARNING, "UNDECLARED_VARIABLE", "a")]),
    # SetVariable.execute puts any name into the variables, declared or not
    ("variable_set_not_declared", [task("s", "SET_VARIABLE", inputParameters={"case": "a"}),
        task("a", inputParameters={"x": "${workflow.variables.case}"})], []),
    # WorkflowTaskTypeConstraint.isSwitchTaskValid: decisionCases must not be empty ...
    ("switch_no_cases", [task("s", "SWITCH", evaluatorType="javascript", expression="1",
        decisionCases={})], [(ERROR, "SWITCH_NO_CASES", "s")]),
    # ... except in a DO_WHILE body (loopOver has no @Valid): there it takes the default case
    ("switch_no_cases_in_loop", [loop(task("s", "SWITCH", evaluatorType="javascript",
        expression="1", decisionCases={}))], [(WARNING, "SWITCH_NO_CASES", "s")]),
    # the server's Evaluator beans include `python` (PythonEvaluator) ...
    ("switch_python", [task("s", "SWITCH", evaluatorType="python", expression="x",
        decisionCases={"a": [task("a")]})], []),
    # ... and SwitchTaskMapper fails the workflow for an unknown one
    ("switch_unknown_evaluator", [task("s", "SWITCH", evaluatorType="foo", expression="x",
        decisionCases={"a": [task("a")]})], [(ERROR, "SWITCH_BAD_EVALUATOR", "s")]),
    # isSwitchTaskValid: an expression is required; an empty one selects the default case
    ("switch_empty_expression", [task("s", "SWITCH", evaluatorType="javascript", expression="",
        decisionCases={"a": [task("a")]})], [(WARNING, "SWITCH_NO_EXPRESSION", "s")]),
    # ValueParamEvaluator reads inputParameters[expression], unresolved: absent -> null
    ("value_param_not_an_input", [task("s", "SWITCH", evaluatorType="value-param",
        expression="${workflow.input.k}", decisionCases={"a": [task("a")]})],
     [(ERROR, "SWITCH_VALUE_NOT_AN_INPUT", "s")]),
    # isDecisionTaskValid: caseValueParam or caseExpression is required
    ("decision_no_param", [task("d", "DECISION", decisionCases={"a": [task("a")]})],
     [(ERROR, "DECISION_NO_PARAM", "d")]),
    # ForkJoinTaskMapper: a fork not followed by a JOIN fails the workflow
    ("fork_without_join", [task("f", "FORK_JOIN", forkTasks=[[task("a")]]), task("b")],
     [(ERROR, "FORK_WITHOUT_JOIN", "f")]),
    # Join.execute waits for every joinOn task: one the fork never runs keeps it waiting
    ("join_unknown", [task("f", "FORK_JOIN", forkTasks=[[task("a")]]), task("j", "JOIN",
        joinOn=["ghost"])], [(ERROR, "JOIN_NOT_BRANCH_END", "j")]),
    # ... an empty joinOn completes at once
    ("join_empty", [task("f", "FORK_JOIN", forkTasks=[[task("a")]]), task("j", "JOIN", joinOn=[])],
     [(WARNING, "JOIN_NOT_BRANCH_END", "j")]),
    # ... and a SWITCH completes at once (Switch.execute), so joining on one does not wait
    ("join_on_switch", [task("f", "FORK_JOIN", forkTasks=[[task("s", "SWITCH",
        evaluatorType="javascript", expression="1", decisionCases={"1": [task("a")]})]]),
        task("j", "JOIN", joinOn=["s"])], [(WARNING, "JOIN_NOT_BRANCH_END", "j")]),
    # isForkJoinTaskValid: forkTasks must not be empty; ForkJoinTaskMapper takes each branch's
    # first task, so an empty branch breaks the start
    ("fork_empty_branch", [task("f", "FORK_JOIN", forkTasks=[[task("a")], []]),
        task("j", "JOIN", joinOn=["a"])], [(ERROR, "FORK_NO_BRANCHES", "f")]),
    # TaskType.of("FORK") is USER_DEFINED: the task waits for a worker, the branches never run
    ("fork_type", [task("f", "FORK", forkTasks=[[task("a")]]), task("j", "JOIN", joinOn=["a"])],
     [(ERROR, "FORK_TYPE", "f")]),
    # isDynamicForkJoinValid: forkTaskInputs, or both dynamicForkTasks* parameters
    ("dynamic_fork_params", [task("f", "FORK_JOIN_DYNAMIC", dynamicForkTasksParam="t"),
        task("j", "JOIN")], [(ERROR, "DYNAMIC_FORK_PARAMS", "f")]),
    # ForkJoinDynamicTaskMapper casts forkTaskWorkflowVersion to String
    ("dynamic_fork_version_int", [task("f", "FORK_JOIN_DYNAMIC", inputParameters={
        "forkTaskWorkflow": "child", "forkTaskWorkflowVersion": 1, "forkTaskInputs": []}),
        task("j", "JOIN")], [(ERROR, "DYNAMIC_FORK_PARAMS", "f")]),
    # isDoWhileTaskValid: loopCondition and loopOver are required
    ("do_while_no_body", [task("d", "DO_WHILE", loopCondition="false", loopOver=[])],
     [(ERROR, "DO_WHILE_INCOMPLETE", "d")]),
    # DoWhile.isListIteration: with `items` an empty condition is how a list loop is written
    ("do_while_items", [task("d", "DO_WHILE", loopCondition="", items="${workflow.input.xs}",
        loopOver=[task("a")])], []),
    # DoWhile.evaluateCondition: `${...}` is not substituted, and only the loop's inputs,
    # itself and its body are in scope
    ("loop_condition_expression", [task("d", "DO_WHILE", loopCondition="${d.output.n} < 3",
        loopOver=[task("a")])], [(ERROR, "LOOP_CONDITION", "d")]),
    ("loop_condition_outside", [task("p"), task("d", "DO_WHILE", loopCondition="$.p['n'] > 1",
        loopOver=[task("a")])], [(ERROR, "LOOP_CONDITION", "d")]),
    ("loop_condition_output_level", [task("d", "DO_WHILE", loopCondition="$.a.output.n < 3",
        loopOver=[task("a")])], [(WARNING, "LOOP_CONDITION", "d")]),
    # HttpTask.start: without http_request it reads the whole input (uri, method)
    ("http_inputs_at_top", [task("h", "HTTP", inputParameters={"uri": "http://w/x",
        "method": "GET"})], [(WARNING, "HTTP_NO_TASKDEF", "h")]),
    # ... and the task FAILS without a method ("No HTTP method specified")
    ("http_no_method", [task("h", "HTTP", inputParameters={"http_request": {"uri": "http://w"}})],
     [(ERROR, "HTTP_NO_REQUEST", "h"), (WARNING, "HTTP_NO_TASKDEF", "h")]),
    # isHttpTaskValid: no http_request, uri or method at all is refused
    ("http_nothing", [task("h", "HTTP", inputParameters={"body": {}})],
     [(ERROR, "HTTP_NO_REQUEST", "h"), (ERROR, "HTTP_NO_REQUEST", "h"),
      (WARNING, "HTTP_NO_TASKDEF", "h")]),
    # getTaskInputV2 adds the TaskDef's inputTemplate: a template's http_request serves
    ("http_template", [task("h", "HTTP", taskDefinition={"name": "h", "inputTemplate": HTTP_OK})],
     []),
    # Terminate.validateInputStatus: exactly COMPLETED, FAILED or TERMINATED
    ("terminate_status", [task("t", "TERMINATE", inputParameters={"terminationStatus": "DONE"})],
     [(ERROR, "TERMINATE_BAD_STATUS", "t")]),
    # isTerminateTaskValid: "terminate task cannot be optional"
    ("terminate_optional", [task("t", "TERMINATE", optional=True,
        inputParameters={"terminationStatus": "FAILED"})], [(ERROR, "TERMINATE_OPTIONAL", "t")]),
    # isEventTaskValid / isJSONJQTransformTaskValid / isKafkaPublishTaskValid: required fields
    ("event_no_sink", [task("e", "EVENT")], [(ERROR, "TASK_FIELD_MISSING", "e")]),
    ("jq_no_query", [task("q", "JSON_JQ_TRANSFORM", inputParameters={})],
     [(ERROR, "TASK_FIELD_MISSING", "q")]),
    # Inline.checkExpression: an INLINE without an expression FAILS
    ("inline_no_expression", [task("i", "INLINE", inputParameters={"evaluatorType": "graaljs"})],
     [(ERROR, "TASK_FIELD_MISSING", "i")]),
    # isSubWorkflowTaskValid: subWorkflowParam is required
    ("sub_no_params", [task("s", "SUB_WORKFLOW")], [(ERROR, "SUB_WORKFLOW_NO_NAME", "s")]),
    # SubWorkflowParams.getName() is the inline definition's name: nothing is looked up
    ("sub_inline", [task("s", "SUB_WORKFLOW", subWorkflowParam={"workflowDefinition": {
        "name": "inline", "tasks": [task("a")]}})], []),
    # MetadataMapperService.populateVersionForSubWorkflow looks the literal name up at start
    ("sub_name_expression", [task("s", "SUB_WORKFLOW", subWorkflowParam={
        "name": "${workflow.input.child}"})],
     [(ERROR, "SUB_WORKFLOW_VERSION", "s")]),
    # Jackson reads subWorkflowParam.version as an Integer: an expression answers 500
    ("sub_version_expression", [task("s", "SUB_WORKFLOW", subWorkflowParam={
        "name": "child", "version": "${workflow.input.v}"})],
     [(ERROR, "SUB_WORKFLOW_VERSION", "s"), (WARNING, "MISSING_SUB_WORKFLOW", "s")]),
    # WaitTaskMapper / isWaitTaskValid: DateTimeUtils.parseDuration, not both fields
    ("wait_bad_duration", [task("w", "WAIT", inputParameters={"duration": "5"})],
     [(ERROR, "WAIT_DURATION", "w")]),
    ("wait_both", [task("w", "WAIT", inputParameters={"duration": "5s", "until": "2030-01-01"})],
     [(ERROR, "WAIT_DURATION", "w")]),
    ("wait_bad_until", [task("w", "WAIT", inputParameters={"until": "2030-01-01T10:00:00Z"})],
     [(ERROR, "WAIT_DURATION", "w")]),
    # WaitTaskMapper.setCallbackAfter: a blank duration waits until completed from outside
    ("wait_blank", [task("w", "WAIT", inputParameters={"duration": " "})],
     [(WARNING, "WAIT_DURATION", "w")]),
    ("wait_expression", [task("w", "WAIT", inputParameters={"duration": "${workflow.input.d}"})],
     [(WARNING, "UNDECLARED_INPUT", "w")]),
    # WorkflowTaskTypeConstraint.isSwitchTaskValid parses a `javascript` expression at
    # registration (ScriptEvaluator.validateScriptSyntax, GraalJS 25: ECMAScript 2025) ...
    ("switch_javascript_syntax", [task("s", "SWITCH", evaluatorType="javascript",
        expression="$.k ==", inputParameters={"k": 1}, decisionCases={"a": [task("a")]})],
     [(ERROR, "SCRIPT_SYNTAX", "s")]),
    # ... and accepts what GraalJS parses (optional chaining, ??, spread)
    ("switch_javascript_modern", [task("s", "SWITCH", evaluatorType="javascript",
        expression="({...$.o})?.k ?? 'none'", inputParameters={"o": {}},
        decisionCases={"a": [task("a")]})], []),
    # ... but not a `graaljs` one: SwitchTaskMapper fails the SWITCH when it evaluates it
    ("switch_graaljs_syntax", [task("s", "SWITCH", evaluatorType="graaljs", expression="$.k ==",
        inputParameters={"k": 1}, decisionCases={"a": [task("a")]})],
     [(ERROR, "SCRIPT_SYNTAX", "s")]),
    # isDecisionTaskValid parses caseExpression at registration (validateScriptExpression)
    ("decision_syntax", [task("d", "DECISION", caseExpression="$.k ===",
        inputParameters={"k": 1}, decisionCases={"a": [task("a")]})],
     [(ERROR, "SCRIPT_SYNTAX", "d")]),
    # Inline.execute evaluates the expression; nothing parses it at registration
    ("inline_syntax", [task("i", "INLINE", inputParameters={"evaluatorType": "graaljs",
        "expression": "(function () { return $.a + ; })()", "a": 1})],
     [(ERROR, "SCRIPT_SYNTAX", "i")]),
    # ... an input holding `${...}` is substituted first (getTaskInputV2): its text is not judged
    ("inline_substituted", [task("b"), task("i", "INLINE", inputParameters={
        "evaluatorType": "graaljs", "expression": "${b.output.n} +"})], []),
    # Lambda.execute runs the script as a function's body: `return` is how it answers
    ("lambda_return", [task("l", "LAMBDA", inputParameters={"scriptExpression": "return $.a;",
        "a": 1})], []),
    # DoWhile.evaluateCondition evaluates the condition (ScriptEvaluator.evalBool)
    ("loop_condition_syntax", [task("d", "DO_WHILE", loopCondition="$.d['iteration'] <",
        loopOver=[task("a")])], [(ERROR, "SCRIPT_SYNTAX", "d")]),
    # JsonJqTransform compiles the query when the task runs (jackson-jq 0.0.13)
    ("jq_syntax", [task("q", "JSON_JQ_TRANSFORM", inputParameters={
        "queryExpression": ".a | | .b", "a": {}})], [(ERROR, "JQ_SYNTAX", "q")]),
    # ... which has functions jq lacks (group/0): not an error
    ("jq_jackson_function", [task("q", "JSON_JQ_TRANSFORM", inputParameters={
        "queryExpression": ".xs | group", "xs": [1]})], []),
    # DeciderService: an unknown type is scheduled for a worker that never comes
    ("unknown_type", [task("u", "MY_TYPE")], [(WARNING, "UNKNOWN_TASK_TYPE", "u")]),
]  # fmt: skip


# Cases about the workflow as a whole: its JSON, and what the validator must report.
WORKFLOW_RULES: list[tuple[str, dict[str, Any], list[tuple[str, str, str | None]]]] = [
    # WorkflowDef.tasks is @NotEmpty
    ("empty_tasks", workflow(), [(ERROR, "EMPTY_TASKS", None)]),
    # WorkflowDef.version is a Java int
    ("version_too_big", workflow(task("a"), version=2**31),
     [(ERROR, "VERSION_OUT_OF_RANGE", None)]),
    # WorkflowDef.schemaVersion is @Min(2) @Max(2)
    ("schema_version_1", workflow(task("a"), schemaVersion=1),
     [(ERROR, "BAD_SCHEMA_VERSION", None)]),
    # conductor.app.ownerEmailMandatory is false in the boot jar's application.properties
    ("no_owner", {"name": "w", "version": 1, "tasks": [task("a")]},
     [(WARNING, "MISSING_OWNER_EMAIL", None)]),
    # WorkflowExecutorOps merges inputTemplate defaults into the start input
    ("input_template", workflow(task("a", inputParameters={"x": "${workflow.input.region}"}),
        inputTemplate={"region": "eu"}), []),
]  # fmt: skip

# TaskDef cases: its fields (beside name and ownerEmail), and what the validator must report.
TASKDEF_RULES: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
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
]  # fmt: skip

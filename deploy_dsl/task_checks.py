"""Per-task checks: what each task type needs to run, as the Conductor 3.32 server decides it.

Registration (`WorkflowTaskTypeConstraint`) refuses some of these, but only for tasks it sees:
not inside a DO_WHILE body. There the same mistake registers and then fails, or hangs, at run
time, so each message says which happens where the task sits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from deploy_dsl.checking import Placement, WorkflowScope
from deploy_dsl.durations import duration_problem, until_problem
from deploy_dsl.findings import Code
from deploy_dsl.wire import WorkflowTask

__all__ = ["EVALUATORS", "KNOWN_TASK_TYPES", "check_fork_join", "check_task"]

# TaskType in conductor-common, plus the system tasks the boot jar registers (AI ones included:
# `conductor.integrations.ai.enabled` is true in its application.properties). `FORK` is not
# among them: it is the runtime name of FORK_JOIN (see check_task).
KNOWN_TASK_TYPES: Final = frozenset(
    {
        "SIMPLE", "DYNAMIC", "FORK_JOIN", "FORK_JOIN_DYNAMIC", "DECISION", "SWITCH", "JOIN",
        "EXCLUSIVE_JOIN", "DO_WHILE", "SUB_WORKFLOW", "START_WORKFLOW", "EVENT", "WAIT", "HUMAN",
        "USER_DEFINED", "HTTP", "LAMBDA", "INLINE", "TERMINATE", "KAFKA_PUBLISH",
        "JSON_JQ_TRANSFORM", "SET_VARIABLE", "NOOP", "PULL_WORKFLOW_MESSAGES",
        "LLM_TEXT_COMPLETE", "LLM_CHAT_COMPLETE", "LLM_INDEX_TEXT", "LLM_SEARCH_INDEX",
        "LLM_GENERATE_EMBEDDINGS", "LLM_STORE_EMBEDDINGS", "LLM_GET_EMBEDDINGS",
        "LIST_MCP_TOOLS", "CALL_MCP_TOOL", "AGENT", "GET_AGENT_CARD", "CANCEL_AGENT",
    }
)  # fmt: skip
# The Evaluator beans of the server: SWITCH's evaluatorType and INLINE's.
EVALUATORS: Final = frozenset({"value-param", "javascript", "graaljs", "python"})
TERMINATION_STATUSES: Final = frozenset({"COMPLETED", "FAILED", "TERMINATED"})
# Fields a task type cannot run without, where they live, and what the server says when one
# is missing (`WorkflowTaskTypeConstraint`, and the task's own start for the last three).
_REQUIRED_INPUT: Final = {
    "JSON_JQ_TRANSFORM": "queryExpression",
    "KAFKA_PUBLISH": "kafka_request",
    "START_WORKFLOW": "startWorkflow",
    "LAMBDA": "scriptExpression",
}
_RUN_TIME_ONLY: Final = frozenset({"START_WORKFLOW", "LAMBDA"})
# In a DO_WHILE condition, `$.name` or `$['name']`.
_CONDITION_NAME: Final = re.compile(
    r"\$\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])(\s*\.\s*output\b)?"
)


def check_task(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref, kind = task.task_reference_name, task.type
    if not task.name or not ref:
        scope.report(
            Code.EMPTY_NAME,
            ref or None,
            "a task needs a non-empty name and taskReferenceName: the server rejects it",
        )
    if "__" in ref:
        _check_double_underscore(scope, placement)
    if task.start_delay is not None and task.start_delay < 0:
        scope.report(
            Code.NEGATIVE_START_DELAY,
            ref,
            f"startDelay is {task.start_delay}: the server rejects a negative delay",
        )
    check = _BY_TYPE.get(kind)
    if check is not None:
        check(scope, placement)
    elif kind == "FORK":
        scope.report(
            Code.FORK_TYPE,
            ref,
            "type FORK is the name FORK_JOIN has at run time, not a definition type: the task "
            "waits for a worker forever and its branches never run; use FORK_JOIN",
        )
    elif kind not in KNOWN_TASK_TYPES:
        scope.report(
            Code.UNKNOWN_TASK_TYPE,
            ref,
            f"task type {kind!r} is not one Conductor OSS ships; without a worker polling for "
            "it the task stays SCHEDULED",
            "warning",
        )


def _fails(placement: Placement, at_run_time: str) -> str:
    """What happens to a task the server's type checks would refuse, where this one sits."""
    if placement.registration_checked:
        return "the server rejects it"
    return f"inside a DO_WHILE body the server accepts it, and {at_run_time}"


def _check_double_underscore(scope: WorkflowScope, placement: Placement) -> None:
    ref = placement.task.task_reference_name
    if placement.loops:
        # TaskUtils.removeIterationFromTaskRefName cuts at the first '__': the loop never counts
        # the task as done and schedules it again on every pass.
        scope.report(
            Code.DOUBLE_UNDERSCORE_REF,
            ref,
            f"reference name {ref!r} contains '__', Conductor's iteration delimiter: inside a "
            "DO_WHILE it is cut there, so the loop never completes and reschedules the task",
        )
    else:
        scope.report(
            Code.DOUBLE_UNDERSCORE_REF,
            ref,
            f"reference name {ref!r} contains '__', Conductor's iteration delimiter: a DO_WHILE "
            "body task named like its prefix would be confused with it",
            "warning",
        )


def _check_switch(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    evaluator = task.evaluator_type
    if evaluator is None:
        scope.report(
            Code.SWITCH_BAD_EVALUATOR,
            ref,
            "SWITCH has no evaluatorType: "
            + _fails(placement, "the workflow FAILS (no evaluator for null)"),
        )
    elif evaluator not in EVALUATORS:
        scope.report(
            Code.SWITCH_BAD_EVALUATOR,
            ref,
            f"evaluatorType {evaluator!r} is not one of {', '.join(sorted(EVALUATORS))}: the "
            "workflow FAILS when it reaches the SWITCH (no evaluator registered)",
        )
    if task.expression is None:
        scope.report(
            Code.SWITCH_NO_EXPRESSION,
            ref,
            "SWITCH has no expression: " + _fails(placement, "the workflow FAILS there"),
        )
    elif not task.expression.strip():
        scope.report(
            Code.SWITCH_NO_EXPRESSION,
            ref,
            "the expression is empty: the SWITCH always takes the default case",
            "warning",
        )
    elif evaluator == "value-param":
        _check_value_param(scope, task)
    if not task.decision_cases:
        if placement.registration_checked:
            scope.report(
                Code.SWITCH_NO_CASES, ref, "SWITCH has no decisionCases: the server rejects it"
            )
        else:
            scope.report(
                Code.SWITCH_NO_CASES,
                ref,
                "SWITCH has no decisionCases: it always takes the default case",
                "warning",
            )


def _check_value_param(scope: WorkflowScope, task: WorkflowTask) -> None:
    """`ValueParamEvaluator` looks the expression up as a key of the task's inputs, unresolved."""
    key = str(task.expression)
    if key in (task.input_parameters or {}):
        return
    has_null_case = "null" in (task.decision_cases or {})
    scope.report(
        Code.SWITCH_VALUE_NOT_AN_INPUT,
        task.task_reference_name,
        f"a value-param SWITCH reads the input named by its expression, and {key!r} is not one "
        f"of its inputParameters: the value is null, so it "
        + ("always takes the case 'null'" if has_null_case else "always takes the default case"),
        "warning" if has_null_case else "error",
    )


def _check_decision(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    if task.case_value_param is None and task.case_expression is None:
        scope.report(
            Code.DECISION_NO_PARAM,
            ref,
            "DECISION needs caseValueParam or caseExpression: "
            + _fails(placement, "the workflow FAILS there"),
        )
    if not task.decision_cases:
        scope.report(
            Code.SWITCH_NO_CASES,
            ref,
            "DECISION has no decisionCases: " + _fails(placement, "it takes the default case"),
        )


def _check_fork(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    if not task.fork_tasks:
        scope.report(
            Code.FORK_NO_BRANCHES,
            ref,
            "FORK_JOIN has no forkTasks: " + _fails(placement, "the workflow FAILS there"),
        )
    elif any(not branch for branch in task.fork_tasks):
        # ForkJoinTaskMapper takes the first task of every branch.
        scope.report(
            Code.FORK_NO_BRANCHES,
            ref,
            "FORK_JOIN has an empty branch: the server accepts it, and then the workflow's "
            "start fails (or it stops with nothing scheduled) when the fork is reached",
        )


def _check_dynamic_fork(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    inputs = task.input_parameters or {}
    extra = task.model_extra or {}
    complete = (
        "forkTaskInputs" in inputs
        or (task.dynamic_fork_tasks_param and task.dynamic_fork_tasks_input_param_name)
        or "dynamicForkJoinTasksParam" in extra
    )
    if not complete:
        scope.report(
            Code.DYNAMIC_FORK_PARAMS,
            ref,
            "FORK_JOIN_DYNAMIC needs inputParameters.forkTaskInputs, or both "
            "dynamicForkTasksParam and dynamicForkTasksInputParamName: "
            + _fails(placement, "the workflow FAILS there"),
        )
    for key in ("forkTaskWorkflow", "forkTaskWorkflowVersion"):
        if key in inputs and not isinstance(inputs[key], str):
            # ForkJoinDynamicTaskMapper casts both to String.
            scope.report(
                Code.DYNAMIC_FORK_PARAMS,
                ref,
                f"{key} is {inputs[key]!r}, not a string: the server accepts it, and the fork "
                "fails with a ClassCastException when it is reached",
            )


def _check_do_while(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    if task.loop_condition is None or not task.loop_over:
        scope.report(
            Code.DO_WHILE_INCOMPLETE,
            ref,
            "DO_WHILE needs loopCondition and loopOver: "
            + _fails(placement, "the workflow FAILS there"),
        )
        return
    inputs = task.input_parameters or {}
    # DoWhile.isListIteration: with `items` (or an `_items` input) the loop walks a list and
    # an empty condition is how it is written.
    iterates_a_list = "items" in (task.model_extra or {}) or "_items" in inputs
    if not task.loop_condition.strip():
        if not iterates_a_list:
            scope.report(
                Code.DO_WHILE_INCOMPLETE,
                ref,
                "loopCondition is empty: the body runs once",
                "warning",
            )
        return
    _check_loop_condition(scope, task)


def _check_loop_condition(scope: WorkflowScope, task: WorkflowTask) -> None:
    """`DoWhile.evaluateCondition` runs the condition as a script over a map of the loop's
    inputs, its own output (under its reference) and each body task's output (under the task's
    reference); `${...}` is not substituted there."""
    ref = task.task_reference_name
    condition = str(task.loop_condition)
    if "${" in condition:
        scope.report(
            Code.LOOP_CONDITION,
            ref,
            "loopCondition holds `${...}`, which is not substituted in a condition: the "
            "DO_WHILE FAILS (a script syntax error); read values as `$.name`",
        )
        return
    body = {p.task.task_reference_name for p in scope.walk(task.loop_over)}
    known = {ref} | body | set(task.input_parameters or {})
    for match in _CONDITION_NAME.finditer(condition):
        name = match.group(1) or match.group(2)
        if name not in known:
            scope.report(
                Code.LOOP_CONDITION,
                ref,
                f"loopCondition reads $.{name}, which the condition cannot see (it sees the "
                f"loop's inputs, `$.{ref}` and the body's tasks): it is undefined there and "
                "the DO_WHILE FAILS or ends early; pass the value in the DO_WHILE's inputs",
            )
        elif match.group(3) and name in body:
            scope.report(
                Code.LOOP_CONDITION,
                ref,
                f"in loopCondition `$.{name}` already is that task's output: "
                f"`$.{name}.output` is undefined unless the output has a field 'output'",
                "warning",
            )


def _check_http(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    merged = {**_template(scope, task), **(task.input_parameters or {})}
    request = merged.get("http_request", merged)
    if isinstance(request, str):
        return  # the whole request is an expression: resolved at run time
    if not isinstance(request, Mapping):
        request = {}
    # HttpTask.start reads http_request, else the task's whole input.
    if "uri" not in request:
        rejected = placement.registration_checked and not (
            "http_request" in merged or "method" in merged
        )
        scope.report(
            Code.HTTP_NO_REQUEST,
            ref,
            "HTTP task has no uri (in http_request or its inputs): "
            + ("the server rejects it" if rejected else "the task FAILS with 'Missing HTTP URI'"),
        )
    if "method" not in request:
        scope.report(
            Code.HTTP_NO_REQUEST,
            ref,
            "HTTP task has no method: the task FAILS with 'No HTTP method specified'",
        )
    if task.name not in scope.taskdefs and task.task_definition is None:
        retried = "retried per its retryCount, 60 s apart" if task.retry_count else "not retried"
        scope.report(
            Code.HTTP_NO_TASKDEF,
            ref,
            f"no task definition named {task.name!r}: a failed call is {retried} (the "
            "server's default retryDelaySeconds is 60)",
            "warning",
        )


def _template(scope: WorkflowScope, task: WorkflowTask) -> Mapping[str, Any]:
    """The TaskDef's inputTemplate, which getTaskInputV2 adds under the task's own inputs."""
    if task.task_definition is not None:
        template = task.task_definition.get("inputTemplate")
    elif task.name in scope.taskdefs:
        template = scope.taskdefs[task.name].input_template
    else:
        template = None
    return template if isinstance(template, Mapping) else {}


def _check_terminate(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    status = (task.input_parameters or {}).get("terminationStatus")
    if status not in TERMINATION_STATUSES:
        # Terminate.validateInputStatus: a literal, case-sensitive, never an expression.
        scope.report(
            Code.TERMINATE_BAD_STATUS,
            ref,
            f"terminationStatus is {status!r}; it must be exactly one of "
            f"{', '.join(sorted(TERMINATION_STATUSES))}: "
            + _fails(placement, "the TERMINATE task stays IN_PROGRESS forever"),
        )
    if task.optional:
        scope.report(
            Code.TERMINATE_OPTIONAL,
            ref,
            "a TERMINATE task cannot be optional: the server rejects it",
        )


def _check_sub_workflow(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    params = task.sub_workflow_param
    if params is None:
        scope.report(
            Code.SUB_WORKFLOW_NO_NAME,
            ref,
            "SUB_WORKFLOW has no subWorkflowParam: "
            + _fails(placement, "the workflow FAILS there"),
        )
        return
    inline = params.workflow_definition
    if inline is not None:
        return  # SubWorkflowParams.getName() is the inline definition's: nothing is looked up
    name, version = params.name, params.version
    if not name:
        scope.report(
            Code.SUB_WORKFLOW_NO_NAME,
            ref,
            "subWorkflowParam has no name (and no workflowDefinition): the workflow's start "
            "fails when the task is reached",
        )
        return
    if isinstance(version, str) and not version.strip().isdigit():
        scope.report(
            Code.SUB_WORKFLOW_VERSION,
            ref,
            f"subWorkflowParam.version {version!r} is not a whole number (it is never resolved "
            "as an expression): the server answers 500 at registration",
        )
    if "${" in name:
        if version is None:
            scope.report(
                Code.SUB_WORKFLOW_VERSION,
                ref,
                f"the sub-workflow name {name!r} is an expression and no version is given: the "
                "server looks the literal name up when the workflow starts, and the start fails",
            )
        return
    if name not in scope.workflow_names:
        consequence = (
            "the parent's start fails (there is no version to pick)"
            if version is None
            else "the task FAILS with 'No such workflow defined'"
        )
        scope.report(
            Code.MISSING_SUB_WORKFLOW,
            ref,
            f"sub-workflow {name!r} is neither defined here nor declared external; unless it "
            f"is registered, {consequence}",
            scope.lenient(),
        )


def _check_wait(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    inputs = task.input_parameters or {}
    duration, until = inputs.get("duration"), inputs.get("until")
    if _given(duration) and _given(until):
        scope.report(
            Code.WAIT_DURATION,
            ref,
            "WAIT has both duration and until: " + _fails(placement, "the task FAILS"),
        )
        return
    problem = None
    if duration is not None:
        problem = duration_problem(duration)
    if until is not None and problem is None:
        problem = until_problem(until)
    if problem is not None:
        where = "" if placement.registration_checked else " (inside a DO_WHILE: at run time)"
        scope.report(Code.WAIT_DURATION, ref, problem + where)
    elif "duration" in inputs and not _given(duration) and not _given(until):
        scope.report(
            Code.WAIT_DURATION,
            ref,
            "duration is blank: the WAIT never ends by itself, only when something completes "
            "it from outside (leave duration out to say so)",
            scope.lenient(),
        )


def _given(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _check_inline(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    ref = task.task_reference_name
    inputs = task.input_parameters or {}
    evaluator = inputs.get("evaluatorType")
    if "evaluatorType" in inputs and (
        not isinstance(evaluator, str) or evaluator not in EVALUATORS
    ):
        scope.report(
            Code.TASK_FIELD_MISSING,
            ref,
            f"INLINE evaluatorType {evaluator!r} is not one of {', '.join(sorted(EVALUATORS))}: "
            "the task FAILS",
        )
    expression = inputs.get("expression")
    if not isinstance(expression, str) or not expression.strip():
        scope.report(
            Code.TASK_FIELD_MISSING,
            ref,
            "INLINE has no expression in its inputParameters: the task FAILS",
        )


def _check_required_fields(scope: WorkflowScope, placement: Placement) -> None:
    task = placement.task
    kind, ref = task.type, task.task_reference_name
    if kind == "EVENT":
        if not task.sink:
            scope.report(
                Code.TASK_FIELD_MISSING, ref, "EVENT has no sink: " + _fails(placement, "it FAILS")
            )
        return
    if kind == "DYNAMIC":
        if not task.dynamic_task_name_param:
            scope.report(
                Code.TASK_FIELD_MISSING,
                ref,
                "DYNAMIC has no dynamicTaskNameParam: " + _fails(placement, "it FAILS"),
            )
        return
    field = _REQUIRED_INPUT[kind]
    value = {**_template(scope, task), **(task.input_parameters or {})}.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        consequence = (
            "the task FAILS" if kind in _RUN_TIME_ONLY else _fails(placement, "the task FAILS")
        )
        scope.report(
            Code.TASK_FIELD_MISSING,
            ref,
            f"{kind} has no inputParameters.{field}: {consequence}",
        )


_BY_TYPE = {
    "SWITCH": _check_switch,
    "DECISION": _check_decision,
    "FORK_JOIN": _check_fork,
    "FORK_JOIN_DYNAMIC": _check_dynamic_fork,
    "DO_WHILE": _check_do_while,
    "HTTP": _check_http,
    "TERMINATE": _check_terminate,
    "SUB_WORKFLOW": _check_sub_workflow,
    "WAIT": _check_wait,
    "INLINE": _check_inline,
    "EVENT": _check_required_fields,
    "DYNAMIC": _check_required_fields,
    **dict.fromkeys(_REQUIRED_INPUT, _check_required_fields),
}


def check_fork_join(
    scope: WorkflowScope, task: WorkflowTask, following: WorkflowTask | None
) -> None:
    """A fork must be followed by a JOIN (`ForkJoinTaskMapper`: else the workflow FAILS), and
    the JOIN's joinOn decides what it waits for (`Join.execute`: every named task terminal)."""
    if task.type not in ("FORK_JOIN", "FORK_JOIN_DYNAMIC"):
        return
    ref = task.task_reference_name
    if following is None or following.type != "JOIN":
        scope.report(
            Code.FORK_WITHOUT_JOIN,
            ref,
            f"{task.type} must be followed by a JOIN: the workflow FAILS when the fork is reached",
        )
        return
    if task.type == "FORK_JOIN":
        _check_join_on(scope, task.fork_tasks or [], following)


def _check_join_on(
    scope: WorkflowScope, forks: Sequence[Sequence[WorkflowTask]], join: WorkflowTask
) -> None:
    join_ref = join.task_reference_name
    join_on = join.join_on or []
    if not join_on:
        scope.report(
            Code.JOIN_NOT_BRANCH_END,
            join_ref,
            "joinOn is empty: the JOIN completes at once, without waiting for any branch",
            "warning",
        )
    ends = {branch[-1].task_reference_name: branch[-1] for branch in forks if branch}
    case_ends = {
        case[-1].task_reference_name: (end, key)
        for end in ends.values()
        if end.type in ("SWITCH", "DECISION")
        for key, case in (end.decision_cases or {}).items()
        if case
    }
    inside = {p.task.task_reference_name for branch in forks for p in scope.walk(branch)}
    for name in join_on:
        if name in ends and ends[name].type in ("SWITCH", "DECISION"):
            scope.report(
                Code.JOIN_NOT_BRANCH_END,
                join_ref,
                f"joinOn names {name!r}, a SWITCH that ends its branch: a SWITCH completes at "
                "once, so the JOIN does not wait for its case's tasks; end the branch with a "
                "task after the SWITCH",
                "warning",
            )
        elif name in ends:
            continue
        elif name in case_ends:
            switch, key = case_ends[name]
            scope.report(
                Code.JOIN_NOT_BRANCH_END,
                join_ref,
                f"joinOn names {name!r}, the last task of case {key!r} of "
                f"{switch.task_reference_name!r}: the JOIN never completes unless that case "
                "is taken",
            )
        elif name in inside:
            scope.report(
                Code.JOIN_NOT_BRANCH_END,
                join_ref,
                f"joinOn names {name!r}, which does not end its branch: the JOIN does not wait "
                "for the rest of that branch",
                "warning",
            )
        else:
            scope.report(
                Code.JOIN_NOT_BRANCH_END,
                join_ref,
                f"joinOn names {name!r}, which is not a task of the fork's branches (branch "
                f"ends: {', '.join(sorted(ends)) or 'none'}): the JOIN never completes",
            )

"""Hypothesis strategies for the fuzz suite: JSON values, and Conductor-shaped definitions in
which any field may hold anything (the shapes `validate` and `import` must survive)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["documents", "json_values", "mostly", "workflows"]

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.integers(),  # beyond 64 bits too: JSON has no limit
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)


def mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`usual` nine times in ten, else `odd`: deep enough to get past the first check."""
    return st.integers(0, 9).flatmap(lambda n: usual if n else odd)


json_values: st.SearchStrategy[Any] = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)

# Names that end up in file names, Python identifiers and references.
_NAMES = mostly(
    st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
    st.text(max_size=12)
    | st.sampled_from(
        [
            "",
            "..",
            "../escape",
            "../../README",
            "a/b",
            "/abs",
            "nul\x00",
            "taskdefs",
            "__init__",
            "class",
            "Workflow",
            "x" * 300,
            "caf\u00e9",
            "\ud800",
            "a__b",
        ]
    ),
)
_EXPRESSIONS = st.one_of(
    st.builds(lambda body: "${" + body + "}", st.text(max_size=15)),
    st.sampled_from(
        [
            "${workflow.input.x}",
            "${workflow.input}",
            "${workflow.variables.v}",
            "${workflow.workflowId}",
            "${t.output.response.body.id}",
            "${a.output}",
            "$${x}",
            "${",
            "text ${workflow.input.x} more",
            "${workflow.env.NAME}",
        ]
    ),
)
_INPUTS = mostly(
    st.dictionaries(st.text(max_size=8), st.one_of(json_values, _EXPRESSIONS), max_size=4),
    json_values,
)
_TYPES = st.sampled_from(
    [
        "SIMPLE", "HTTP", "SWITCH", "DECISION", "FORK_JOIN", "JOIN", "DO_WHILE", "SUB_WORKFLOW",
        "TERMINATE", "WAIT", "SET_VARIABLE", "INLINE", "FORK_JOIN_DYNAMIC", "DYNAMIC", "EVENT",
        "JSON_JQ_TRANSFORM", "HUMAN", "START_WORKFLOW", "NOT_A_TYPE", "",
    ]
)  # fmt: skip
_COUNTS = mostly(st.integers(0, 3600), st.integers() | json_values)


def _task(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    tasks = mostly(st.lists(children, min_size=1, max_size=3), json_values)
    return st.fixed_dictionaries(
        {"name": _NAMES, "taskReferenceName": _NAMES, "type": _TYPES},
        optional={
            "inputParameters": _INPUTS,
            "decisionCases": mostly(
                st.dictionaries(st.text(max_size=5), tasks, max_size=3), json_values
            ),
            "defaultCase": tasks,
            "forkTasks": mostly(st.lists(tasks, min_size=1, max_size=3), json_values),
            "loopOver": tasks,
            "loopCondition": mostly(st.text(max_size=20), json_values),
            "evaluatorType": mostly(
                st.sampled_from(["value-param", "javascript", "graaljs", "x"]), json_values
            ),
            "expression": mostly(st.text(max_size=20), json_values),
            "caseValueParam": st.text(max_size=5),
            "joinOn": mostly(st.lists(_NAMES, max_size=3), json_values),
            "subWorkflowParam": mostly(
                st.fixed_dictionaries({"name": _NAMES}, optional={"version": _COUNTS}), json_values
            ),
            "optional": mostly(st.booleans(), json_values),
            "startDelay": _COUNTS,
            "dynamicForkTasksParam": st.text(max_size=5),
            "description": mostly(st.text(max_size=10), json_values),
        },
    )


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"name": _NAMES, "taskReferenceName": _NAMES, "type": _TYPES},
        optional={"inputParameters": _INPUTS},
    )


_TASKS = st.recursive(_leaf(), _task, max_leaves=8)

workflows: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {"name": _NAMES, "tasks": mostly(st.lists(_TASKS, min_size=1, max_size=4), json_values)},
    optional={
        "version": _COUNTS,
        "ownerEmail": mostly(st.just("team@example.com"), json_values),
        "schemaVersion": mostly(st.just(2), st.integers(0, 3) | json_values),
        "description": mostly(st.text(max_size=20), json_values),
        "inputParameters": mostly(st.lists(st.text(max_size=6), max_size=3), json_values),
        "outputParameters": _INPUTS,
        "variables": mostly(
            st.dictionaries(st.text(max_size=5), json_values, max_size=3), json_values
        ),
        "failureWorkflow": mostly(_NAMES, json_values),
        "timeoutSeconds": _COUNTS,
        "timeoutPolicy": mostly(st.sampled_from(["TIME_OUT_WF", "ALERT_ONLY", "X"]), json_values),
        "restartable": mostly(st.booleans(), json_values),
        "inputTemplate": json_values,
    },
)

_TASKDEFS = st.fixed_dictionaries(
    {"name": _NAMES},
    optional={
        "retryCount": _COUNTS,
        "retryLogic": mostly(
            st.sampled_from(["FIXED", "EXPONENTIAL_BACKOFF", "LINEAR_BACKOFF", "X"]), json_values
        ),
        "retryDelaySeconds": _COUNTS,
        "timeoutSeconds": _COUNTS,
        "responseTimeoutSeconds": _COUNTS,
        "timeoutPolicy": mostly(
            st.sampled_from(["RETRY", "TIME_OUT_WF", "ALERT_ONLY"]), json_values
        ),
        "ownerEmail": mostly(st.just("team@example.com"), json_values),
        "inputKeys": mostly(st.lists(st.text(max_size=5)), json_values),
    },
)

# What a JSON file handed to `validate` or `import` may hold: mostly a workflow or a list of
# workflows and task definitions, sometimes task definitions alone or any JSON at all.
documents: st.SearchStrategy[Any] = mostly(
    st.one_of(
        workflows, workflows, st.lists(st.one_of(workflows, _TASKDEFS), min_size=1, max_size=3)
    ),
    st.one_of(_TASKDEFS, json_values),
)

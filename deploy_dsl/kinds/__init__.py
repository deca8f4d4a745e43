"""The registry of Conductor task types: one module per type, one KIND each (pure).

Adding a task type: write its module (builder, KIND) beside these, add it to `_MODULES`, and
export its builder from `deploy_dsl.dsl`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Final

from deploy_dsl.kind import Kind, WorkflowCall
from deploy_dsl.kinds import (
    decision,
    do_while,
    dynamic,
    event,
    exclusive_join,
    fork_join,
    fork_join_dynamic,
    http,
    human,
    inline,
    join,
    json_jq,
    kafka_publish,
    lambda_task,
    noop,
    set_variable,
    simple,
    start_workflow,
    sub_workflow,
    switch,
    terminate,
    wait,
)
from deploy_dsl.wire import WorkflowDef, WorkflowTask, walk

__all__ = [
    "KINDS",
    "RUNTIME_NAMES",
    "SERVER_ONLY_TYPES",
    "calls",
    "kind_at_run_time",
    "workflow_calls",
]

_MODULES = (
    simple, http, inline, json_jq, lambda_task, set_variable, terminate, wait, human, event,
    noop, kafka_publish, dynamic, start_workflow, sub_workflow, switch, decision, fork_join,
    join, exclusive_join, fork_join_dynamic, do_while,
)  # fmt: skip
# Every task type of Conductor OSS 3.32 that has a builder, by its WorkflowTask `type`.
KINDS: Final[Mapping[str, Kind]] = {module.KIND.type: module.KIND for module in _MODULES}
# The types the 3.32.3 server also runs that only GenericTask writes: the AI module's (its
# `conductor.integrations.ai.enabled` is true in the boot jar's application.properties) and
# the custom ones (TaskType in conductor-common).
SERVER_ONLY_TYPES: Final = frozenset(
    {
        "USER_DEFINED", "PULL_WORKFLOW_MESSAGES", "LLM_TEXT_COMPLETE", "LLM_CHAT_COMPLETE",
        "LLM_INDEX_TEXT", "LLM_SEARCH_INDEX", "LLM_GENERATE_EMBEDDINGS", "LLM_STORE_EMBEDDINGS",
        "LLM_GET_EMBEDDINGS", "LIST_MCP_TOOLS", "CALL_MCP_TOOL", "AGENT", "GET_AGENT_CARD",
        "CANCEL_AGENT",
    }
)  # fmt: skip
# The names some types have in an execution: a FORK_JOIN task runs as `FORK`.
RUNTIME_NAMES: Final[Mapping[str, str]] = {"FORK": "FORK_JOIN"}


def kind_at_run_time(task_type: str) -> Kind | None:
    """The kind of a task of an execution (its `taskType`), if it has one."""
    return KINDS.get(RUNTIME_NAMES.get(task_type, task_type))


def calls(tasks: Sequence[WorkflowTask]) -> Iterator[WorkflowCall]:
    """Every workflow the tasks (nested ones included) start by a fixed name, in order."""
    for task in walk(tasks):
        kind = KINDS.get(task.type)
        if kind is not None and kind.calls is not None:
            yield from kind.calls(task)


def workflow_calls(workflow: WorkflowDef) -> Iterator[WorkflowCall]:
    """Every workflow a workflow starts by a fixed name: its tasks', then its failure
    workflow (started by the server when it fails)."""
    yield from calls(workflow.tasks)
    failure = workflow.failure_workflow
    if failure and "${" not in failure and not failure.startswith("$"):
        yield WorkflowCall(failure, workflow.failure_workflow_version, "failure workflow")

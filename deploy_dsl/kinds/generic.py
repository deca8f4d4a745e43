"""GenericTask: the escape hatch for task types that have no builder of their own."""

from __future__ import annotations

from typing import Unpack

from deploy_dsl.arguments import require
from deploy_dsl.expressions import Ref
from deploy_dsl.task import Task, TaskOptions

__all__ = ["GenericTask"]


class GenericTask(Task[Ref]):
    """Any task type this library has no builder for; its output is open (Ref, for the type
    checker too).

    For the AI module's types (LLM_*, MCP, AGENT: their inputs change from release to
    release), USER_DEFINED, PULL_WORKFLOW_MESSAGES, a custom system task, or a type a newer
    server adds.

    Args:
        ref: the task reference name (see Task).
        task_type: the WorkflowTask `type`, written as given.
        **options: TaskOptions (`inputs`, and `extra` for fields of a newer server).
    """

    type = "SIMPLE"

    def __init__(self, ref: str, *, task_type: str, **options: Unpack[TaskOptions]) -> None:
        super().__init__(ref, **options)
        require(f"GenericTask {ref!r}", "task_type", task_type, str)
        self.task_type = task_type

"""What validation reports: stable codes and located findings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

__all__ = ["Code", "Finding", "Severity", "one_line"]

Severity = Literal["error", "warning"]


class Code(Enum):
    """Stable codes: tests, docs and users' CI filters rely on them, so never renumber."""

    DUPLICATE_REF = "DSL001"
    DOUBLE_UNDERSCORE_REF = "DSL002"
    UNKNOWN_ROOT = "DSL010"
    BAD_WORKFLOW_FIELD = "DSL011"
    BAD_TASK_FIELD = "DSL012"
    FORWARD_REF = "DSL013"
    SIBLING_BRANCH_REF = "DSL014"
    UNDECLARED_INPUT = "DSL015"
    UNDECLARED_VARIABLE = "DSL016"
    SWITCH_NO_CASES = "DSL020"
    SWITCH_BAD_EVALUATOR = "DSL021"
    SWITCH_NO_EXPRESSION = "DSL022"
    FORK_WITHOUT_JOIN = "DSL030"
    JOIN_NOT_BRANCH_END = "DSL031"
    FORK_NO_BRANCHES = "DSL032"
    DO_WHILE_INCOMPLETE = "DSL033"
    HTTP_NO_REQUEST = "DSL034"
    TERMINATE_BAD_STATUS = "DSL035"
    UNKNOWN_TASK_TYPE = "DSL040"
    MISSING_SUB_WORKFLOW = "DSL041"
    HTTP_NO_TASKDEF = "DSL042"
    SUB_WORKFLOW_NO_NAME = "DSL043"
    TASKDEF_TIMEOUTS = "DSL050"
    DUPLICATE_TASKDEF = "DSL051"
    DUPLICATE_WORKFLOW = "DSL060"
    MISSING_OWNER_EMAIL = "DSL061"
    BAD_SCHEMA_VERSION = "DSL062"


@dataclass(frozen=True)
class Finding:
    code: Code
    severity: Severity
    workflow: str
    task: str | None
    message: str
    location: str | None = None

    def __str__(self) -> str:
        where = self.location or "-"
        subject = f"{self.workflow}/{self.task}" if self.task else self.workflow
        return one_line(f"{where}: {self.severity} {self.code.value} [{subject}] {self.message}")


def one_line(text: str) -> str:
    """`text` with newlines and other control characters escaped (`\\n`): a name or an
    expression may hold them, and a message must stay on its line."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)

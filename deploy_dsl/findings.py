"""What validation reports: stable codes and located findings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

__all__ = ["Code", "Finding", "Problem", "Severity", "coded", "printable"]

Severity = Literal["error", "warning"]


class Code(Enum):
    """Stable codes: tests, docs and users' CI filters rely on them, so never renumber."""

    DUPLICATE_REF = "DSL001"
    DOUBLE_UNDERSCORE_REF = "DSL002"
    EMPTY_NAME = "DSL003"
    # A definition module that cannot be loaded or a task that cannot be compiled: reported
    # alone, at the line at fault, before any other check runs.
    NOT_PYTHON = "DSL004"
    BUILDER_REFUSED = "DSL005"
    MODULE_RAISED = "DSL006"
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
    SWITCH_VALUE_NOT_AN_INPUT = "DSL023"
    DECISION_NO_PARAM = "DSL024"
    FORK_WITHOUT_JOIN = "DSL030"
    JOIN_NOT_BRANCH_END = "DSL031"
    FORK_NO_BRANCHES = "DSL032"
    DO_WHILE_INCOMPLETE = "DSL033"
    HTTP_NO_REQUEST = "DSL034"
    TERMINATE_BAD_STATUS = "DSL035"
    TERMINATE_OPTIONAL = "DSL036"
    FORK_TYPE = "DSL037"
    DYNAMIC_FORK_PARAMS = "DSL038"
    TASK_FIELD_MISSING = "DSL039"
    UNKNOWN_TASK_TYPE = "DSL040"
    MISSING_SUB_WORKFLOW = "DSL041"
    HTTP_NO_TASKDEF = "DSL042"
    SUB_WORKFLOW_NO_NAME = "DSL043"
    SUB_WORKFLOW_VERSION = "DSL044"
    SUB_WORKFLOW_CYCLE = "DSL045"
    NEGATIVE_START_DELAY = "DSL046"
    LOOP_CONDITION = "DSL047"
    WAIT_DURATION = "DSL048"
    TASKDEF_TIMEOUTS = "DSL050"
    DUPLICATE_TASKDEF = "DSL051"
    TASKDEF_OUT_OF_RANGE = "DSL052"
    DUPLICATE_WORKFLOW = "DSL060"
    MISSING_OWNER_EMAIL = "DSL061"
    BAD_SCHEMA_VERSION = "DSL062"
    EMPTY_TASKS = "DSL063"
    VERSION_OUT_OF_RANGE = "DSL064"
    NAME_NOT_A_FILE_NAME = "DSL065"
    NOT_FINITE = "DSL066"
    NESTED_TOO_DEEP = "DSL067"
    NAME_CONTROL_CHARACTER = "DSL068"
    NAMES_DIFFER_IN_CASE = "DSL069"
    UNPLACED_TASK = "DSL070"
    REQUEST_BODY = "DSL071"
    SUB_WORKFLOW_INPUT = "DSL072"
    SET_VARIABLE_FIELD = "DSL073"
    CRON_EXPRESSION = "DSL080"
    SCHEDULE_TIME = "DSL081"
    TRIGGER_TARGET = "DSL082"
    TRIGGER_INPUT = "DSL083"
    EVENT_QUEUE = "DSL084"
    ACTION_TASK = "DSL085"
    DUPLICATE_TRIGGER = "DSL086"
    SCRIPT_SYNTAX = "DSL090"
    JQ_SYNTAX = "DSL091"
    CASE_NEVER_MATCHES = "DSL092"
    CASE_KEY_NOT_A_STRING = "DSL093"
    DEFAULT_UNREACHABLE = "DSL094"
    REFERENCE_TYPE = "DSL095"
    SECRETS_NOT_RESOLVED = "DSL096"


@dataclass(frozen=True)
class Problem:
    """What a builder finds wrong with a task from its typed arguments alone (a body against
    its model, a case its value can never take); reported at the task's line."""

    code: Code
    message: str
    severity: Severity = "error"


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
        # The message may quote an expression holding a newline too (found by tests/fuzz).
        return printable(
            f"{where}: {self.severity} {self.code.value} [{_shown(subject)}] {self.message}"
        )


def coded(code: Code, message: str) -> str:
    """An error that stops a build before validation (a module that cannot load, a task that
    cannot compile) with its code, spelt as a Finding spells it: a CI filter on
    `error DSL` sees both."""
    return f"error {code.value} {message}"


def _shown(text: str, limit: int = 80) -> str:
    """A name as a terminal can show it on one line: control characters escaped, long names
    cut (the message says what is wrong with them)."""
    shown = printable(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def printable(text: str) -> str:
    """`text` with newlines and other control characters escaped (`\\n`): a name or an
    expression may hold them, and a message must stay on its line."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)

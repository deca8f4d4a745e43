"""The TaskDef builder: retry and timeout policy for a task name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from deploy_dsl.arguments import require
from deploy_dsl.errors import DefinitionError
from deploy_dsl.location import caller_location
from deploy_dsl.wire import TaskDef as WireTaskDef

__all__ = ["RetryPolicy", "TaskDef"]

RetryLogic = Literal["FIXED", "EXPONENTIAL_BACKOFF", "LINEAR_BACKOFF"]
TimeoutPolicy = Literal["RETRY", "TIME_OUT_WF", "ALERT_ONLY"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a failed task is retried (the server's default delay is 60 s).

    Args:
        count: retryCount, the retries after the first attempt.
        delay_seconds: retryDelaySeconds.
        logic: retryLogic: `FIXED`, `EXPONENTIAL_BACKOFF` or `LINEAR_BACKOFF`.
        backoff_scale_factor: backoffScaleFactor, for the backoff logics.
    """

    count: int = 3
    delay_seconds: int = 1
    logic: RetryLogic = "FIXED"
    backoff_scale_factor: int | None = None

    def __post_init__(self) -> None:
        require("RetryPolicy", "count", self.count, int)
        require("RetryPolicy", "delay_seconds", self.delay_seconds, int)
        if self.count < 0 or self.delay_seconds < 0:
            raise DefinitionError(f"{self}: count and delay_seconds must not be negative")


class TaskDef:
    """A task definition; HTTP and SIMPLE tasks are retried per the TaskDef of their name.

    Args:
        name: the task name it applies to.
        owner_email: ownerEmail.
        description: shown in the docs.
        retry: the retry policy (the server's default is 3 retries, 60 s apart).
        timeout_seconds: timeoutSeconds, for one attempt including its retries' waits.
        response_timeout_seconds: responseTimeoutSeconds, less than timeout_seconds.
        timeout_policy: `RETRY`, `TIME_OUT_WF` or `ALERT_ONLY`, when a timeout passes.
        poll_timeout_seconds: how long a scheduled attempt may wait to be picked up before it
            is timed out (and, with RETRY, tried again): what brings back work a crashed
            server had taken.
        concurrent_exec_limit: how many may run at once.
        extra: TaskDef fields this library has no argument for, written as given.
    """

    def __init__(
        self,
        name: str,
        *,
        owner_email: str | None,
        description: str | None = None,
        retry: RetryPolicy | None = None,
        timeout_seconds: int | None = None,
        response_timeout_seconds: int | None = None,
        timeout_policy: TimeoutPolicy | None = None,
        poll_timeout_seconds: int | None = None,
        concurrent_exec_limit: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        require("TaskDef", "name", name, str)
        if not name:
            raise DefinitionError("a TaskDef needs a name")
        owner = f"TaskDef {name!r}"
        require(owner, "owner_email", owner_email, str, optional=True)
        require(owner, "retry", retry, RetryPolicy, optional=True)
        require(owner, "timeout_seconds", timeout_seconds, int, optional=True)
        require(owner, "response_timeout_seconds", response_timeout_seconds, int, optional=True)
        require(owner, "poll_timeout_seconds", poll_timeout_seconds, int, optional=True)
        require(owner, "concurrent_exec_limit", concurrent_exec_limit, int, optional=True)
        self.name = name
        self.owner_email = owner_email
        self.description = description
        self.retry = retry
        self.timeout_seconds = timeout_seconds
        self.response_timeout_seconds = response_timeout_seconds
        self.timeout_policy = timeout_policy
        self.poll_timeout_seconds = poll_timeout_seconds
        self.concurrent_exec_limit = concurrent_exec_limit
        self.extra: dict[str, Any] = dict(extra or {})
        self.location = caller_location()

    def to_wire(self) -> WireTaskDef:
        retry = self.retry
        fields: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "ownerEmail": self.owner_email,
            "retryCount": retry.count if retry else None,
            "retryLogic": retry.logic if retry else None,
            "retryDelaySeconds": retry.delay_seconds if retry else None,
            "backoffScaleFactor": retry.backoff_scale_factor if retry else None,
            "timeoutSeconds": self.timeout_seconds,
            "responseTimeoutSeconds": self.response_timeout_seconds,
            "timeoutPolicy": self.timeout_policy,
            "pollTimeoutSeconds": self.poll_timeout_seconds,
            "concurrentExecLimit": self.concurrent_exec_limit,
            **self.extra,
        }
        return WireTaskDef.model_validate(fields)

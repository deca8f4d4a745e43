"""The TaskDef builder: retry, timeout and rate-limit policy for a task name (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from deploy_dsl.arguments import require
from deploy_dsl.errors import DefinitionError
from deploy_dsl.location import caller_location
from deploy_dsl.options import SchemaDef
from deploy_dsl.wire import TaskDef as WireTaskDef

__all__ = ["RateLimit", "RetryPolicy", "TaskDef"]

RetryLogic = Literal["FIXED", "EXPONENTIAL_BACKOFF", "LINEAR_BACKOFF"]
TimeoutPolicy = Literal["RETRY", "TIME_OUT_WF", "ALERT_ONLY"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a failed task is retried (the server's default delay is 60 s).

    None leaves a field to the server's default (an imported definition that does not state it).

    Args:
        count: retryCount, the retries after the first attempt.
        delay_seconds: retryDelaySeconds.
        logic: retryLogic: `FIXED`, `EXPONENTIAL_BACKOFF` or `LINEAR_BACKOFF`.
        backoff_scale_factor: backoffScaleFactor, for the backoff logics.
        max_delay_seconds: maxRetryDelaySeconds, a cap on the backoff's delay (0: none).
        jitter_ms: backoffJitterMs, a random delay of up to this many ms added to each wait.
    """

    count: int | None = 3
    delay_seconds: int | None = 1
    logic: RetryLogic | None = "FIXED"
    backoff_scale_factor: int | None = None
    max_delay_seconds: int | None = None
    jitter_ms: int | None = None

    def __post_init__(self) -> None:
        require("RetryPolicy", "count", self.count, int, optional=True)
        require("RetryPolicy", "delay_seconds", self.delay_seconds, int, optional=True)
        require(
            "RetryPolicy", "backoff_scale_factor", self.backoff_scale_factor, int, optional=True
        )
        require("RetryPolicy", "max_delay_seconds", self.max_delay_seconds, int, optional=True)
        require("RetryPolicy", "jitter_ms", self.jitter_ms, int, optional=True)
        if (self.count or 0) < 0 or (self.delay_seconds or 0) < 0:
            raise DefinitionError(f"{self}: count and delay_seconds must not be negative")


@dataclass(frozen=True)
class RateLimit:
    """At most `per_frequency` tasks of the name start in any `frequency_seconds` window.

    Args:
        per_frequency: rateLimitPerFrequency.
        frequency_seconds: rateLimitFrequencyInSeconds.
    """

    per_frequency: int
    frequency_seconds: int = 1

    def __post_init__(self) -> None:
        require("RateLimit", "per_frequency", self.per_frequency, int)
        require("RateLimit", "frequency_seconds", self.frequency_seconds, int)


class TaskDef:
    """A task definition; HTTP and SIMPLE tasks are retried per the TaskDef of their name.

    Args:
        name: the task name it applies to.
        owner_email: ownerEmail.
        description: shown in the docs.
        retry: the retry policy (the server's default is 3 retries, 60 s apart).
        timeout_seconds: timeoutSeconds, for one attempt including its retries' waits.
        response_timeout_seconds: responseTimeoutSeconds, less than timeout_seconds.
        total_timeout_seconds: totalTimeoutSeconds, for every attempt together (0: none).
        timeout_policy: `RETRY`, `TIME_OUT_WF` or `ALERT_ONLY`, when a timeout passes.
        poll_timeout_seconds: how long a scheduled attempt may wait to be picked up before it
            is timed out (and, with RETRY, tried again): what brings back work a crashed
            server had taken.
        concurrent_exec_limit: how many may run at once.
        rate_limit: how many may start per time window (RateLimit).
        isolation_group_id: isolationGroupId: system tasks of the name get a queue (and
            workers) of their own.
        execution_name_space: executionNameSpace, for workers that poll by namespace.
        input_keys: inputKeys, the inputs it documents.
        output_keys: outputKeys, the outputs it documents.
        input_template: inputTemplate: defaults added under every task's own inputs.
        input_schema: the schema a task's input is checked against.
        output_schema: the schema its output is checked against.
        enforce_schema: whether the schemas are enforced.
        task_status_listener_enabled: whether the server's task status listener hears it.
        base_type: baseType, the type it is a variant of.
        runtime_metadata: runtimeMetadata, the names of its run-time metadata.
        extra: TaskDef fields this library has no argument for, written as given (for what a
            newer server adds).
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
        total_timeout_seconds: int | None = None,
        timeout_policy: TimeoutPolicy | None = None,
        poll_timeout_seconds: int | None = None,
        concurrent_exec_limit: int | None = None,
        rate_limit: RateLimit | None = None,
        isolation_group_id: str | None = None,
        execution_name_space: str | None = None,
        input_keys: Sequence[str] | None = None,
        output_keys: Sequence[str] | None = None,
        input_template: Mapping[str, Any] | None = None,
        input_schema: SchemaDef | None = None,
        output_schema: SchemaDef | None = None,
        enforce_schema: bool | None = None,
        task_status_listener_enabled: bool | None = None,
        base_type: str | None = None,
        runtime_metadata: Sequence[str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        require("TaskDef", "name", name, str)
        if not name:
            raise DefinitionError("a TaskDef needs a name")
        owner = f"TaskDef {name!r}"
        require(owner, "owner_email", owner_email, str, optional=True)
        require(owner, "description", description, str, optional=True)
        require(owner, "retry", retry, RetryPolicy, optional=True)
        for argument, value in (
            ("timeout_seconds", timeout_seconds),
            ("response_timeout_seconds", response_timeout_seconds),
            ("total_timeout_seconds", total_timeout_seconds),
            ("poll_timeout_seconds", poll_timeout_seconds),
            ("concurrent_exec_limit", concurrent_exec_limit),
        ):
            require(owner, argument, value, int, optional=True)
        require(owner, "rate_limit", rate_limit, RateLimit, optional=True)
        for argument, text in (
            ("isolation_group_id", isolation_group_id),
            ("execution_name_space", execution_name_space),
            ("base_type", base_type),
        ):
            require(owner, argument, text, str, optional=True)
        for argument, names in (
            ("input_keys", input_keys),
            ("output_keys", output_keys),
            ("runtime_metadata", runtime_metadata),
        ):
            require(owner, argument, names, list, tuple, optional=True)
        require(owner, "input_template", input_template, Mapping, optional=True)
        require(owner, "input_schema", input_schema, SchemaDef, optional=True)
        require(owner, "output_schema", output_schema, SchemaDef, optional=True)
        require(owner, "enforce_schema", enforce_schema, bool, optional=True)
        require(
            owner, "task_status_listener_enabled", task_status_listener_enabled, bool, optional=True
        )
        require(owner, "extra", extra, Mapping, optional=True)
        self.name = name
        self.owner_email = owner_email
        self.description = description
        self.retry = retry
        self.timeout_seconds = timeout_seconds
        self.response_timeout_seconds = response_timeout_seconds
        self.timeout_policy = timeout_policy
        self.poll_timeout_seconds = poll_timeout_seconds
        self.concurrent_exec_limit = concurrent_exec_limit
        self.rate_limit = rate_limit
        self.fields: dict[str, Any] = {
            "totalTimeoutSeconds": total_timeout_seconds,
            "isolationGroupId": isolation_group_id,
            "executionNameSpace": execution_name_space,
            "baseType": base_type,
            "inputKeys": list(input_keys) if input_keys is not None else None,
            "outputKeys": list(output_keys) if output_keys is not None else None,
            "runtimeMetadata": list(runtime_metadata) if runtime_metadata is not None else None,
            "inputTemplate": dict(input_template) if input_template is not None else None,
            "inputSchema": input_schema.to_wire() if input_schema else None,
            "outputSchema": output_schema.to_wire() if output_schema else None,
            "enforceSchema": enforce_schema,
            "taskStatusListenerEnabled": task_status_listener_enabled,
        }
        self.extra: dict[str, Any] = dict(extra or {})
        self.location = caller_location()

    def to_wire(self) -> WireTaskDef:
        retry = self.retry
        limit = self.rate_limit
        fields: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "ownerEmail": self.owner_email,
            "retryCount": retry.count if retry else None,
            "retryLogic": retry.logic if retry else None,
            "retryDelaySeconds": retry.delay_seconds if retry else None,
            "backoffScaleFactor": retry.backoff_scale_factor if retry else None,
            "maxRetryDelaySeconds": retry.max_delay_seconds if retry else None,
            "backoffJitterMs": retry.jitter_ms if retry else None,
            "timeoutSeconds": self.timeout_seconds,
            "responseTimeoutSeconds": self.response_timeout_seconds,
            "timeoutPolicy": self.timeout_policy,
            "pollTimeoutSeconds": self.poll_timeout_seconds,
            "concurrentExecLimit": self.concurrent_exec_limit,
            "rateLimitPerFrequency": limit.per_frequency if limit else None,
            "rateLimitFrequencyInSeconds": limit.frequency_seconds if limit else None,
            **self.fields,
            **self.extra,
        }
        return WireTaskDef.model_validate(fields)

"""KAFKA_PUBLISH: publishes a record to a Kafka topic."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Unpack

from deploy_dsl.arguments import require
from deploy_dsl.checking import Placement, WorkflowScope, require_input
from deploy_dsl.expressions import Ref
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned, Snippet
from deploy_dsl.task import CompileOptions, Task, TaskOptions
from deploy_dsl.wire import WorkflowTask

__all__ = ["KIND", "KafkaPublish"]

# kafka_request key -> builder argument (KafkaPublishTask.Input).
_REQUEST: Final = {
    "bootStrapServers": "bootstrap_servers",
    "topic": "topic",
    "value": "value",
    "key": "key",
    "headers": "headers",
    "keySerializer": "key_serializer",
    "requestTimeoutMs": "request_timeout_ms",
    "maxBlockMs": "max_block_ms",
}


class KafkaPublish(Task[Ref]):
    """Publishes a record to a Kafka topic (KAFKA_PUBLISH, `kafka_request`); the server needs
    its Kafka module.

    Args:
        ref: the task reference name (see Task).
        topic: the topic.
        value: the record's value (JSON; may hold references).
        bootstrap_servers: bootStrapServers, `host:port[,host:port]`.
        key: the record's key.
        headers: record headers.
        key_serializer: keySerializer, a Kafka serializer class name.
        request_timeout_ms: requestTimeoutMs.
        max_block_ms: maxBlockMs.
        **options: TaskOptions.
    """

    type = "KAFKA_PUBLISH"

    def __init__(
        self,
        ref: str,
        *,
        topic: str | Ref,
        value: Any,
        bootstrap_servers: str | Ref,
        key: Any = None,
        headers: Mapping[str, Any] | None = None,
        key_serializer: str | Ref | None = None,
        request_timeout_ms: int | Ref | None = None,
        max_block_ms: int | Ref | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        owner = f"KafkaPublish {ref!r}"
        require(owner, "topic", topic, str, Ref)
        require(owner, "bootstrap_servers", bootstrap_servers, str, Ref)
        require(owner, "headers", headers, Mapping, optional=True)
        require(owner, "key_serializer", key_serializer, str, Ref, optional=True)
        require(owner, "request_timeout_ms", request_timeout_ms, int, Ref, optional=True)
        require(owner, "max_block_ms", max_block_ms, int, Ref, optional=True)
        self.request = {
            "bootStrapServers": bootstrap_servers,
            "topic": topic,
            "value": value,
            "key": key,
            "headers": dict(headers) if headers is not None else None,
            "keySerializer": key_serializer,
            "requestTimeoutMs": request_timeout_ms,
            "maxBlockMs": max_block_ms,
        }

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        request = {k: v for k, v in self.request.items() if v is not None}
        return {"kafka_request": request, **self.inputs}


def _check(scope: WorkflowScope, placement: Placement) -> None:
    require_input(scope, placement, "kafka_request")


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    request = inputs.get("kafka_request")
    if not isinstance(request, dict) or not request.keys() <= _REQUEST.keys():
        return "kafka_request has fields the KafkaPublish builder does not write"
    required = ("topic", "value", "bootStrapServers")
    if any(request.get(key) is None for key in required) or None in request.values():
        return "kafka_request lacks topic, value or bootStrapServers, or has a null field"
    kwargs: list[tuple[str, Snippet]] = [
        (_REQUEST[key], code.value(value)) for key, value in request.items()
    ]
    return ImportPlan(KafkaPublish, kwargs, owned_inputs=frozenset({"kafka_request"}))


def _detail(task: WorkflowTask) -> str | None:
    request = (task.input_parameters or {}).get("kafka_request")
    topic = request.get("topic") if isinstance(request, dict) else None
    return f"to {topic}" if isinstance(topic, str) else None


KIND = Kind(
    type="KAFKA_PUBLISH",
    builder=KafkaPublish,
    summary="Publishes a record to a Kafka topic.",
    example=lambda: [
        KafkaPublish(
            "publish", topic="deployments", value={"scope": "svc-a"}, bootstrap_servers="kafka:9092"
        )
    ],
    plan=_plan,
    check=_check,
    detail=_detail,
    flow="stand_in",
)

"""Checked by `make check` (mypy --strict and pyright strict): every builder argument that
Conductor evaluates as an expression takes a typed reference, whatever it points at: a string,
a number, a boolean, a list (tests/typing/test_typed_references.py compiles it too)."""

from __future__ import annotations

from pydantic import BaseModel

from deploy_dsl.dsl import (
    DoWhile,
    DynamicFork,
    ExternalWorkflow,
    Http,
    KafkaPublish,
    StartWorkflow,
    Switch,
    Terminate,
    Wait,
    Workflow,
    workflow_input,
)


class In(BaseModel):
    pause: str
    until: str
    url: str
    timeout_ms: int
    status: str
    items: list[str]
    healthy: bool
    attempts: int


inputs = workflow_input(In)
child = ExternalWorkflow("child", version=1)
tasks = [
    Wait("pause", duration=inputs.pause),
    Wait("until", until=inputs.until),
    Http(
        "call",
        uri=inputs.url,
        method="POST",
        body={"x": inputs.status},
        headers={"X-Status": inputs.status},
        connection_timeout_ms=inputs.timeout_ms,
        read_timeout_ms=inputs.timeout_ms,
    ),
    Switch("choose", value=inputs.status, cases={"a": [Wait.for_signal("hold")]}),
    Switch("if_healthy", value=inputs.healthy, cases={"true": [Wait("ok", duration="1s")]}),
    Switch("by_attempt", value=inputs.attempts, cases={"1": [Wait("first", duration="1s")]}),
    DynamicFork("fan", workflow=child, fork_inputs=inputs.items),
    DoWhile("loop", condition="$.loop['iteration'] < 2", body=[Wait("tick", duration="1s")]),
    DoWhile("each", condition="", items=inputs.items, body=[Wait("per_item", duration="1s")]),
    KafkaPublish(
        "publish",
        topic=inputs.status,
        value={"items": inputs.items},
        bootstrap_servers=inputs.url,
        request_timeout_ms=inputs.timeout_ms,
        key_serializer=inputs.status,
    ),
    Http(
        "typed_request",
        uri=inputs.url,
        content_type=inputs.status,
        accept=inputs.items,
        vip_address=inputs.status,
        app_name=inputs.status,
    ),
    StartWorkflow(
        "start_child",
        workflow=child,
        correlation_id=inputs.status,
        idempotency_key=inputs.status,
        priority=inputs.attempts,
    ),
    Terminate("stop", status="COMPLETED", reason=inputs.status, output={"s": inputs.status}),
]
workflow = Workflow("typing_cases", version=1, owner_email="o@example.com", input=In, tasks=tasks)

"""Checked by `make check` (mypy --strict): every builder argument that Conductor evaluates as
an expression takes a typed reference."""

from __future__ import annotations

from pydantic import BaseModel

from deploy_dsl.dsl import (
    DoWhile,
    DynamicFork,
    ExternalWorkflow,
    Http,
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
    DynamicFork("fan", workflow=child, fork_inputs=inputs.items),
    DoWhile("loop", condition="$.loop['iteration'] < 2", body=[Wait("tick", duration="1s")]),
    Terminate("stop", status="COMPLETED", reason=inputs.status, output={"s": inputs.status}),
]
workflow = Workflow("typing_cases", version=1, owner_email="o@example.com", input=In, tasks=tasks)

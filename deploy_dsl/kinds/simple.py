"""SIMPLE: a task that a worker of your own polls for, by its task name."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from typing import Any, Unpack

from deploy_dsl.contracts import body_problems
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Shape
from deploy_dsl.findings import Code, Problem
from deploy_dsl.kind import Importing, ImportPlan, Kind, Planned
from deploy_dsl.schemas import ANY, Schema, model_schema
from deploy_dsl.task import ModelClass, Task, TaskOptions, is_model

__all__ = ["KIND", "Simple", "check_contract"]


class Simple(Task[Shape]):
    """A task polled by a worker of your own (SIMPLE), retried per the TaskDef of its name.

    With `request=` and `response=` the step has a typed contract, like an HTTP worker step:
    its inputs are checked against the request model when the workflow is compiled, and
    `.output.<field>` is checked against the response model when the definition is imported.
    Any conductor-python worker of that task name can poll it (see the README).

    Args:
        ref: the task reference name (see Task).
        request: the model the inputs must be an instance of (checked when compiled).
        response: the model of what the worker completes the task with; it types `.output`,
            for the type checker too (without one `.output` is Ref, open).
        **options: TaskOptions (name, inputs, ...).
    """

    type = "SIMPLE"

    def __init__(
        self,
        ref: str,
        *,
        request: ModelClass | None = None,
        response: builtins.type[Shape] | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        super().__init__(ref, **options)
        self.request_model, self.response_model = check_contract(
            f"Simple {ref!r}", request, response
        )

    def output_fields(self) -> Schema:
        return ANY if self.response_model is None else model_schema(self.response_model)

    def problems(self) -> Iterator[Problem]:
        if self.request_model is not None:
            yield from body_problems(
                self.request_model, self.inputs, "the inputs", Code.REQUEST_BODY
            )


def check_contract(
    owner: str, request: Any, response: Any
) -> tuple[ModelClass | None, ModelClass | None]:
    """A step's request and response models, each a pydantic model class or None."""
    for argument, value in (("request", request), ("response", response)):
        if value is not None and not is_model(value):
            raise DefinitionError(f"{owner}: {argument} must be a pydantic model class")
    return request, response


def _plan(raw: Mapping[str, Any], inputs: Mapping[str, Any], code: Importing) -> Planned:
    return ImportPlan(Simple)


KIND = Kind(
    type="SIMPLE",
    builder=Simple,
    summary="Waits for a worker polling its task name to complete it.",
    example=lambda: [Simple("lint", name="lint_manifest", inputs={"path": "deploy.yaml"})],
    plan=_plan,
    flow="worker",
    named=True,
    # MetadataMapperService.populateWorkflowTaskWithDefinition gives a task without a TaskDef
    # an ad hoc one; registration (plan) says which names the server does not know.
    unchecked="it needs only its name: the server runs a task without a TaskDef with defaults",
)

"""Python workers for a project's SIMPLE tasks, typed by each task's contract.

A SIMPLE task declares its `request=` and `response=` models; a worker is a function from the
request model to the response model. `serve` runs the functions with conductor-python's task
runner against the server of the settings: each task's input is validated into the request
model before the function sees it, and what it returns is validated against the response
model before the server does, so a worker that breaks the contract fails the attempt with a
message naming the field, instead of completing the task with output the workflow cannot read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, ValidationError

from deploy_dsl.client.api import TaskHandlerFunction, polling_workers
from deploy_dsl.client.settings import Settings, load_settings
from deploy_dsl.errors import DeployDslError
from deploy_dsl.kinds.simple import Simple

__all__ = ["ContractBroken", "WorkerFunction", "handler", "serve"]

# A worker function: the request model (or the raw input, without one) in, the response
# model (or a mapping that validates as it) out.
WorkerFunction = Callable[[Any], BaseModel | Mapping[str, Any]]


class ContractBroken(DeployDslError):
    """A task's input or a worker's answer does not fit the task's contract."""


def handler(task: Simple, function: WorkerFunction) -> TaskHandlerFunction:
    """The input-to-output function the task runner calls for `task`, checked both ways."""
    request, response = task.request_model, task.response_model

    def handle(inputs: dict[str, Any]) -> dict[str, Any]:
        argument: Any = inputs
        if request is not None:
            argument = _validated(request, inputs, f"{task.name}: the input")
        answer = function(argument)
        if response is not None:
            raw = answer.model_dump(mode="json") if isinstance(answer, BaseModel) else answer
            answer = _validated(response, raw, f"{task.name}: the answer")
        if isinstance(answer, BaseModel):
            return answer.model_dump(mode="json", by_alias=True)
        return dict(answer)

    return handle


def _validated(model: type[BaseModel], value: Any, what: str) -> BaseModel:
    try:
        return model.model_validate(value)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "value"
        message = f"{what} does not fit {model.__name__}: {where}: {first['msg']}"
        raise ContractBroken(message) from None


@contextmanager
def serve(
    workers: Mapping[Simple, WorkerFunction],
    settings: Settings | None = None,
    *,
    poll_seconds: float = 0.1,
) -> Iterator[None]:
    """Polls for each task's name and answers with its function until the block ends.

    Args:
        workers: the worker function of each SIMPLE task.
        settings: the server to poll (the settings of `.env` by default).
        poll_seconds: how long a worker waits between polls when there is no work.
    """
    settings = settings or load_settings()
    handlers = {task.name: handler(task, function) for task, function in workers.items()}
    with polling_workers(settings.connection(), handlers, poll_seconds=poll_seconds):
        yield

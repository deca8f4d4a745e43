"""Every task kind on the real engine: each kind's example runs with a mock for every task the
engine does not run itself (its KIND's flow), and completes."""

from __future__ import annotations

from typing import Any

import pytest

from deploy_dsl.kind import MOCKED_RUNS, Kind
from deploy_dsl.kinds import KINDS
from deploy_dsl.kinds.http import Http
from deploy_dsl.task import Task
from deploy_dsl.testing import Flow, completes, responds
from deploy_dsl.testing.mocks import Mock
from deploy_dsl.workflow import Workflow, walk_tasks


def mocks_for(tasks: list[Task]) -> dict[Task, Mock]:
    """An answer for every task a mock must answer, named after the task."""
    answers: dict[Task, Mock] = {}
    for task in walk_tasks(tasks):
        if KINDS[task.task_type].flow not in MOCKED_RUNS:
            continue
        output: dict[str, Any] = {"answeredBy": task.ref}
        answers[task] = responds(output) if isinstance(task, Http) else completes(output)
    return answers


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=lambda k: k.type)
def test_the_kinds_example_runs_with_its_mocks(flow: Flow, kind: Kind) -> None:
    tasks = list(kind.example())
    workflow = Workflow(
        f"flow_kind_{kind.type.lower()}", version=1, owner_email="kinds@example.com", tasks=tasks
    )
    mocks = mocks_for(tasks)

    result = flow.run(workflow, {}, mocks)

    assert result.status == "COMPLETED", result.reason
    for task, _ in mocks.items():
        run = result.last(task)
        body = run.response_body if isinstance(task, Http) else run.output
        assert body == {"answeredBy": task.ref}
    if kind.flow in MOCKED_RUNS:
        assert mocks, f"{kind.type} is answered by a mock, so its example needs one"

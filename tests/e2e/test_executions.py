"""`run`'s warning about a stale registration, `terminate` and `retry`, on real executions."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.e2e.scratch import Scratch, scratch
from tests.e2e.support import Conductor, Stack, run_cli, started_id, wait_until

pytestmark = pytest.mark.e2e
__all__ = ["scratch"]  # the fixture, imported for the tests below

_LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _note_workflow(s: Scratch, description: str) -> str:
    return f"""
        from deploy_dsl.dsl import SetVariable, Workflow

        note = Workflow("{s.name("note")}", version=1, owner_email="{s.owner}",
                        description="{description}",
                        tasks=[SetVariable("note", inputs={{"a": 1}})])
    """


def test_run_warns_once_when_the_registered_version_differs(scratch: Scratch) -> None:
    name = scratch.name("note")
    scratch.write(_note_workflow(scratch, "as registered"))
    assert scratch.cli("register").returncode == 0
    clean = scratch.cli("run", name)
    assert clean.returncode == 0, str(clean)
    assert "warning" not in clean.stderr

    scratch.write(_note_workflow(scratch, "edited since"))
    stale = scratch.cli("run", name)
    assert stale.returncode == 0, str(stale)
    warnings = [line for line in stale.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {name} v1 on {scratch.conductor.url} differs from the definitions "
        "(description): it runs as registered; `deploy-dsl plan` shows the diff, "
        "`deploy-dsl register` applies it"
    ], str(stale)
    assert stale.stderr.count("\n") == 1


def _start_held(s: Scratch) -> tuple[str, str]:
    """Registers and starts a workflow that waits for a signal: RUNNING until someone acts."""
    name = s.name("hold")
    s.write(
        f"""
        from deploy_dsl.dsl import Wait, Workflow

        hold = Workflow("{name}", version=1, owner_email="{s.owner}",
                        tasks=[Wait.for_signal("until_signalled")])
        """
    )
    assert s.cli("register").returncode == 0
    return name, started_id(s.cli("run", name), name)


def test_terminate_a_running_execution(scratch: Scratch, conductor: Conductor) -> None:
    name, workflow_id = _start_held(scratch)
    assert conductor.execution(workflow_id)["status"] == "RUNNING"

    reason = f"e2e stop {scratch.unique}"
    result = run_cli("terminate", workflow_id, "--reason", reason)
    assert result.returncode == 0, str(result)
    assert result.stdout == f"terminated {name} {workflow_id}: now TERMINATED\n"
    execution = conductor.execution(workflow_id)
    assert execution["status"] == "TERMINATED"
    assert reason in execution["reasonForIncompletion"]

    again = run_cli("terminate", workflow_id)
    assert again.returncode == 1, str(again)
    assert "Traceback" not in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1, str(again)


def _post(url: str, body: dict[str, str]) -> int:
    """POST JSON to the worker (loopback, no proxy); the HTTP status."""
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with _LOOPBACK.open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_retry_a_failed_execution(scratch: Scratch, conductor: Conductor, stack: Stack) -> None:
    """swap_traffic before the infrastructure exists: the worker answers 409 and, with no
    retries in its task definition, the execution FAILS. Once an operator has created the
    infrastructure, `retry` runs the failed task again and the execution completes."""
    name, step = scratch.name("swap"), scratch.name("swap_step")
    identity = {"scope": f"svc-e2e-retry-{scratch.unique}", "version": "1", "env": "e2e"}
    scratch.write(
        f"""
        from deploy_dsl.dsl import Http, RetryPolicy, TaskDef, WorkerEndpoint, Workflow

        OWNER = "{scratch.owner}"
        once = TaskDef("{step}", owner_email=OWNER, retry=RetryPolicy(count=0, delay_seconds=0))
        swap = Workflow(
            "{name}", version=1, owner_email=OWNER,
            tasks=[Http("swap", name="{step}", uri=WorkerEndpoint("swap_traffic"),
                        method="POST", body={identity!r})],
        )
        """
    )
    assert scratch.cli("register").returncode == 0
    failed = scratch.cli("run", name, "--wait", "--timeout", "60")
    assert failed.returncode == 1, str(failed)
    workflow_id = started_id(failed, name)
    assert conductor.execution(workflow_id)["status"] == "FAILED"

    assert _post(f"{stack.worker_url}/create_infrastructure", identity) == 200
    wait_until(
        lambda: _post(f"{stack.worker_url}/wait_infrastructure_created", identity) == 200,
        timeout=30,
        what="the infrastructure to be ready",
    )
    result = run_cli("retry", workflow_id)
    assert result.returncode == 0, str(result)
    assert result.stdout.startswith(f"retried {name} {workflow_id}: now ")
    execution = conductor.finished(workflow_id)
    assert execution["status"] == "COMPLETED", execution.get("reasonForIncompletion")
    attempts = [t["status"] for t in execution["tasks"] if t["referenceTaskName"] == "swap"]
    assert attempts == ["FAILED", "COMPLETED"]


def test_retry_of_a_running_execution_is_refused_in_one_line(
    scratch: Scratch, conductor: Conductor
) -> None:
    _, workflow_id = _start_held(scratch)
    try:
        result = run_cli("retry", workflow_id)
        assert result.returncode == 1, str(result)
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    finally:
        run_cli("terminate", workflow_id)

"""A SIMPLE task on the real server, completed by a Python worker of the task's typed contract
(deploy_dsl.client.workers, on conductor-python's task runner): preflight_v1, which also calls
an HTTP page with a header and publishes an EVENT."""

from __future__ import annotations

from typing import Any

import pytest

from definitions.preflight import LintRequest, LintVerdict, lint, preflight_v1
from deploy_dsl.client.settings import load_settings
from deploy_dsl.client.workers import serve
from tests.e2e.support import CliResult, Conductor, tasks_of

pytestmark = pytest.mark.e2e


def lint_manifest(request: LintRequest) -> LintVerdict:
    problems = [] if "image:" in request.manifest else ["the manifest names no image"]
    return LintVerdict(ok=not problems, problems=problems)


def run(conductor: Conductor, manifest: str, scope: str) -> dict[str, Any]:
    settings = load_settings()
    inputs = {
        "scope": scope,
        "version": "1.0.0",
        "env": "e2e",
        "manifest": manifest,
        "status_url": f"{settings.worker_url}/health",
    }
    with serve({lint: lint_manifest}, settings):
        workflow_id = conductor.api.start(preflight_v1.name, preflight_v1.version, inputs)
        return conductor.finished(workflow_id, timeout=90)


def test_a_typed_python_worker_completes_the_simple_task(
    registered: CliResult, conductor: Conductor, unique: str
) -> None:
    execution = run(conductor, "image: registry/svc:1.0.0\n", f"svc-pre-{unique}")

    assert execution["status"] == "COMPLETED", execution.get("reasonForIncompletion")
    # A SIMPLE task runs under its task name (TaskModel.taskType).
    (linted,) = tasks_of(execution, "lint_manifest")
    assert linted["outputData"] == {"ok": True, "problems": []}
    assert linted["workerId"], "a worker polled it"
    (smoke,) = tasks_of(execution, "HTTP")
    request = smoke["inputData"]["http_request"]
    assert request["headers"]["X-Deploy-Scope"] == f"svc-pre-{unique}"
    assert smoke["outputData"]["response"]["statusCode"] == 200
    (event,) = tasks_of(execution, "EVENT")
    assert event["outputData"]["event_produced"] == "conductor:preflight_v1:preflight_done"
    assert execution["output"]["summary"] == {
        "scope": f"svc-pre-{unique}",
        "version": "1.0.0",
        "status": 200,
    }


def test_the_workers_verdict_decides_the_workflow(
    registered: CliResult, conductor: Conductor, unique: str
) -> None:
    execution = run(conductor, "replicas: 2\n", f"svc-pre-bad-{unique}")

    assert execution["status"] == "FAILED"
    assert execution["reasonForIncompletion"] == "the manifest linter refused it"
    assert execution["output"] == {"problems": ["the manifest names no image"]}
    assert tasks_of(execution, "HTTP") == [], "no smoke request after a refusal"

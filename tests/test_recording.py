"""Recordings of executions (deploy_dsl.client.recording), from executions as the server answers
them (GET /workflow/{id}), written by hand: no server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from deploy_dsl.client.recording import (
    Recording,
    RecordingError,
    finished_executions,
    parse_recording,
    record,
)
from deploy_dsl.redaction import HIDDEN
from tests.conftest import REPO_ROOT

SECRET = "orkes-secret-value"


def http_task(seq: int, ref: str, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "seq": seq,
        "referenceTaskName": ref,
        "taskType": "HTTP",
        "status": "COMPLETED",
        "retryCount": 0,
        "iteration": 0,
        "workflowTask": {"name": ref, "taskReferenceName": ref, "type": "HTTP"},
        "outputData": {
            "response": {
                "statusCode": 200,
                "reasonPhrase": "OK",
                "headers": {"Date": ["Mon, 07 Dec 2026 03:39:33 GMT"], "Set-Cookie": ["s=1"]},
                "body": body,
            }
        },
        **extra,
    }


EXECUTIONS: dict[str, dict[str, Any]] = {
    "root": {
        "workflowId": "root",
        "workflowName": "deploy",
        "workflowVersion": 3,
        "status": "FAILED",
        "reasonForIncompletion": f"the worker said {SECRET}",
        "input": {"scope": "svc-a", "password": "hunter2"},
        "output": {"outcome": "rolled_back", "conductor.failure_workflow": "compensation"},
        "tasks": [
            {
                "seq": 3,
                "referenceTaskName": "call",
                "taskType": "SUB_WORKFLOW",
                "status": "COMPLETED",
                "subWorkflowId": "child",
                "workflowTask": {
                    "name": "call",
                    "taskReferenceName": "call",
                    "type": "SUB_WORKFLOW",
                },
                "outputData": {"subWorkflowId": "child"},
            },
            http_task(1, "create", {"id": "infra-1", "token": "t0k3n", "note": f"key {SECRET}"}),
            {
                "seq": 2,
                "referenceTaskName": "decide",
                "taskType": "SWITCH",
                "status": "COMPLETED",
                "workflowTask": {
                    "name": "decide",
                    "taskReferenceName": "decide",
                    "type": "SWITCH",
                    "decisionCases": {"success": []},
                    "defaultCase": [],
                },
                "outputData": {"evaluationResult": ["degraded"], "selectedCase": "degraded"},
            },
            {
                "seq": 4,
                "referenceTaskName": "lint",
                "taskType": "lint_it",
                "status": "FAILED",
                "retryCount": 2,
                "workflowTask": {"name": "lint_it", "taskReferenceName": "lint", "type": "SIMPLE"},
                "outputData": {"error": "bad"},
            },
        ],
    },
    "child": {
        "workflowId": "child",
        "workflowName": "finalize",
        "workflowVersion": 1,
        "status": "COMPLETED",
        "input": {"scope": "svc-a"},
        "output": {},
        "tasks": [http_task(1, "cleanup", {"done": True})],
    },
    "compensation": {
        "workflowId": "compensation",
        "workflowName": "compensate",
        "workflowVersion": 1,
        "status": "COMPLETED",
        "input": {"workflowId": "root", "failedWorkflow": {"tasks": ["...everything again"]}},
        "output": {"outcome": "rolled_back"},
        "tasks": [],
    },
}


def fetch(workflow_id: str) -> Mapping[str, Any]:
    return EXECUTIONS[workflow_id]


def test_a_recording_keeps_each_task_in_run_order_with_what_a_replay_needs() -> None:
    recording = record(fetch, "root", [SECRET])

    assert (recording.workflow, recording.version, recording.status) == ("deploy", 3, "FAILED")
    assert [t.ref for t in recording.tasks] == ["create", "decide", "call", "lint"]
    create, decide, call, lint = recording.tasks
    assert create.output["response"] == {
        "statusCode": 200,
        "reasonPhrase": "OK",
        "body": {"id": "infra-1", "token": HIDDEN, "note": f"key {HIDDEN}"},
    }, "headers are left out, secrets hidden"
    assert decide.branch == "default", "no case has the key 'degraded'"
    assert call.execution is not None and call.execution.workflow == "finalize"
    assert [t.ref for t in call.execution.tasks] == ["cleanup"]
    assert (lint.type, lint.status, lint.retry_count) == ("SIMPLE", "FAILED", 2)
    assert recording.input == {"scope": "svc-a", "password": HIDDEN}
    assert recording.reason == f"the worker said {HIDDEN}"
    failure = recording.failure_workflow
    assert failure is not None and failure.workflow == "compensate"
    assert failure.input == {"workflowId": "root"}, "failedWorkflow is the whole execution again"
    assert [e.workflow for e in recording.walk()] == ["deploy", "finalize", "compensate"]


def test_a_recording_is_canonical_json_that_reads_back_the_same() -> None:
    recording = record(fetch, "root", [SECRET])
    text = recording.to_json()

    assert text.startswith('{\n  "recording": 1,\n  "workflow": "deploy",\n')
    assert text.endswith("}\n")
    assert SECRET not in text and "hunter2" not in text and "Set-Cookie" not in text
    assert parse_recording(text, "x.json") == recording
    assert parse_recording(text, "x.json").to_json() == text


@pytest.mark.parametrize(
    ("status", "why"),
    [
        ("RUNNING", "it has not finished"),
        ("TERMINATED", "it was stopped from outside, which no replay reproduces"),
    ],
)
def test_only_an_execution_that_ended_by_itself_is_recorded(status: str, why: str) -> None:
    execution = {**EXECUTIONS["child"], "status": status}

    with pytest.raises(RecordingError) as error:
        record(lambda _: execution, "child")

    assert str(error.value) == (
        f"finalize child is {status}: {why}; only COMPLETED, FAILED, TIMED_OUT executions are "
        "recorded"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "x.json: not a recording: (the file): Input should be an object"),
        ('{"recording": 1}', "x.json: not a recording: workflow: Field required"),
        (
            '{"recording": 1, "workflow": "w", "version": 1, "workflowId": "i", '
            '"status": "COMPLETED", "tasks": [{"ref": "a"}]}',
            "x.json: not a recording: tasks.0.type: Field required",
        ),
        (
            '{"recording": 9, "workflow": "w", "version": 1, "workflowId": "i", '
            '"status": "COMPLETED"}',
            "x.json: recording format 9; this deploy-dsl reads format 1",
        ),
    ],
)
def test_a_file_that_is_not_a_recording_is_one_line_naming_it(text: str, message: str) -> None:
    with pytest.raises(RecordingError) as error:
        parse_recording(text, "x.json")
    assert str(error.value) == message


def test_the_committed_recordings_cover_each_seed_workflows_outcomes() -> None:
    found = set()
    for path in sorted((REPO_ROOT / "tests" / "recordings").glob("*.json")):
        recording = parse_recording(path.read_text("utf-8"), path.name)
        assert isinstance(recording, Recording)
        found.add((recording.workflow, recording.status, recording.output.get("outcome")))
        assert recording.to_json() == path.read_text("utf-8"), f"{path.name} is not canonical"
        failure = recording.failure_workflow
        if failure is not None:
            found.add((failure.workflow, failure.status, failure.output.get("outcome")))
    assert found >= {
        ("deploy_simple_v1", "COMPLETED", "finalized"),
        ("deploy_simple_v1", "COMPLETED", "rolled_back"),
        ("deploy_simple_v1", "FAILED", "rolled_back"),
        ("deploy_failed_v1", "COMPLETED", "rolled_back"),
        ("pipeline_simple_v1", "COMPLETED", None),
        ("pipeline_simple_v1", "FAILED", None),
        ("rollout_v1", "COMPLETED", None),
        ("rollout_v1", "FAILED", None),
        ("canary_v1", "COMPLETED", "finalized"),
        ("canary_v1", "FAILED", "rolled_back"),
    }


def test_the_newest_finished_executions_leave_flow_test_runs_out_and_page() -> None:
    rows = [
        {"workflowId": f"w{i}", "correlationId": "flowtest-1" if i % 3 == 0 else None}
        for i in range(10)
    ]
    queries = []

    def search(query: str, *, start: int, size: int) -> dict[str, Any]:
        queries.append((query, start))
        return {"totalHits": len(rows), "results": rows[start : start + 4]}

    found = finished_executions(search, "deploy", last=5, since_ms=1000)

    assert found == ["w1", "w2", "w4", "w5", "w7"]
    assert queries[0] == (
        "workflowType='deploy' AND status IN (COMPLETED,FAILED,TIMED_OUT) AND startTime>1000",
        0,
    )
    assert [start for _, start in queries] == [0, 4], "it stops once it has 5"
    assert finished_executions(search, "deploy", last=None, since_ms=None) == [
        "w1", "w2", "w4", "w5", "w7", "w8"
    ]  # fmt: skip

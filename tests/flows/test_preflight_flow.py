"""preflight_v1 on the real engine, every task mocked: its SIMPLE linter, its HTTP smoke
request and its EVENT are answered by mocks; the SWITCH, JSON_JQ and TERMINATE are the
engine's own."""

from __future__ import annotations

from definitions.preflight import PreflightInput, announce, lint, preflight_v1, smoke
from deploy_dsl.testing import Flow, completes, fails, responds

INPUT = PreflightInput(scope="svc-a", version="2.0.0", env="staging", manifest="image: a")
EVENT_OUTPUT = {"event_produced": "conductor:preflight_v1:preflight_done"}


def test_a_clean_manifest_is_smoke_tested_and_announced(flow: Flow) -> None:
    mocks = {
        lint: completes({"ok": True, "problems": []}),
        smoke: responds({"status": "UP"}),
        announce: completes(EVENT_OUTPUT),
    }

    result = flow.run(preflight_v1, INPUT, mocks)

    assert result.status == "COMPLETED", result.reason
    assert result.refs == ["lint", "lint_passed", "smoke", "summarize", "announce"]
    assert result.last(lint).input == {"scope": "svc-a", "manifest": "image: a"}
    assert result.last(smoke).input["http_request"]["headers"]["X-Deploy-Scope"] == "svc-a"
    # The inputTemplate's default reached the request, though the input did not give it.
    assert result.last(smoke).input["http_request"]["uri"] == "http://localhost:3000/health"
    assert result.last(announce).input == {
        "scope": "svc-a",
        "version": "2.0.0",
        "checkedBy": result.workflow_id,
    }
    assert result.output["summary"] == {"scope": "svc-a", "version": "2.0.0", "status": 200}


def test_a_refused_manifest_ends_the_workflow_before_the_smoke_request(flow: Flow) -> None:
    mocks = {lint: completes({"ok": False, "problems": ["no image"]})}

    result = flow.run(preflight_v1, INPUT, mocks)

    assert result.status == "FAILED"
    assert result.reason == "the manifest linter refused it"
    assert result.output == {"problems": ["no image"]}
    assert not result.ran(smoke) and not result.ran(announce)


def test_a_target_that_answers_500_fails_the_preflight(flow: Flow) -> None:
    mocks = {
        lint: completes({"ok": True}),
        smoke: [fails(status_code=500)] * 3,
    }

    result = flow.run(preflight_v1, INPUT, mocks)

    assert result.status == "FAILED"
    assert [run.status for run in result.runs(smoke)] == ["FAILED"] * 3
    assert not result.ran(announce)

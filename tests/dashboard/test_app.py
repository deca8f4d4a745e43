"""The dashboard's web application on recorded answers (tests/dashboard/recorded.py): what it
refuses, what it escapes and hides, and how often it asks the server. The browser tests
(tests/e2e/test_dashboard.py) drive the same pages against the real server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from deploy_dsl.client.approvals import gates_in
from deploy_dsl.dashboard.app import TOKEN_HEADER, DashboardConfig, create_app
from tests.conftest import REPO_ROOT
from tests.dashboard.recorded import RecordedApi, recorded, tree_of

TOKEN = "the-dashboard-token"
ORKES_SECRET = "orkes-secret-value"
HOSTILE = "<script>alert(1)</script>"


def client_for(api: RecordedApi, seconds: float = 60.0) -> FlaskClient:
    config = DashboardConfig(
        build_dir=REPO_ROOT / "build", token=TOKEN, secrets=("key-id", ORKES_SECRET),
        cache_seconds=seconds,
    )  # fmt: skip
    return create_app(config, lambda: api).test_client()


def summary(workflow_id: str, scope: str, status: str = "COMPLETED") -> dict[str, Any]:
    return {
        "workflowId": workflow_id, "workflowType": "deploy_simple_v1", "version": 8,
        "status": status, "startTime": "2026-12-07T02:29:38.244Z",
        "input": f"{{scope={scope}, env=e2e}}", "reasonForIncompletion": f"failed for {scope}",
    }  # fmt: skip


@pytest.fixture
def waiting() -> RecordedApi:
    return RecordedApi(recorded("rollout_waiting"))


def test_deciding_needs_the_token(waiting: RecordedApi) -> None:
    client = client_for(waiting)
    (gate,) = gates_in(tree_of("rollout_waiting"))
    url = f"/api/executions/{gate.workflow_id}/approve"
    for headers in ({}, {TOKEN_HEADER: "wrong"}, {TOKEN_HEADER: ""}):
        answer = client.post(url, json={"gate": gate.gate}, headers=headers)
        assert answer.status_code == 403
        assert "token" in answer.get_json()["error"]
    assert waiting.completed == []
    answer = client.post(url, json={"gate": gate.gate, "by": "ann"}, headers={TOKEN_HEADER: TOKEN})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["message"] == "approved wave 2 (production) as ann"
    assert waiting.completed == [
        (gate.workflow_id, gate.task_id, {"approved": True, "by": "ann", "reason": None})
    ]


def test_a_rejection_needs_a_reason_and_bad_bodies_are_400(waiting: RecordedApi) -> None:
    client = client_for(waiting)
    (gate,) = gates_in(tree_of("rollout_waiting"))
    headers = {TOKEN_HEADER: TOKEN}
    url = f"/api/executions/{gate.workflow_id}/reject"
    assert client.post(url, json={"gate": gate.gate}, headers=headers).status_code == 400
    assert client.post(url, data="not json", headers=headers).status_code == 400
    assert client.post(url, json={"reason": ["x"]}, headers=headers).status_code == 400
    answer = client.post(url, json={"reason": "freeze", "by": "bo"}, headers=headers)
    assert answer.get_json()["message"] == "rejected wave 2 (production) as bo"
    # Nothing waits any more: a second decision is a conflict, said in one line.
    again = client.post(url, json={"reason": "freeze"}, headers=headers)
    assert again.status_code == 409
    assert "no approval gate" in again.get_json()["error"]


def test_terminate_needs_the_token_too() -> None:
    api = RecordedApi()
    client = client_for(api)
    assert client.post("/api/executions/abc/terminate", json={}).status_code == 403
    answer = client.post(
        "/api/executions/abc/terminate", json={"reason": "stop"}, headers={TOKEN_HEADER: TOKEN}
    )
    assert answer.status_code == 200
    assert api.terminated == [("abc", "stop")]


def test_only_a_loopback_host_is_answered() -> None:
    client = client_for(RecordedApi())
    assert client.get("/health", headers={"Host": "127.0.0.1:7070"}).status_code == 200
    assert client.get("/health", headers={"Host": "localhost"}).status_code == 200
    assert client.get("/health", headers={"Host": "evil.example:7070"}).status_code == 403


def test_every_value_is_escaped_and_scripts_come_only_from_the_package() -> None:
    api = RecordedApi(summaries=[summary("d1", HOSTILE, "FAILED")])
    answer = client_for(api).get("/")
    page = answer.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert HOSTILE not in page
    assert page.count("<script") == 1  # the dashboard's own, from /static
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    live = client_for(api).get("/live/").get_json()
    assert "&lt;script&gt;" in live["html"] and HOSTILE not in live["html"]
    assert live["final"] is False


def test_secrets_are_never_shown() -> None:
    executions = recorded("deploy_rolled_back")
    task = executions[0]["tasks"][0]
    task["inputData"]["http_request"]["headers"] = {"Authorization": "Bearer abc123456"}
    task["outputData"]["note"] = f"the key is {ORKES_SECRET}, the token {TOKEN}"
    api = RecordedApi(executions)
    page = client_for(api).get(f"/executions/{executions[0]['workflowId']}").get_data(as_text=True)
    for secret in ("abc123456", ORKES_SECRET, TOKEN):
        assert secret not in page
    assert "(hidden)" in page


def test_pages_polling_at_once_cost_one_answer_per_cache_period() -> None:
    api = RecordedApi(recorded("rollout_waiting"), summaries=[summary("d1", "svc-a")])
    client = client_for(api, seconds=60.0)
    root = recorded("rollout_waiting")[0]["workflowId"]
    for _ in range(5):  # five open pages, each polling
        assert client.get("/live/").status_code == 200
        assert client.get(f"/live/rollouts/{root}").status_code == 200
    assert api.calls["search"] == 2  # the running ones and the recent ones, once
    assert api.calls["execution"] == len(recorded("rollout_waiting"))  # each execution once


def test_a_rollout_page_shows_its_waves_and_the_waiting_gate(waiting: RecordedApi) -> None:
    root = recorded("rollout_waiting")[0]["workflowId"]
    page = client_for(waiting).get(f"/rollouts/{root}").get_data(as_text=True)
    assert 'data-action="approve"' in page and 'data-action="reject"' in page
    assert "waiting for approval" in page
    assert "the health check failed; rolled back" in page
    assert 'data-live="/live/rollouts/' in page


def test_errors_are_one_line_and_json_under_the_api() -> None:
    client = client_for(RecordedApi())
    assert client.get("/executions/no-such-id").status_code == 404
    missing = client.get("/live/executions/no-such-id")
    assert missing.status_code == 404 and "No such workflow" in missing.get_json()["error"]
    assert client.get("/?status=DONE").status_code == 400
    assert client.get("/executions/..%2Fetc").status_code == 404
    assert client.get("/definitions/..%2Fpyproject").status_code == 404


def test_a_definition_page_is_the_docs_page_with_its_flowchart(tmp_path: Path) -> None:
    api = RecordedApi(definitions=[{"name": "deploy_simple_v1", "version": 8}])
    page = client_for(api).get("/definitions/deploy_simple_v1").get_data(as_text=True)
    assert "<h1>deploy_simple_v1</h1>" in page
    assert 'class="node type-switch' in page  # the flowchart, not a Mermaid block
    assert "```mermaid" not in page and "flowchart TD" not in page
    assert 'href="/definitions/rollback_deployment_v1"' in page
    assert 'href="/definitions/deploy_simple_v1/json"' in page
    body = client_for(api).get("/definitions/deploy_simple_v1/json").get_data(as_text=True)
    assert json.loads(body)["name"] == "deploy_simple_v1"


def test_a_docs_page_shows_raw_html_as_text(tmp_path: Path) -> None:
    (tmp_path / "workflows").mkdir()
    (tmp_path / "docs").mkdir()
    body = {"name": "x_v1", "version": 1, "tasks": []}
    (tmp_path / "workflows" / "x_v1.json").write_text(json.dumps(body))
    (tmp_path / "docs" / "x_v1.md").write_text(
        f"# x_v1\n\n{HOSTILE}\n\n[click](javascript:alert(1)) [next](y_v1.md#tasks)\n"
    )
    config = DashboardConfig(build_dir=tmp_path, token=TOKEN)
    page = create_app(config, RecordedApi).test_client().get("/definitions/x_v1")
    text = page.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and HOSTILE not in text
    assert "javascript:" not in text.replace("[click](javascript:alert(1))", "")
    assert 'href="/definitions/y_v1"' in text


def test_two_registered_versions_are_compared_field_by_field() -> None:
    def version(number: int, uri: str) -> dict[str, Any]:
        task = {"name": "call", "taskReferenceName": "call", "type": "HTTP",
                "inputParameters": {"http_request": {"uri": uri, "method": "GET"}}}  # fmt: skip
        return {"name": "w", "version": number, "tasks": [task], "schemaVersion": 2}

    api = RecordedApi(definitions=[version(1, "http://a/one"), version(2, "http://a/two")])
    page = client_for(api).get("/definitions/w/diff").get_data(as_text=True)
    assert "tasks[call].inputParameters.http_request.uri" in page
    assert "&#34;http://a/one&#34;" in page and "&#34;http://a/two&#34;" in page
    assert "1 difference(s) from version 1 to version 2" in page
    assert client_for(api).get("/definitions/w/diff?from=1&to=9").status_code == 404


@pytest.fixture
def canary_waiting() -> RecordedApi:
    return RecordedApi(recorded("canary_waiting"))


def test_a_canary_page_shows_its_steps_measurements_and_buttons(
    canary_waiting: RecordedApi,
) -> None:
    canary_id = recorded("canary_waiting")[0]["workflowId"]
    page = client_for(canary_waiting).get(f"/executions/{canary_id}").get_data(as_text=True)
    assert '<div id="canary">' in page
    assert page.count('class="reading"') == 12  # 3 analyses, 2 measurements, 2 metrics
    assert page.count("<code>result &lt;= 0.05</code>") == 6
    assert f'data-url="/api/executions/{canary_id}/promote"' in page
    assert f'data-url="/api/executions/{canary_id}/abort"' in page
    assert "50% to the new version" in page and "step 3 (50%) of 4" in page
    summaries = [summary(canary_id, "svc-shop-a", "RUNNING") | {"workflowType": "canary_v1"}]
    listed = client_for(RecordedApi(summaries=summaries)).get("/").get_data(as_text=True)
    assert f'href="/executions/{canary_id}#canary">canary</a>' in listed


def test_promote_and_abort_need_the_token(canary_waiting: RecordedApi) -> None:
    client = client_for(canary_waiting)
    canary_id = recorded("canary_waiting")[0]["workflowId"]
    for action in ("promote", "abort"):
        for headers in ({}, {TOKEN_HEADER: "wrong"}):
            answer = client.post(
                f"/api/executions/{canary_id}/{action}", json={"reason": "r"}, headers=headers
            )
            assert answer.status_code == 403 and "token" in answer.get_json()["error"]
    assert canary_waiting.completed == []
    answer = client.post(
        f"/api/executions/{canary_id}/promote", json={"by": "ann"}, headers={TOKEN_HEADER: TOKEN}
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["message"] == "promoted svc-shop-a 1.0.0 in prod as ann"
    (pause,) = [t for t in recorded("canary_waiting")[0]["tasks"] if t["status"] == "IN_PROGRESS"]
    assert canary_waiting.completed == [
        (canary_id, pause["taskId"], {"promote": True, "by": "ann", "reason": None})
    ]


def test_an_abort_needs_a_reason_and_a_pause_that_waits(canary_waiting: RecordedApi) -> None:
    client = client_for(canary_waiting)
    canary_id = recorded("canary_waiting")[0]["workflowId"]
    url, headers = f"/api/executions/{canary_id}/abort", {TOKEN_HEADER: TOKEN}
    assert client.post(url, json={"reason": "  "}, headers=headers).status_code == 400
    answer = client.post(url, json={"reason": "p99 looks odd", "by": "bo"}, headers=headers)
    assert answer.get_json()["message"] == "aborted svc-shop-a 1.0.0 in prod as bo"
    assert canary_waiting.completed[0][2] == {
        "promote": False,
        "by": "bo",
        "reason": "p99 looks odd",
    }
    again = client.post(url, json={"reason": "twice"}, headers=headers)
    assert again.status_code == 409 and "no canary pause" in again.get_json()["error"]


def test_a_canary_panel_escapes_what_the_server_sends() -> None:
    executions = recorded("canary_failed_analysis")
    failure = executions[0]["output"]["failure"]
    failure["metric"], failure["condition"] = HOSTILE, f"result < 1 {HOSTILE}"
    executions[0]["output"]["reason"] = HOSTILE
    page = client_for(RecordedApi(executions)).get(f"/executions/{executions[0]['workflowId']}")
    text = page.get_data(as_text=True)
    assert HOSTILE not in text
    panel = text[text.index('<section class="canary"') : text.index("</section>")]
    assert panel.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3  # reason, metric, condition
    assert "back on the previous version (aborted at 10%)" in panel

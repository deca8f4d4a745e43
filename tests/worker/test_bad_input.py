"""Every kind of bad request gets a 4xx JSON error naming the problem, never a 500."""

from __future__ import annotations

import http.client
import json

import pytest
from worker_harness import Worker

from worker.app import MAX_BODY_BYTES

VALID = {"scope": "svc-bad-input", "version": "1.0.0", "env": "test"}
JSON = {"Content-Type": "application/json"}
MISSING = object()


def _assert_json_error(reply_status: int, payload: object, status: int) -> dict[str, object]:
    assert reply_status == status
    assert isinstance(payload, dict)
    assert isinstance(payload["error"], str) and payload["error"]
    assert "detail" in payload
    assert "Traceback" not in json.dumps(payload)
    return payload


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "body is not valid JSON"),
        (b"", "body is not valid JSON"),
        (b"\xff\xfe{}", "body is not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, "body is not valid JSON"),
        (b"[1, 2]", "body must be a JSON object"),
        (b'"scope"', "body must be a JSON object"),
        (b"null", "body must be a JSON object"),
    ],
)
def test_body_that_is_not_a_json_object(worker: Worker, body: bytes, error: str) -> None:
    reply = worker.request("POST", "/create_infrastructure", body, JSON)
    assert _assert_json_error(reply.status, reply.json, 400)["error"] == error


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"env": MISSING}, "env", "Field required"),
        ({"scope": 5}, "scope", "valid string"),
        ({"version": 1.0}, "version", "valid string"),
        ({"scope": ""}, "scope", "at least 1 character"),
        ({"deploymentId": ["x"]}, "deploymentId", "valid string"),
        ({"infrastructureId": 7}, "infrastructureId", "valid string"),
    ],
)
def test_missing_or_mistyped_field_is_named(
    worker: Worker, change: dict[str, object], field: str, problem: str
) -> None:
    body = {key: value for key, value in (VALID | change).items() if value is not MISSING}
    reply = worker.request("POST", "/effective_status", json.dumps(body).encode(), JSON)
    payload = _assert_json_error(reply.status, reply.json, 422)
    assert field in str(payload["error"])
    details = payload["detail"]
    assert isinstance(details, list)
    assert details[0]["field"] == field
    assert problem in details[0]["problem"]


def test_unknown_fields_are_accepted(worker: Worker) -> None:
    body = VALID | {"deploymentId": "wf-extra-fields", "requestedBy": {"team": "x"}}
    assert worker.post("create_infrastructure", body).status == 200


def test_unknown_path(worker: Worker) -> None:
    reply = worker.request("POST", "/create_infrastructur", json.dumps(VALID).encode(), JSON)
    payload = _assert_json_error(reply.status, reply.json, 404)
    assert "/create_infrastructur" in str(payload["detail"])


@pytest.mark.parametrize("path", ["/deployments//0", "//health", "/health/", "/metrics/"])
def test_a_doubled_or_trailing_slash_is_no_html_redirect(worker: Worker, path: str) -> None:
    """werkzeug would answer these with a 308 and an HTML page (found by the fuzz test)."""
    reply = worker.get(path)
    assert reply.status != 308 and reply.headers["Content-Type"].startswith(
        ("application/json", "text/plain")  # /metrics answers Prometheus' text format
    ), (reply.status, reply.text)
    if path.startswith("/deployments"):
        _assert_json_error(reply.status, reply.json, 404)
    elif path == "/health/":
        assert reply.status == 200


def test_wrong_method(worker: Worker) -> None:
    reply = worker.get("/create_infrastructure")
    payload = _assert_json_error(reply.status, reply.json, 405)
    assert payload["detail"] == {
        "method": "GET",
        "path": "/create_infrastructure",
        "allowed": ["OPTIONS", "POST"],
    }
    assert reply.headers["Allow"] == "OPTIONS, POST"
    post_to_get = worker.request("POST", "/health")
    _assert_json_error(post_to_get.status, post_to_get.json, 405)


def test_options_answers_json(worker: Worker) -> None:
    # Flask's own answer was an empty text/html body (found by tests/fuzz).
    reply = worker.request("OPTIONS", "/create_infrastructure")
    assert reply.status == 200
    assert reply.json == {"allowed": ["OPTIONS", "POST"]}
    assert reply.headers["Allow"] == "OPTIONS, POST"


def test_oversized_body(worker: Worker) -> None:
    body = json.dumps(VALID | {"padding": "x" * MAX_BODY_BYTES}).encode()
    reply = worker.request("POST", "/create_infrastructure", body, JSON)
    payload = _assert_json_error(reply.status, reply.json, 413)
    assert payload["detail"] == {"limitBytes": MAX_BODY_BYTES}


def _post_chunked(worker: Worker, step: str, body: bytes) -> tuple[int, object]:
    """POST with Transfer-Encoding: chunked, so without Content-Length: the body is then read
    through Flask rather than straight from the server's stream."""
    connection = http.client.HTTPConnection("127.0.0.1", worker.port, timeout=15)
    try:
        connection.request("POST", f"/{step}", body=iter([body]), headers=JSON)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_chunked_body_is_read(worker: Worker) -> None:
    body = VALID | {"deploymentId": "wf-chunked"}
    status, payload = _post_chunked(worker, "create_infrastructure", json.dumps(body).encode())
    assert status == 200, payload
    assert isinstance(payload, dict) and payload["deploymentId"] == "wf-chunked"
    status, payload = _post_chunked(worker, "create_infrastructure", b"[1]")
    _assert_json_error(status, payload, 400)


def test_unknown_deployment_is_a_404(worker: Worker) -> None:
    reply = worker.get("/deployments/never-created")
    payload = _assert_json_error(reply.status, reply.json, 404)
    assert "never-created" in str(payload["error"])


def test_no_request_reached_the_internal_error_handler(worker: Worker) -> None:
    # Runs last in this module: everything above must have stayed out of the 500 path.
    log = worker.log_path.read_text()
    assert "Traceback" not in log
    assert '"level": "error"' not in log

"""The Conductor server, through the official SDK: the only module that imports
`conductor.client` (an edge; imported lazily, so `build` never pays for the SDK).

Bodies go out and come back as plain JSON (dicts), not as the SDK's models: those models know a
fixed set of fields and would drop the unknown ones a definition carries through.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from typing import Any

from deploy_dsl.client.settings import Connection
from deploy_dsl.errors import DeployDslError

__all__ = ["ConductorApi", "ServerError", "ServerUnreachable"]

# (connect, read) seconds: an unreachable server must fail in seconds, not minutes.
REQUEST_TIMEOUT = (4.0, 30.0)


class ServerError(DeployDslError):
    """The server answered with an error; `message` is the server's own."""

    def __init__(self, url: str, status: int | None, message: str) -> None:
        super().__init__(f"{url}: {status or 'error'}: {message}")
        self.url = url
        self.status = status
        self.message = message


class ServerUnreachable(DeployDslError):
    """Nothing answered at the server URL."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach Conductor at {url}: {reason}")
        self.url = url


class ConductorApi:
    """The few calls deploy-dsl makes, each one HTTP request, JSON in and out."""

    def __init__(self, connection: Connection) -> None:
        from conductor.client.configuration.configuration import Configuration
        from conductor.client.configuration.settings.authentication_settings import (
            AuthenticationSettings,
        )
        from conductor.client.http.api.metadata_resource_api import MetadataResourceApi
        from conductor.client.http.api_client import ApiClient

        # The SDK logs failed calls with tracebacks; the CLI reports them itself, in one line.
        logging.getLogger("conductor").setLevel(logging.CRITICAL)
        auth = None
        if connection.key_id and connection.key_secret:
            auth = AuthenticationSettings(
                key_id=connection.key_id, key_secret=connection.key_secret
            )
        self.url = connection.server_url
        self.requests = 0
        configuration = Configuration(server_api_url=self.url, authentication_settings=auth)
        self._client = self._call(lambda: ApiClient(configuration), "token", count=auth is not None)
        self._metadata = MetadataResourceApi(self._client)

    def _call(self, request: Any, what: str, *, count: bool = True) -> Any:
        from conductor.client.http.rest import ApiException

        if count:
            self.requests += 1
        try:
            return request()
        except ApiException as error:
            status = getattr(error, "status", None)
            if status is None or status == 0:
                reason = (
                    str(getattr(error, "reason", "") or "") or "connection refused or timed out"
                )
                raise ServerUnreachable(self.url, reason) from None
            raise ServerError(f"{self.url}/{what}", status, _server_message(error)) from None
        except OSError as error:
            raise ServerUnreachable(self.url, _reason(error)) from None
        except Exception as error:  # httpx's transport errors are not OSErrors
            if type(error).__module__.startswith("httpx"):
                raise ServerUnreachable(self.url, _reason(error)) from None
            raise

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: list[tuple[str, Any]] | None = None,
        response_type: str | None = "object",
        timeout: tuple[float, float] = REQUEST_TIMEOUT,
    ) -> Any:
        """One call through the SDK's ApiClient (its auth and token refresh), answered as
        plain JSON: the typed resource methods would parse into lossy models."""
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        return self._call(
            lambda: self._client.call_api(
                path,
                method,
                {},
                query or [],
                headers,
                body=body,
                response_type=response_type,
                auth_settings=[],
                _return_http_data_only=True,
                _request_timeout=timeout,
            ),
            path.lstrip("/"),
        )

    # -- metadata ----------------------------------------------------------------------------

    def workflow_defs(self) -> list[dict[str, Any]]:
        """Every registered version of every workflow, in one request.

        Conductor 3.32.3: MetadataResource.getAll -> MetadataServiceImpl.getWorkflowDefs ->
        MetadataDAO.getAllWorkflowDefs, which is `SELECT json_data FROM meta_workflow_def ORDER
        BY name, version` in the SQLite, PostgreSQL and MySQL DAOs (and every version of every
        name in the Redis one); measured: v1 and v2 of one name both come back. Only
        /metadata/workflow/latest-versions narrows it to the latest.
        """
        return list(self._request("GET", "/metadata/workflow") or [])

    def workflow_def(self, name: str, version: int) -> dict[str, Any] | None:
        """One workflow version, or None if the server does not hold it."""
        try:
            found: dict[str, Any] = self._request(
                "GET", f"/metadata/workflow/{_quoted(name)}", query=[("version", version)]
            )
        except ServerError as error:
            # 3.32.3 answers a missing definition with 404 (NotFoundException).
            if error.status == 404:
                return None
            raise
        return found

    def task_defs(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "/metadata/taskdefs") or [])

    def put_workflows(self, definitions: list[dict[str, Any]]) -> dict[str, Any]:
        """Bulk upsert (PUT /metadata/workflow with a list): one request for all."""
        result = self._call(
            lambda: self._metadata.update1(definitions, _request_timeout=REQUEST_TIMEOUT),
            "metadata/workflow",
        )
        return result if isinstance(result, dict) else {}

    def post_taskdefs(self, definitions: list[dict[str, Any]]) -> None:
        """Create or update task definitions (POST /metadata/taskdefs with a list)."""
        self._call(
            lambda: self._metadata.register_task_def(definitions, _request_timeout=REQUEST_TIMEOUT),
            "metadata/taskdefs",
        )

    def delete_workflow_def(self, name: str, version: int) -> None:
        self._request("DELETE", f"/metadata/workflow/{_quoted(name)}/{version}", response_type=None)

    def delete_taskdef(self, name: str) -> None:
        self._request("DELETE", f"/metadata/taskdefs/{_quoted(name)}", response_type=None)

    # -- executions --------------------------------------------------------------------------

    def start(self, name: str, version: int, inputs: dict[str, Any]) -> str:
        body = {"name": name, "version": version, "input": inputs}
        workflow_id = self._request("POST", "/workflow", body=body, response_type="str")
        return str(workflow_id).strip().strip('"')

    def execution(self, workflow_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._request(
            "GET", f"/workflow/{workflow_id}", query=[("includeTasks", "true")]
        )
        return found

    def terminate(self, workflow_id: str, reason: str | None) -> None:
        """DELETE /workflow/{id}: the execution ends TERMINATED (the server refuses one that
        has already ended)."""
        query = [("reason", reason)] if reason else []
        self._request(
            "DELETE", f"/workflow/{_quoted(workflow_id)}", query=query, response_type=None
        )

    def test_workflow(self, request: dict[str, Any], *, read_timeout: float) -> dict[str, Any]:
        """POST /workflow/test (WorkflowTestService): runs the request's inline workflowDef
        with mocked task outputs and answers the execution as it last saw it."""
        found: dict[str, Any] = self._request(
            "POST", "/workflow/test", body=request, timeout=(REQUEST_TIMEOUT[0], read_timeout)
        )
        return found

    def correlated(self, name: str, correlation_id: str) -> list[dict[str, Any]]:
        """The executions of workflow `name` with this correlation id, finished ones too,
        without their tasks."""
        path = f"/workflow/{_quoted(name)}/correlated/{_quoted(correlation_id)}"
        query = [("includeClosed", "true"), ("includeTasks", "false")]
        return list(self._request("GET", path, query=query) or [])

    def decide(self, workflow_id: str) -> None:
        """PUT /workflow/decide/{id}: the server evaluates the execution now, as its sweeper
        would later."""
        self._request("PUT", f"/workflow/decide/{_quoted(workflow_id)}", response_type=None)

    def retry(self, workflow_id: str) -> None:
        """POST /workflow/{id}/retry: the last failed task runs again, the execution RUNNING."""
        self._request("POST", f"/workflow/{_quoted(workflow_id)}/retry", response_type=None)

    def complete_task(self, workflow_id: str, task_id: str, output: dict[str, Any]) -> None:
        """POST /tasks with a TaskResult: the task COMPLETED with `output` as its outputData.

        How a WAIT with no duration left is ended from outside (TaskResource.updateTask ->
        WorkflowExecutorOps.updateTask, which then decides the workflow at once; measured on
        3.32.3: the task after the WAIT is scheduled within the same request). An update of a
        task that has already ended is ignored, so callers read the task back.
        """
        body = {
            "workflowInstanceId": workflow_id,
            "taskId": task_id,
            "status": "COMPLETED",
            "outputData": output,
        }
        self._request("POST", "/tasks", body=body, response_type="str")


def _quoted(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _server_message(error: Any) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body:
        try:
            data = json.loads(body)
        except ValueError:
            return body.strip()
        if isinstance(data, dict):
            details = data.get("validationErrors") or []
            parts = [str(data.get("message") or "")]
            parts += [f"{d.get('path', '')}: {d.get('message', '')}" for d in details]
            return "; ".join(p for p in parts if p)
    return str(getattr(error, "reason", None) or error)

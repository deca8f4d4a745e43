"""The Conductor server, through the official SDK: the only module that imports
`conductor.client` (an edge; imported lazily, so `build` never pays for the SDK).

Bodies go out and come back as plain JSON (dicts), not as the SDK's models: those models know a
fixed set of fields and would drop the unknown ones a definition carries through.

With a key and secret (Orkes), the first token is minted here, before the SDK's client is built:
conductor-python 2.0.0 swallows a refused `POST /token` (ApiClient.__get_new_token logs it and
returns None) and then sends every request without `X-Authorization`, so a wrong secret would
surface as some later, unrelated 401, 403 or 500. Later renewals (a 401/403 whose `error` is
EXPIRED_TOKEN or INVALID_TOKEN) are the SDK's own.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from deploy_dsl.client.credentials import hold, hold_current
from deploy_dsl.client.settings import Connection
from deploy_dsl.errors import DeployDslError

__all__ = [
    "AuthenticationFailed",
    "ConductorApi",
    "ServerError",
    "ServerUnreachable",
    "TaskHandlerFunction",
    "polling_workers",
]

_SDK_LOGGERS = ("conductor.client.http.api_client", "conductor.client.http.rest")
# (connect, read) seconds: an unreachable server must fail in seconds, not minutes.
REQUEST_TIMEOUT = (4.0, 30.0)


class ServerError(DeployDslError):
    """The server answered with an error; `message` is the server's own."""

    def __init__(self, url: str, status: int | None, message: str) -> None:
        super().__init__(f"{url}: {status or 'error'}: {message}")
        self.url = url
        self.status = status
        self.message = message


class AuthenticationFailed(ServerError):
    """The server refused the credentials or wants some (401), or refused the call (403).

    The message never holds the secret: only the server's answer, which the caller's own
    secret is not part of."""

    def __init__(self, url: str, status: int | None, message: str, *, credentials: bool) -> None:
        super().__init__(url, status, message)
        if not credentials:
            what, hint = "authentication required", "set ORKES_BASE_URL, ORKES_KEY and ORKES_SECRET"
        elif status == 403:
            what, hint = "permission denied", "the key ORKES_KEY may not do this"
        else:
            what, hint = "authentication failed", "check ORKES_KEY and ORKES_SECRET"
        self.args = (f"{what}: {url}: {status}: {message or 'refused'}; {hint}",)


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
        # Its HTTP client logs under "[<pid>] conductor.client..." (Configuration.
        # get_logging_formatted_name), outside that tree: a failed token renewal would print.
        for name in list(logging.root.manager.loggerDict):
            if name.endswith(_SDK_LOGGERS):
                logging.getLogger(name).setLevel(logging.CRITICAL)
        auth = None
        if connection.key_id and connection.key_secret:
            auth = AuthenticationSettings(
                key_id=connection.key_id, key_secret=connection.key_secret
            )
        self.url = connection.server_url
        self.requests = 0
        self._credentials = auth is not None
        configuration = Configuration(server_api_url=self.url, authentication_settings=auth)
        if auth is not None:
            # From here on nothing shown can hold them, nor the token the SDK renews.
            hold(auth.key_id, auth.key_secret)
            hold_current(lambda: configuration.AUTH_TOKEN)
        if auth is not None:
            self._first_token(configuration, {"keyId": auth.key_id, "keySecret": auth.key_secret})
        # With the token already on the configuration, ApiClient's constructor mints none.
        self._client = ApiClient(configuration)
        self._metadata = MetadataResourceApi(self._client)

    def _first_token(self, configuration: Any, credentials: dict[str, str]) -> None:
        """POST /token as the SDK sends it (no X-Authorization), but a refusal is an error."""
        from conductor.client.configuration.configuration import Configuration
        from conductor.client.http.api_client import ApiClient

        anonymous = ApiClient(Configuration(server_api_url=self.url))
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        try:
            answer = self._call(
                lambda: anonymous.call_api(
                    "/token",
                    "POST",
                    header_params=headers,
                    body=credentials,
                    response_type="object",
                    auth_settings=[],
                    _return_http_data_only=True,
                    _request_timeout=REQUEST_TIMEOUT,
                ),
                "token",
            )
        except AuthenticationFailed:
            raise
        except ServerError as error:
            if error.status != 404:
                raise
            # Conductor OSS has no /token: the SDK then runs without authentication
            # (ApiClient.__get_new_token on a 404), and so does this.
            configuration.authentication_settings = None
            return
        token = answer.get("token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthenticationFailed(
                f"{self.url}/token", 200, "the answer holds no token", credentials=True
            )
        configuration.update_token(token)

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
            where, message = f"{self.url}/{what}", _server_message(error)
            if status in (401, 403):
                # A 401/403 the SDK could not cure by renewing the token (ApiClient.__call_api).
                raise AuthenticationFailed(
                    where, status, message, credentials=self._credentials
                ) from None
            raise ServerError(where, status, message) from None
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

    # -- schedules and event handlers ----------------------------------------------------------

    def schedules(self) -> list[dict[str, Any]] | None:
        """Every schedule (GET /scheduler/schedules, SchedulerResource.getAllSchedules), or
        None when the server has no scheduler: Conductor OSS answers 404 unless it runs with
        conductor.scheduler.enabled=true."""
        try:
            return list(self._request("GET", "/scheduler/schedules") or [])
        except ServerError as error:
            if error.status == 404:
                return None
            raise

    def save_schedule(self, definition: dict[str, Any]) -> None:
        """POST /scheduler/schedules creates the schedule or replaces the one of that name
        (SchedulerService.createOrUpdateWorkflowSchedule)."""
        self._request("POST", "/scheduler/schedules", body=definition)

    def delete_schedule(self, name: str) -> None:
        self._request("DELETE", f"/scheduler/schedules/{_quoted(name)}", response_type=None)

    def event_handlers(self) -> list[dict[str, Any]]:
        """Every event handler, active or not (GET /event, EventResource.getEventHandlers)."""
        return list(self._request("GET", "/event") or [])

    def save_event_handler(self, definition: dict[str, Any], *, exists: bool) -> None:
        """POST /event adds a handler and refuses a name that exists; PUT /event replaces one
        (MetadataServiceImpl.addEventHandler / updateEventHandler)."""
        method = "PUT" if exists else "POST"
        self._request(method, "/event", body=definition, response_type=None)

    def delete_event_handler(self, name: str) -> None:
        self._request("DELETE", f"/event/{_quoted(name)}", response_type=None)

    # -- executions --------------------------------------------------------------------------

    def start(self, name: str, version: int | None, inputs: dict[str, Any]) -> str:
        """POST /workflow; version None starts the latest registered one."""
        body: dict[str, Any] = {"name": name, "input": inputs}
        if version is not None:
            body["version"] = version
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

    def search(
        self,
        query: str,
        *,
        free_text: str = "*",
        size: int = 50,
        start: int = 0,
        sort: str = "startTime:DESC",
    ) -> dict[str, Any]:
        """GET /workflow/search: summaries (`totalHits`, `results`) of the executions that
        match, newest first by default, without their tasks; `input` and `output` are the
        server's text of them.

        Conductor 3.32.3 with SQLite (PostgreSQL likewise): SqliteIndexQueryBuilder reads
        `query` as conditions joined by AND (`workflowType IN (a,b)`, `status IN (...)`,
        `correlationId=...`, `startTime>ms`, `parentWorkflowId=""`) and `freeText` as a LIKE
        over the indexed summary (its input and output).
        """
        params = [
            ("start", start),
            ("size", size),
            ("sort", sort),
            ("freeText", free_text or "*"),
        ]
        if query:
            params.append(("query", query))
        found = self._request("GET", "/workflow/search", query=params)
        return found if isinstance(found, dict) else {}

    def decide(self, workflow_id: str) -> None:
        """PUT /workflow/decide/{id}: the server evaluates the execution now, as its sweeper
        would later."""
        self._request("PUT", f"/workflow/decide/{_quoted(workflow_id)}", response_type=None)

    def retry(self, workflow_id: str) -> None:
        """POST /workflow/{id}/retry: the last failed task runs again, the execution RUNNING."""
        self._request("POST", f"/workflow/{_quoted(workflow_id)}/retry", response_type=None)

    def pause(self, workflow_id: str) -> None:
        """PUT /workflow/{id}/pause: no new task is scheduled until it is resumed (tasks
        already running finish)."""
        self._request("PUT", f"/workflow/{_quoted(workflow_id)}/pause", response_type=None)

    def resume(self, workflow_id: str) -> None:
        self._request("PUT", f"/workflow/{_quoted(workflow_id)}/resume", response_type=None)

    def restart(self, workflow_id: str, *, latest_definition: bool) -> None:
        """POST /workflow/{id}/restart: a finished execution runs again from its start, under
        the same id (WorkflowExecutorOps.restart)."""
        query = [("useLatestDefinitions", "true" if latest_definition else "false")]
        path = f"/workflow/{_quoted(workflow_id)}/restart"
        self._request("POST", path, query=query, response_type=None)

    def rerun(self, workflow_id: str, from_task_id: str | None) -> str:
        """POST /workflow/{id}/rerun (RerunWorkflowRequest): from the start, or from one task,
        under the same id; answers that id."""
        body: dict[str, Any] = {"reRunFromWorkflowId": workflow_id}
        if from_task_id is not None:
            body["reRunFromTaskId"] = from_task_id
        path = f"/workflow/{_quoted(workflow_id)}/rerun"
        answer = self._request("POST", path, body=body, response_type="str")
        return str(answer).strip().strip('"')

    def running(self, name: str, version: int) -> list[str]:
        """The ids of the running executions of one workflow version
        (GET /workflow/running/{name}, WorkflowResource.getRunningWorkflow)."""
        path = f"/workflow/running/{_quoted(name)}"
        return [str(i) for i in self._request("GET", path, query=[("version", version)]) or []]

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


# A worker's handler: the task's input in, its output out (raise to fail the attempt).
TaskHandlerFunction = Callable[[dict[str, Any]], dict[str, Any]]


@contextmanager
def polling_workers(
    connection: Connection, handlers: Mapping[str, TaskHandlerFunction], *, poll_seconds: float
) -> Iterator[None]:
    """conductor-python's task runner polling for each task name, answering with its handler,
    until the block ends.

    Each TaskRunner runs on a thread of this process, stopped (`TaskRunner.stop`) and joined
    when the block ends. TaskHandler is not used: it runs workers as spawned processes (it sets
    the `spawn` start method for the whole interpreter), which cannot receive a handler that
    closes over its task's contract, and in its thread mode its runners cannot be stopped. An
    exception in a handler fails the attempt with its message; the TaskDef's retries follow.
    """
    from conductor.client.automator.task_runner import TaskRunner
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.configuration.settings.authentication_settings import (
        AuthenticationSettings,
    )
    from conductor.client.http.models.task import Task
    from conductor.client.worker.worker import Worker

    def execute(handler: TaskHandlerFunction) -> Callable[[Task], dict[str, Any]]:
        def run(task: Task) -> dict[str, Any]:
            return handler(dict(task.input_data or {}))

        # Worker passes the whole task to a function whose parameter is annotated Task (the
        # class): this module's annotations are strings (`from __future__ import annotations`).
        run.__annotations__["task"] = Task
        return run

    auth = None
    if connection.key_id and connection.key_secret:
        auth = AuthenticationSettings(key_id=connection.key_id, key_secret=connection.key_secret)
    configuration = Configuration(
        server_api_url=connection.server_url, authentication_settings=auth
    )
    runners = [
        TaskRunner(Worker(name, execute(handler), poll_interval=poll_seconds * 1000), configuration)
        for name, handler in handlers.items()
    ]
    threads = [
        threading.Thread(target=runner.run, name=f"worker {name}", daemon=True)
        for name, runner in zip(handlers, runners, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        for runner in runners:
            runner.stop()
        for thread in threads:
            thread.join(timeout=10)

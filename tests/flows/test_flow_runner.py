"""The flow runner on the real server: a run that reaches a task no mock answers stops at once
naming it, and no HTTP task of a flow test ever reaches the URL it names."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from definitions.deploy_failed import deploy_failed_v1
from definitions.deploy_simple import deploy_simple_v1, swap_traffic
from definitions.finalize_deployment import finalize_deployment_v1
from definitions.pipeline_simple import pipeline_simple_v1
from deploy_dsl.client.api import ConductorApi, ServerError
from deploy_dsl.client.timeline import TERMINAL_STATUSES
from deploy_dsl.dsl import Http, Workflow
from deploy_dsl.task import CompileOptions
from deploy_dsl.testing import Flow, FlowRunner, FlowTestError, MissingMock, fails, find_task
from tests.flows.deployments import FINALIZE, Deployment, pipeline_input, wave_mocks

SERVICE = Deployment("svc-a")


def assert_nothing_left_running(api: ConductorApi, workflow_id: str | None) -> None:
    assert workflow_id is not None
    execution = api.execution(workflow_id)
    assert execution["status"] == "TERMINATED"
    for task in execution["tasks"]:
        if task.get("subWorkflowId"):
            child = api.execution(task["subWorkflowId"])
            assert child["status"] in TERMINAL_STATUSES, child["workflowName"]


@pytest.fixture(scope="module")
def api(flow: Flow) -> ConductorApi:
    return ConductorApi(flow.runner.connection)


@pytest.fixture(scope="module")
def flow(flow_runner: FlowRunner) -> Flow:
    return Flow(flow_runner, [])


def test_an_unmocked_task_of_the_workflow_stops_the_run_naming_it(
    flow: Flow, api: ConductorApi
) -> None:
    mocks = SERVICE.deploy_mocks("success")
    del mocks[swap_traffic]

    with pytest.raises(MissingMock) as error:
        flow.run(deploy_simple_v1, SERVICE.input, mocks)

    assert str(error.value) == (
        "no mock for deploy_simple_v1 > swap_traffic "
        "(HTTP task 'swap_traffic', attempt 1: no mock given)"
    )
    assert_nothing_left_running(api, error.value.workflow_id)


def test_an_unmocked_task_of_a_sub_workflow_stops_the_run_naming_it(
    flow: Flow, api: ConductorApi
) -> None:
    notify = find_task(finalize_deployment_v1, "notify_success")
    mocks = SERVICE.deploy_mocks("success")
    del mocks[FINALIZE][notify]

    with pytest.raises(
        MissingMock, match=r"no mock for deploy_simple_v1 > finalize > notify_success"
    ):
        flow.run(deploy_simple_v1, SERVICE.input, mocks)


def test_an_unmocked_forked_deploy_stops_the_run_naming_it(flow: Flow, api: ConductorApi) -> None:
    waves = [[Deployment("svc-a"), Deployment("svc-b")]]
    mocks = wave_mocks([[Deployment("svc-a")]])  # the second deploy has no mocks

    with pytest.raises(MissingMock) as error:
        flow.run(pipeline_simple_v1, pipeline_input(waves, halt=True), mocks)

    assert "no mock for pipeline_simple_v1 > _deploy_wave_1__1 > create_infrastructure" in str(
        error.value
    )
    assert_nothing_left_running(api, error.value.workflow_id)


def test_a_retry_beyond_the_mocks_given_stops_the_run(flow: Flow) -> None:
    mocks = SERVICE.deploy_mocks("success")
    mocks[swap_traffic] = fails()

    with pytest.raises(MissingMock, match=r"swap_traffic .*attempt 2: its mocks answer 1 attempt"):
        flow.run(deploy_simple_v1, SERVICE.input, mocks)


def test_an_unmocked_failure_workflow_stops_naming_its_first_task(
    flow: Flow, api: ConductorApi
) -> None:
    mocks = SERVICE.deploy_mocks("success")
    mocks[swap_traffic] = [fails()] * (flow.runner.taskdefs["swap_traffic"]["retryCount"] + 1)

    with pytest.raises(MissingMock) as error:
        flow.run(deploy_simple_v1, SERVICE.input, mocks)

    message = str(error.value)
    assert message.startswith(
        "no mock for deploy_simple_v1 > failure workflow > deployment_status"
    ), message
    assert "the server started deploy_failed_v1 when deploy_simple_v1 ended FAILED" in message
    # The server's own run of it, waiting for a mock, is stopped.
    assert api.execution(str(error.value.workflow_id))["status"] == "TERMINATED"


def test_an_input_the_workflow_refuses_is_an_error_before_the_run(flow: Flow) -> None:
    with pytest.raises(FlowTestError, match=r"input of deploy_simple_v1: scope: Field required"):
        flow.run(deploy_simple_v1, {"version": "1", "env": "dev"}, {})


class Recorder(http.server.BaseHTTPRequestHandler):
    """Stands in for the worker: records every call it gets and answers 200."""

    calls: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        Recorder.calls.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    Recorder.calls = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_no_http_task_of_a_flow_test_reaches_its_url(flow: Flow, recorder: str) -> None:
    runner = FlowRunner(
        flow.runner.connection,
        flow.runner.taskdefs,
        compile_options=CompileOptions(worker_base_url=recorder),
    )
    waves = [[Deployment("svc-a"), Deployment("bad-b")], [Deployment("svc-c")]]
    deploy = runner.run(deploy_simple_v1, SERVICE.input, SERVICE.deploy_mocks("success"))
    pipeline = runner.run(
        pipeline_simple_v1,
        pipeline_input(waves, halt=False),
        wave_mocks(waves, frozenset({"bad-b"})),
    )
    failing = SERVICE.deploy_mocks("success")
    failing[swap_traffic] = [fails()] * (runner.taskdefs["swap_traffic"]["retryCount"] + 1)
    failing[deploy_failed_v1] = SERVICE.failure_mocks(traffic_moved=True)
    failed = runner.run(deploy_simple_v1, SERVICE.input, failing)
    assert deploy.status == pipeline.status == "COMPLETED"
    assert failed.status == "FAILED" and failed.failure is not None
    assert failed.failure.status == "COMPLETED"
    assert deploy.last(swap_traffic).input["http_request"]["uri"] == f"{recorder}/swap_traffic"
    time.sleep(1.0)  # the server's HTTP workers poll every 50 ms
    assert Recorder.calls == []


def test_the_same_http_task_unisolated_does_reach_its_url(flow: Flow, recorder: str) -> None:
    """The control for the test above: the recorder is reachable from the server, and what keeps
    flow tests' HTTP tasks away from it is the isolation."""
    step = Http("ping", uri=f"{recorder}/ping", method="POST", body={})
    workflow = Workflow("flowtest_control", version=1, tasks=[step], owner_email=None)
    definition = workflow.compile().definition.model_dump(by_alias=True, exclude_none=True)
    api = ConductorApi(flow.runner.connection)
    request = {
        "name": workflow.name,
        "version": 1,
        "correlationId": f"flowtest-{uuid.uuid4()}",
        "workflowDef": definition,
        "input": {},
        "taskRefToMockOutput": {},
    }
    started = api.test_workflow(request, read_timeout=30)
    try:
        deadline = time.monotonic() + 30
        while not Recorder.calls and time.monotonic() < deadline:
            time.sleep(0.1)
        execution = api.execution(started["workflowId"])
        assert set(Recorder.calls) == {"/ping"}, [
            (t["referenceTaskName"], t["status"], t.get("reasonForIncompletion"))
            for t in execution["tasks"]
        ]
    finally:
        # It may complete meanwhile: the server refuses to terminate it then (409).
        with contextlib.suppress(ServerError):
            api.terminate(started["workflowId"], "flowtest control")

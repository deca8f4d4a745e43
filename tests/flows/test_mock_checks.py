"""What a flow test refuses before anything is sent (no server): mocks that do not fit their
task, and workflows it cannot keep from reaching real systems; and the request it sends."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from definitions.deploy_failed import deploy_failed_v1
from definitions.deploy_simple import (
    create_infrastructure,
    decide_outcome,
    deploy_simple_v1,
    swap_traffic,
    wait_infrastructure_created,
)
from definitions.finalize_deployment import finalize_deployment_v1
from definitions.pipeline_simple import deploy_wave, pipeline_simple_v1, summarize_wave
from deploy_dsl.dsl import AnyWorkflow, Event, GenericTask, Simple, SubWorkflow, Workflow
from deploy_dsl.testing import (
    FlowTestError,
    MockError,
    at_iteration,
    completes,
    fails,
    find_task,
    in_progress,
    responds,
    times_out,
)
from deploy_dsl.testing.isolation import ISOLATION_GROUP, SCRATCH_OWNER, Isolator
from deploy_dsl.testing.plan import KEEPALIVE, TaskDefs, mock_request, plan, project_taskdefs
from deploy_dsl.testing.references import TaskIndex
from deploy_dsl.workspace.loader import load_project
from tests.flows.deployments import FINALIZE, Deployment

TASKDEFS: TaskDefs = project_taskdefs(load_project("definitions"))
SERVICE = Deployment("svc-a")


def refused(mocks: dict[Any, Any], workflow: AnyWorkflow = deploy_simple_v1) -> str:
    with pytest.raises(MockError) as error:
        plan(workflow, mocks, TASKDEFS)
    return str(error.value)


# --- answers against the step's model --------------------------------------------------------


def test_a_misspelt_field_in_an_answer_is_an_error_naming_it() -> None:
    body = {**SERVICE.created().model_dump(), "infrastructureID": "i-1"}
    del body["infrastructureId"]

    message = refused({create_infrastructure: responds(body)})

    assert "deploy_simple_v1 > create_infrastructure, mock 1 of 1" in message
    assert "not a CreateInfrastructureAnswer" in message
    assert "response.body.infrastructureID: Extra inputs are not permitted" in message
    assert "response.body.infrastructureId: Field required" in message
    assert "test_mock_checks.py:" in message  # where the mock was written


def test_a_value_of_the_wrong_type_is_an_error_even_if_it_would_coerce() -> None:
    body = {**SERVICE.created().model_dump(), "created": "yes"}

    message = refused({create_infrastructure: responds(body)})

    assert "response.body.created: Input should be a valid boolean" in message


def test_an_answer_of_another_step_is_an_error() -> None:
    message = refused({swap_traffic: responds(SERVICE.created())})

    assert "the body is a CreateInfrastructureAnswer, not a TrafficSwappedAnswer" in message


def test_an_off_contract_answer_is_sent_unchecked() -> None:
    level = plan(
        deploy_simple_v1, {swap_traffic: responds({"whatever": 1}, off_contract=True)}, TASKDEFS
    )

    (mock,) = level.mocks[swap_traffic.ref]
    assert mock["output"]["response"]["body"] == {"whatever": 1}


def test_failures_and_polls_are_not_checked_against_the_answer_model() -> None:
    level = plan(
        deploy_simple_v1,
        {wait_infrastructure_created: [in_progress(body=SERVICE.not_ready()), fails()]},
        TASKDEFS,
    )

    polled, failed = level.mocks[wait_infrastructure_created.ref]
    assert polled["status"] == "IN_PROGRESS"
    assert polled["output"]["response"]["statusCode"] == 503
    assert failed == {
        "status": "FAILED",
        "output": {
            "response": {
                "statusCode": 500,
                "reasonPhrase": "Internal Server Error",
                "headers": {},
                "body": {"error": "mocked failure"},
            }
        },
    }


# --- keys ------------------------------------------------------------------------------------


def test_mocks_are_keyed_by_task_objects_not_names() -> None:
    message = refused({"swap_traffic": responds(SERVICE.swapped())})

    assert "keyed by the definition's task objects, got 'swap_traffic'" in message


def test_a_task_of_a_sub_workflow_is_mocked_under_its_sub_workflow_task() -> None:
    cleanup = find_task(finalize_deployment_v1, "cleanup_old_resources")

    message = refused({cleanup: responds(SERVICE.follow_up(cleanup.name))})

    assert "task 'cleanup_old_resources' is not a task of deploy_simple_v1" in message
    assert "it is in finalize_deployment_v1: mock it among the mocks of SubWorkflow 'finalize'" in (
        message
    )


def test_a_task_the_engine_runs_cannot_be_mocked() -> None:
    message = refused({decide_outcome: responds({})})

    assert "a SWITCH task runs on the engine and cannot be mocked" in message


def test_a_task_in_a_loop_is_keyed_by_its_iteration() -> None:
    assert "key its mocks by at_iteration(deploy_wave, n)" in refused(
        {deploy_wave: [SERVICE.deploy_mocks()]}, pipeline_simple_v1
    )
    assert "the task is in no DO_WHILE" in refused(
        {at_iteration(swap_traffic, 1): responds(SERVICE.swapped())}
    )


def test_a_sub_workflow_takes_a_mapping_and_a_fork_a_list_of_them() -> None:
    assert "a sub-workflow or failure workflow is mocked by a mapping" in refused(
        {FINALIZE: [responds({})]}
    )
    assert "one mapping of mocks per forked item" in refused(
        {at_iteration(deploy_wave, 1): SERVICE.deploy_mocks()}, pipeline_simple_v1
    )


def test_an_http_task_takes_http_answers_and_other_tasks_their_output() -> None:
    worker = Simple("ask_a_person")
    workflow = Workflow("ft_simple", version=1, tasks=[worker], owner_email=None)

    assert "is an HTTP task: answer it with responds(body)" in refused(
        {create_infrastructure: completes({"x": 1})}
    )
    assert "is a SIMPLE task, not HTTP" in refused({worker: responds({"x": 1})}, workflow)
    level = plan(workflow, {worker: [fails(output={"why": "no"}), completes({"ok": True})]}, {})
    assert level.mocks[worker.ref] == [
        {"status": "FAILED", "output": {"why": "no"}},
        {"status": "COMPLETED", "output": {"ok": True}},
    ]


# --- sequences -------------------------------------------------------------------------------


def test_a_list_ending_in_progress_could_never_finish() -> None:
    message = refused({wait_infrastructure_created: in_progress(body=SERVICE.not_ready())})

    assert "leaves the task in progress and the run could never finish" in message


def test_mocks_after_a_success_would_never_be_used() -> None:
    message = refused({swap_traffic: [responds(SERVICE.swapped()), fails()]})

    assert "mock 1 (COMPLETED, written at" in message
    assert "ends the task for good (COMPLETED); the 1 after it would never be used" in message


def test_more_attempts_than_the_taskdef_allows_is_an_error() -> None:
    retries = TASKDEFS[swap_traffic.name]["retryCount"]

    message = refused({swap_traffic: [fails()] * (retries + 2)})

    assert f"{retries + 2} attempts mocked, but the TaskDef allows {retries + 1}" in message


def test_a_slow_answer_past_the_timeout_must_be_written_as_a_timeout() -> None:
    timeout = TASKDEFS[swap_traffic.name]["timeoutSeconds"]

    message = refused({swap_traffic: responds(SERVICE.swapped(), elapsed=timeout)})

    assert f"past the TaskDef's timeoutSeconds ({timeout}): the engine would time it out" in (
        message
    )


def test_a_timeout_and_a_slow_poll_are_back_dated_attempts() -> None:
    timeout = TASKDEFS[wait_infrastructure_created.name]["timeoutSeconds"]
    level = plan(
        deploy_simple_v1,
        {wait_infrastructure_created: [in_progress(elapsed=5), times_out()]},
        TASKDEFS,
    )

    statuses = [
        (m["status"], m.get("executionTime")) for m in level.mocks["wait_infrastructure_created"]
    ]
    # A plain poll first: a back-dated first update is response-timed out at once.
    assert statuses == [
        ("IN_PROGRESS", None),
        ("IN_PROGRESS", 5000),
        ("IN_PROGRESS", (timeout + 1) * 1000),
    ]
    assert level.attempts["wait_infrastructure_created"] == 1


# --- the request -----------------------------------------------------------------------------


def test_every_level_of_the_request_has_the_keep_alive_key() -> None:
    waves = {at_iteration(deploy_wave, 1): [SERVICE.deploy_mocks(), SERVICE.deploy_mocks()]}

    request = mock_request(plan(pipeline_simple_v1, waves, TASKDEFS))

    assert list(request["taskRefToMockOutput"]) == [KEEPALIVE]
    children = request["subWorkflowTestRequest"]
    # Each forked deploy under both names the engine may give it (ForkJoinDynamicTaskMapper).
    assert sorted(children) == [
        "_deploy_wave_0__1",
        "_deploy_wave_1__1",
        "_deploy_wave_deploy_wave_0__1",
        "_deploy_wave_deploy_wave_1__1",
    ]
    deploy = children["_deploy_wave_0__1"]
    assert KEEPALIVE in deploy["taskRefToMockOutput"]
    assert KEEPALIVE in deploy["subWorkflowTestRequest"][FINALIZE.ref]["taskRefToMockOutput"]


def test_runtime_references_lead_back_to_the_definition() -> None:
    index = TaskIndex.of(pipeline_simple_v1)

    assert index.resolve("summarize_wave__3") is not None
    placed = index.resolve("summarize_wave__3")
    assert placed is not None and placed.task is summarize_wave and placed.iteration == 3
    child = index.resolve("_deploy_wave_deploy_wave_4__2")
    assert child is not None and child.task is deploy_wave
    assert (child.iteration, child.fork_index) == (2, 4)
    assert index.resolve("nothing_like_it") is None


# --- isolation -------------------------------------------------------------------------------


def test_http_tasks_get_a_taskdef_in_a_group_no_worker_polls() -> None:
    isolated = Isolator(TASKDEFS).isolate(deploy_simple_v1)

    (swap,) = [t for t in isolated.definition["tasks"] if t["taskReferenceName"] == "swap_traffic"]
    assert swap["type"] == "HTTP"
    assert swap["taskDefinition"] == {
        **TASKDEFS["swap_traffic"],
        "isolationGroupId": ISOLATION_GROUP,
    }
    (switch,) = [t for t in isolated.definition["tasks"] if t["type"] == "SWITCH"]
    finalize = switch["decisionCases"]["success"][0]
    inline = finalize["subWorkflowParam"]["workflowDefinition"]
    assert inline["name"] == "finalize_deployment_v1"
    assert all(t["taskDefinition"]["isolationGroupId"] == ISOLATION_GROUP for t in inline["tasks"])


def test_the_failure_workflow_is_registered_isolated_under_a_scratch_name() -> None:
    isolated = Isolator(TASKDEFS).isolate(deploy_simple_v1)

    (name,) = isolated.scratch
    assert name.startswith(f"flowtest.{deploy_failed_v1.name}.")
    assert isolated.definition["failureWorkflow"] == name
    assert isolated.definition["failureWorkflowVersion"] == deploy_failed_v1.version
    copy = isolated.scratch[name]
    assert copy["ownerEmail"] == SCRATCH_OWNER
    http = [t for t in copy["tasks"] if t["type"] == "HTTP"]
    assert http and all(t["taskDefinition"]["isolationGroupId"] == ISOLATION_GROUP for t in http)


def test_a_forked_workflow_is_registered_under_a_scratch_name_only() -> None:
    isolated = Isolator(TASKDEFS).isolate(pipeline_simple_v1)

    (name,) = [n for n in isolated.scratch if n.startswith("flowtest.deploy_simple_v1.")]
    copy = isolated.scratch[name]
    assert copy["name"] == name and copy["version"] == deploy_simple_v1.version
    assert copy["ownerEmail"] == SCRATCH_OWNER  # never counted as the project's
    loop = isolated.definition["tasks"][0]
    (fork,) = [t for t in loop["loopOver"] if t["type"] == "FORK_JOIN_DYNAMIC"]
    assert fork["inputParameters"]["forkTaskWorkflow"] == name


class Anything(BaseModel):
    pass


def test_tasks_that_would_act_outside_the_engine_run_as_a_stand_in_the_mock_completes() -> None:
    event = Event("publish", sink="conductor:deployments", inputs={"scope": "svc-a"})
    workflow = Workflow("ft_event", version=1, tasks=[event], owner_email=None)

    (task,) = Isolator(TASKDEFS).isolate(workflow).definition["tasks"]
    assert (task["type"], task["taskReferenceName"]) == ("HUMAN", "publish")
    assert task["inputParameters"] == {"scope": "svc-a"}


def test_a_task_no_kind_knows_is_refused() -> None:
    custom = GenericTask("ask", task_type="LLM_CHAT_COMPLETE", inputs={"prompt": "hi"})
    workflow = Workflow("ft_custom", version=1, tasks=[custom], owner_email=None)

    with pytest.raises(FlowTestError, match="a LLM_CHAT_COMPLETE task has no kind of this project"):
        Isolator(TASKDEFS).isolate(workflow)


def test_a_sub_workflow_outside_the_project_is_refused() -> None:
    from deploy_dsl.dsl import ExternalWorkflow

    call = SubWorkflow("call", workflow=ExternalWorkflow("theirs", 1), inputs={})
    workflow = Workflow("ft_external", version=1, tasks=[call], owner_email=None)

    with pytest.raises(FlowTestError, match="theirs is not defined in this project"):
        Isolator(TASKDEFS).isolate(workflow)

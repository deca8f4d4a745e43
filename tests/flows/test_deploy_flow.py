"""deploy_simple_v1 on the real engine, its steps mocked: each branch of the SWITCH, retries
within and beyond the TaskDef's retry count, provisioning that is slow or never ready."""

from __future__ import annotations

from definitions.deploy_failed import deploy_failed_v1
from definitions.deploy_simple import (
    create_infrastructure,
    decide_outcome,
    deploy_simple_v1,
    effective_status,
    swap_traffic,
    traffic_at_risk,
    wait_infrastructure_created,
)
from definitions.finalize_deployment import finalize_deployment_v1
from definitions.rollback_deployment import rollback_deployment_v1
from definitions.taskdefs import PROVISIONING_WAIT, STEP_TASKDEFS
from deploy_dsl.dsl import TaskDef
from deploy_dsl.testing import Flow, FlowResult, fails, in_progress, responds, times_out
from tests.flows.deployments import (
    COMPENSATE,
    DEPLOYMENT_STATUS,
    FINALIZE,
    FINALIZE_DEPLOYMENT,
    RECORD_FINALIZED,
    RECORD_ROLLED_BACK,
    ROLLBACK,
    ROLLBACK_DEPLOYMENT,
    Deployment,
    refs,
)

SERVICE = Deployment("svc-a")
STEPS_BEFORE_THE_CHECK = (
    create_infrastructure,
    wait_infrastructure_created,
    traffic_at_risk,
    swap_traffic,
    effective_status,
)


def taskdef(name: str) -> TaskDef:
    (found,) = [t for t in (*STEP_TASKDEFS, PROVISIONING_WAIT) if t.name == name]
    return found


def retries_of(name: str) -> int:
    retry = taskdef(name).retry
    assert retry is not None and retry.count is not None, f"TaskDef {name} sets no retry count"
    return retry.count


def assert_follow_up_saw_the_deploy(result: FlowResult, child: FlowResult) -> None:
    """Every step of a finalize or rollback run was told which deploy, and which
    infrastructure, it is about."""
    assert child.status == "COMPLETED", child.reason
    for run in child.tasks:
        assert run.body["deploymentId"] == result.workflow_id, run.ref
        assert run.body["infrastructureId"] == SERVICE.infrastructure_id, run.ref
        assert run.body["scope"] == SERVICE.scope, run.ref


def test_a_healthy_deploy_finalizes_and_finalize_sees_its_ids(flow: Flow) -> None:
    result = flow.run(deploy_simple_v1, SERVICE.input, SERVICE.deploy_mocks("success"))

    assert result.status == "COMPLETED", result.reason
    assert result.refs == refs(
        *STEPS_BEFORE_THE_CHECK, decide_outcome, FINALIZE, FINALIZE_DEPLOYMENT, RECORD_FINALIZED
    )
    assert result.last(decide_outcome).output["selectedCase"] == "success"
    assert result.output["outcome"] == "finalized"
    assert result.output["deploymentId"] == result.workflow_id
    assert result.output["infrastructureId"] == SERVICE.infrastructure_id
    # create_infrastructure's answer feeds every later step.
    assert result.last(swap_traffic).body["infrastructureId"] == SERVICE.infrastructure_id

    finalize = result.child(FINALIZE)
    assert finalize.refs == refs(*finalize_deployment_v1.tasks)
    assert_follow_up_saw_the_deploy(result, finalize)
    assert finalize.output["deploymentId"] == result.workflow_id
    assert not result.ran(ROLLBACK)


def test_a_failed_check_rolls_back(flow: Flow) -> None:
    result = flow.run(deploy_simple_v1, SERVICE.input, SERVICE.deploy_mocks("failure"))

    assert result.status == "COMPLETED", result.reason
    assert result.refs == refs(
        *STEPS_BEFORE_THE_CHECK, decide_outcome, ROLLBACK, ROLLBACK_DEPLOYMENT, RECORD_ROLLED_BACK
    )
    assert result.output["outcome"] == "rolled_back"
    rollback = result.child(ROLLBACK)
    assert rollback.refs == refs(*rollback_deployment_v1.tasks)
    assert_follow_up_saw_the_deploy(result, rollback)
    assert not result.ran(FINALIZE)


def test_a_status_neither_success_nor_failure_rolls_back(flow: Flow) -> None:
    result = flow.run(deploy_simple_v1, SERVICE.input, SERVICE.deploy_mocks("degraded"))

    assert result.status == "COMPLETED", result.reason
    assert result.last(decide_outcome).input["switchCaseValue"] == "degraded"
    assert result.ran(ROLLBACK) and not result.ran(FINALIZE)
    assert result.output["outcome"] == "rolled_back"
    assert result.output["status"] == "degraded"


def test_a_step_failing_within_its_retry_count_still_completes(flow: Flow) -> None:
    failures = retries_of(swap_traffic.name)
    mocks = SERVICE.deploy_mocks("success")
    mocks[swap_traffic] = [*[fails(status_code=503)] * failures, responds(SERVICE.swapped())]

    result = flow.run(deploy_simple_v1, SERVICE.input, mocks)

    assert result.status == "COMPLETED", result.reason
    attempts = result.runs(swap_traffic)
    assert [run.attempt for run in attempts] == list(range(failures + 1))
    assert [run.status for run in attempts] == ["FAILED"] * failures + ["COMPLETED"]
    # Every retry sends the same request.
    assert all(run.input == attempts[0].input for run in attempts)
    assert result.output["outcome"] == "finalized"


def test_a_step_failing_beyond_its_retry_count_fails_the_deploy(flow: Flow) -> None:
    failures = retries_of(swap_traffic.name) + 1
    mocks = SERVICE.deploy_mocks("success")
    mocks[swap_traffic] = [fails(status_code=500)] * failures
    mocks[deploy_failed_v1] = SERVICE.failure_mocks(traffic_moved=True)

    result = flow.run(deploy_simple_v1, SERVICE.input, mocks)

    assert result.status == "FAILED"
    assert result.failed_refs == (swap_traffic.ref,)
    last = result.last(swap_traffic)
    assert len(result.runs(swap_traffic)) == failures
    assert last.status == "FAILED" and last.response_body == {"error": "mocked failure"}
    # WorkflowExecutorOps names the failed attempt (its task id) in the reason.
    assert result.reason is not None and f"Task {last.task_id} failed" in result.reason
    assert not result.ran(effective_status) and not result.ran(decide_outcome)
    # The outcome was set before the swap, for the failure workflow to make true.
    assert result.output["outcome"] == "rolled_back"


def test_a_failed_deploy_starts_its_failure_workflow_which_rolls_back(flow: Flow) -> None:
    mocks = SERVICE.deploy_mocks("success")
    mocks[swap_traffic] = [fails()] * (retries_of(swap_traffic.name) + 1)
    mocks[deploy_failed_v1] = SERVICE.failure_mocks(traffic_moved=True)

    result = flow.run(deploy_simple_v1, SERVICE.input, mocks)

    failure = result.failure
    assert failure is not None and failure.workflow == deploy_failed_v1.name
    assert failure.status == "COMPLETED", failure.reason
    # WorkflowExecutorOps.terminateWorkflow: the deploy's input, its id, status and reason.
    asked = failure.last(DEPLOYMENT_STATUS).body
    assert asked["deploymentId"] == result.workflow_id and asked["scope"] == SERVICE.scope
    assert failure.output["failureStatus"] == "FAILED"
    assert failure.output["reason"] == result.reason
    assert failure.output["outcome"] == "rolled_back"
    assert failure.child(COMPENSATE).status == "COMPLETED"


def test_a_deploy_failing_before_traffic_moved_is_not_rolled_back(flow: Flow) -> None:
    mocks = SERVICE.deploy_mocks("success")
    mocks[create_infrastructure] = fails(status_code=422, terminal=True)
    mocks[deploy_failed_v1] = SERVICE.failure_mocks(traffic_moved=False)

    result = flow.run(deploy_simple_v1, SERVICE.input, mocks)

    assert result.status == "FAILED"
    assert result.output.get("outcome") is None
    failure = result.failure
    assert failure is not None and failure.status == "COMPLETED", failure
    assert failure.output["outcome"] is None
    assert not failure.ran(COMPENSATE)


def test_a_terminal_error_is_not_retried(flow: Flow) -> None:
    mocks = SERVICE.deploy_mocks("success")
    mocks[create_infrastructure] = fails(status_code=422, terminal=True)
    mocks[deploy_failed_v1] = SERVICE.failure_mocks(traffic_moved=False)

    result = flow.run(deploy_simple_v1, SERVICE.input, mocks)

    assert result.status == "FAILED"
    assert [run.status for run in result.runs(create_infrastructure)] == [
        "FAILED_WITH_TERMINAL_ERROR"
    ]
    assert result.refs == refs(create_infrastructure)


def test_provisioning_that_is_slow_but_within_its_timeout_completes(flow: Flow) -> None:
    timeout = taskdef(wait_infrastructure_created.name).timeout_seconds
    assert timeout is not None
    mocks = SERVICE.deploy_mocks("success")
    mocks[wait_infrastructure_created] = [
        in_progress(body=SERVICE.not_ready()),
        in_progress(body=SERVICE.not_ready(), elapsed=timeout - 30),
        responds(SERVICE.ready(), elapsed=timeout - 10),
    ]

    result = flow.run(deploy_simple_v1, SERVICE.input, mocks)

    assert result.status == "COMPLETED", result.reason
    (wait,) = result.runs(wait_infrastructure_created)  # one attempt, polled until ready
    assert wait.status == "COMPLETED"
    assert wait.elapsed is not None and wait.elapsed >= timeout - 10
    assert wait.response_body["ready"] is True


def test_a_slow_step_within_its_timeout_completes(flow: Flow) -> None:
    timeout = taskdef(create_infrastructure.name).timeout_seconds
    assert timeout is not None
    mocks = SERVICE.deploy_mocks("success")
    mocks[create_infrastructure] = responds(SERVICE.created(), elapsed=timeout - 1)

    result = flow.run(deploy_simple_v1, SERVICE.input, mocks)

    assert result.status == "COMPLETED", result.reason
    (create,) = result.runs(create_infrastructure)
    assert create.elapsed is not None and create.elapsed >= timeout - 1


def test_provisioning_that_never_becomes_ready_fails_the_deploy_per_its_taskdef(
    flow: Flow,
) -> None:
    wait = taskdef(wait_infrastructure_created.name)
    # What this test checks: each attempt times out and RETRY starts another, until the
    # retries run out. Another policy (TIME_OUT_WF: the first timeout ends it) needs another.
    assert wait.timeout_policy == "RETRY" and wait.retry is not None
    assert wait.retry.count is not None
    attempts = wait.retry.count + 1
    mocks = SERVICE.deploy_mocks("success")
    mocks[wait_infrastructure_created] = [in_progress(body=SERVICE.not_ready()), times_out()] * (
        attempts
    )
    mocks[deploy_failed_v1] = SERVICE.failure_mocks(traffic_moved=False)

    result = flow.run(deploy_simple_v1, SERVICE.input, mocks)

    assert result.status == "TIMED_OUT", result.reason
    waits = result.runs(wait_infrastructure_created)
    assert [run.status for run in waits] == ["TIMED_OUT"] * attempts
    for run in waits:
        assert run.reason is not None
        assert f"Timeout configured as {wait.timeout_seconds} seconds" in run.reason
        assert "Timeout policy configured to RETRY" in run.reason
    assert not result.ran(swap_traffic)
    failure = result.failure
    assert failure is not None and failure.output["failureStatus"] == "TIMED_OUT"
    assert not failure.ran(COMPENSATE)

"""deploy_simple_v1 on the real engine, its steps mocked: each branch of the SWITCH, retries
within and beyond the TaskDef's retry count, provisioning that is slow or never ready."""

from __future__ import annotations

from definitions.deploy_simple import (
    create_infrastructure,
    decide_outcome,
    deploy_simple_v1,
    effective_status,
    swap_traffic,
    wait_infrastructure_created,
)
from definitions.finalize_deployment import finalize_deployment_v1
from definitions.rollback_deployment import rollback_deployment_v1
from definitions.taskdefs import PROVISIONING_WAIT, STEP_TASKDEFS
from deploy_dsl.dsl import TaskDef
from deploy_dsl.testing import Flow, FlowResult, fails, in_progress, responds, times_out
from tests.flows.deployments import (
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
    swap_traffic,
    effective_status,
)


def taskdef(name: str) -> TaskDef:
    (found,) = [t for t in (*STEP_TASKDEFS, PROVISIONING_WAIT) if t.name == name]
    return found


def retries_of(name: str) -> int:
    retry = taskdef(name).retry
    assert retry is not None, f"TaskDef {name} sets no retry policy"
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

    result = flow.run(deploy_simple_v1, SERVICE.input, mocks)

    assert result.status == "FAILED"
    assert result.failed_refs == (swap_traffic.ref,)
    last = result.last(swap_traffic)
    assert len(result.runs(swap_traffic)) == failures
    assert last.status == "FAILED" and last.response_body == {"error": "mocked failure"}
    # WorkflowExecutorOps names the failed attempt (its task id) in the reason.
    assert result.reason is not None and f"Task {last.task_id} failed" in result.reason
    assert not result.ran(effective_status) and not result.ran(decide_outcome)


def test_a_terminal_error_is_not_retried(flow: Flow) -> None:
    mocks = SERVICE.deploy_mocks("success")
    mocks[create_infrastructure] = fails(status_code=422, terminal=True)

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


def test_provisioning_that_never_becomes_ready_times_the_deploy_out(flow: Flow) -> None:
    wait = taskdef(wait_infrastructure_created.name)
    # What this test checks: the TaskDef's policy ends the workflow, whose own policy is the
    # same. Another policy (RETRY: a new attempt) needs another test.
    assert wait.timeout_policy == "TIME_OUT_WF" == deploy_simple_v1.timeout_policy
    mocks = SERVICE.deploy_mocks("success")
    mocks[wait_infrastructure_created] = [in_progress(body=SERVICE.not_ready()), times_out()]

    result = flow.run(deploy_simple_v1, SERVICE.input, mocks)

    assert result.status == "TIMED_OUT"
    (attempt,) = result.runs(wait_infrastructure_created)
    assert attempt.status == "TIMED_OUT"
    assert result.reason is not None
    assert f"Timeout configured as {wait.timeout_seconds} seconds" in result.reason
    assert "TIME_OUT_WF" in result.reason
    assert not result.ran(swap_traffic)

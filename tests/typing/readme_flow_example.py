"""The README's flow-test example as it is written there, so that `make check` type-checks it
(tests/flows/test_readme_example.py runs the README's copy; tests/test_readme.py keeps the two
the same)."""

from definitions.deploy_simple import deploy_simple_v1, effective_status, swap_traffic
from deploy_dsl.testing import Flow, fails, responds
from tests.flows.deployments import ROLLBACK, Deployment  # typed answers for one service


def test_a_flaky_swap_then_a_failed_check_rolls_back(flow: Flow) -> None:
    service = Deployment("svc-a")
    mocks = service.deploy_mocks("failure")  # every step answers; effective_status: failure
    mocks[swap_traffic] = [fails(status_code=503), responds(service.swapped())]

    result = flow.run(deploy_simple_v1, service.input, mocks)

    assert result.status == "COMPLETED"
    assert [run.status for run in result.runs(swap_traffic)] == ["FAILED", "COMPLETED"]
    assert result.last(swap_traffic).body["infrastructureId"] == service.infrastructure_id
    assert result.last(effective_status).response_body["status"] == "failure"
    assert result.child(ROLLBACK).status == "COMPLETED"

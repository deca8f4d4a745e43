"""A crash of the local Conductor in the middle of a pipeline: SIGKILL, restart, and the pipeline
completes with every step of every deploy done, and nothing but safe repeats.

Runs on the session's stack (it restarts the server the other tests use): the server's
properties (local/conductor.py), the TaskDefs' poll timeout with RETRY (definitions/taskdefs.py)
and the queue reset before start (local/recovery.py) are what make it resume.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from typing import Any

import pytest

from deploy_dsl.local import stack as local_stack
from deploy_dsl.workspace.loader import load_project
from tests.e2e.support import Conductor, Stack, WorkerClient, progress, tasks_of, wait_until
from worker.steps import IDEMPOTENT_STEPS

pytestmark = pytest.mark.e2e

PIPELINE = "pipeline_simple_v1"
FINALIZED_STEPS = (
    "create_infrastructure", "wait_infrastructure_created", "swap_traffic", "effective_status",
    "cleanup_old_resources", "update_monitoring", "notify_success", "finalize_deployment",
)  # fmt: skip
WAVES, SERVICES = 3, 3


def _conductor_pid(stack: Stack) -> int | None:
    return {p.name: p.pid for p in local_stack.status(stack.ports())}["conductor"]


def _deploy_ids(execution: dict[str, Any]) -> list[str]:
    return [
        t["subWorkflowId"] for t in tasks_of(execution, "SUB_WORKFLOW") if t.get("subWorkflowId")
    ]


def test_a_pipeline_resumes_after_conductor_is_killed(
    stack: Stack, registered: Any, conductor: Conductor, worker: WorkerClient, unique: str
) -> None:
    waves = [
        {"services": [{"scope": f"svc-crash-{unique}-{w}-{s}", "version": "1", "env": "e2e"}
                      for s in range(SERVICES)]}
        for w in range(WAVES)
    ]  # fmt: skip
    version = load_project().workflow(PIPELINE).version
    pipeline_id = conductor.api.start(
        PIPELINE, version, {"waves": waves, "halt_on_rollback": False}
    )

    def wave_two_running() -> bool:
        execution = conductor.execution(pipeline_id)
        return any(t.get("iteration") == 2 for t in tasks_of(execution, "SUB_WORKFLOW"))

    wait_until(wave_two_running, timeout=120, what="the second wave to start")
    pid = _conductor_pid(stack)
    assert pid is not None, "the session's Conductor was not started by `server up`"
    os.killpg(pid, signal.SIGKILL)  # the JVM leads its own group
    wait_until(
        lambda: _conductor_pid(stack) is None, timeout=30, what="the killed server to be gone"
    )
    restarted = time.monotonic()
    local_stack.up(stack.ports(), progress=progress)
    healthy = time.monotonic()
    execution = conductor.finished(pipeline_id, timeout=240)
    done = time.monotonic()
    progress(
        f"recovery: healthy {healthy - restarted:.1f}s after restart, pipeline COMPLETED "
        f"{done - healthy:.1f}s after that"
    )
    assert execution["status"] == "COMPLETED", execution.get("reasonForIncompletion")
    assert execution["output"]["waves"] == WAVES

    deploys = _deploy_ids(execution)
    assert len(deploys) == WAVES * SERVICES
    for deploy_id in deploys:
        calls = Counter(e["step"] for e in worker.history(deploy_id) if e["statusCode"] == 200)
        missing = [step for step in FINALIZED_STEPS if calls[step] == 0]
        assert not missing, f"deploy {deploy_id} never completed {missing}"
        repeated = {step for step, count in calls.items() if count > 1}
        if repeated:
            progress(f"recovery: deploy {deploy_id} repeated {sorted(repeated)}")
        assert repeated <= IDEMPOTENT_STEPS, f"deploy {deploy_id} repeated {repeated}"
        # Repeats did no harm: the deployment ended as one clean run would leave it.
        state = worker.deployment(deploy_id)
        assert (state["outcome"], state["trafficVersion"]) == ("finalized", "1"), state

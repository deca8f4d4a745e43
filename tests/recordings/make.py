"""Records real executions of the seed workflows' outcomes into tests/recordings/ (`make
recordings`, on the running local stack: `make up` first).

Each scenario runs for real, through Conductor and the mock worker, then is saved as
`deploy-dsl record` saves it. tests/flows/test_replay.py replays every file here in
`make test`: when a definition changes what these executions would do, that test fails, and
running this again (and reviewing the diff) records the new behaviour.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.approvals import decide, waiting_gates
from deploy_dsl.client.recording import record
from deploy_dsl.client.settings import load_settings
from deploy_dsl.client.timeline import TERMINAL_STATUSES

__all__ = ["SCENARIOS", "main"]

HERE = Path(__file__).resolve().parent
_TIMEOUT_S = 300.0
# The worker fails this step every time for a scope it is told to (PUT /faults/<scope>/<step>).
_FAILING_STEP = "effective_status"


# Two measurements 2 s apart per step, over 10 s of traffic, no pause before the full step.
_QUICK_CANARY = {"interval": "2s", "count": 2, "window": "10s", "pause_before_full": "none"}


def _service(scope: str, env: str = "recorded") -> dict[str, str]:
    return {"scope": scope, "version": "2.0.0", "env": env}


@dataclass(frozen=True)
class Scenario:
    file: str
    workflow: str
    input: dict[str, Any]
    expected: str  # the execution's final status
    faulty: tuple[str, ...] = ()  # scopes whose _FAILING_STEP always fails
    error_rate: float | None = None  # the share of the new version's traffic that fails
    approve: bool = False  # approve each gate it waits at
    outcome: Mapping[str, Any] = field(default_factory=dict)  # output values it must reach


SCENARIOS = (
    Scenario(
        "deploy_finalized.json",
        "deploy_simple_v1",
        _service("svc-recorded"),
        "COMPLETED",
        outcome={"outcome": "finalized"},
    ),
    Scenario(
        "deploy_rolled_back.json",
        "deploy_simple_v1",
        _service("recorded-unhealthy"),
        "COMPLETED",
        outcome={"outcome": "rolled_back"},
    ),
    Scenario(
        "deploy_failed_compensated.json",
        "deploy_simple_v1",
        _service("svc-recorded-failing"),
        "FAILED",
        faulty=("svc-recorded-failing",),
    ),
    Scenario(
        "canary_finalized.json",
        "canary_v1",
        {**_service("svc-recorded-canary"), **_QUICK_CANARY},
        "COMPLETED",
        outcome={"outcome": "finalized"},
    ),
    Scenario(
        "canary_aborted.json",
        "canary_v1",
        {**_service("svc-recorded-bad-canary"), **_QUICK_CANARY},
        "FAILED",
        error_rate=0.2,
        outcome={"outcome": "rolled_back"},
    ),
    Scenario(
        "pipeline_two_waves.json",
        "pipeline_simple_v1",
        {
            "waves": [
                {"services": [_service("svc-recorded-a"), _service("recorded-b")]},
                {"services": [_service("svc-recorded-a", "production")]},
            ],
            "halt_on_rollback": False,
        },
        "COMPLETED",
    ),
    Scenario(
        "pipeline_halted.json",
        "pipeline_simple_v1",
        {
            "waves": [
                {"services": [_service("svc-recorded-c"), _service("recorded-d")]},
                {"services": [_service("svc-recorded-c", "production")]},
            ]
        },
        "FAILED",
    ),
    Scenario(
        "rollout_approved.json",
        "rollout_v1",
        {
            "canary": True,
            "waves": [
                {
                    "name": "staging",
                    "services": [_service("svc-recorded-api"), _service("svc-recorded-web")],
                    "max_parallel": 1,
                },
                {
                    "name": "production",
                    "services": [
                        _service("svc-recorded-api", "production"),
                        _service("svc-recorded-web", "production"),
                    ],
                    "max_parallel": 2,
                    "approval": {"timeout": "30m"},
                },
            ],
        },
        "COMPLETED",
        approve=True,
    ),
    Scenario(
        "rollout_halted.json",
        "rollout_v1",
        {
            "rollback_completed": True,
            "waves": [
                {
                    "name": "staging",
                    "services": [_service("svc-recorded-x"), _service("recorded-y")],
                    "max_parallel": 2,
                    "max_failures": 0,
                },
                {"name": "production", "services": [_service("svc-recorded-x", "production")]},
            ],
        },
        "FAILED",
    ),
)


def _worker(worker: str, method: str, path: str, body: object = None) -> None:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        worker + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=10).close()


def _finished(api: ConductorApi, workflow_id: str, approve: bool) -> dict[str, Any]:
    deadline = time.monotonic() + _TIMEOUT_S
    while time.monotonic() < deadline:
        execution, gates = waiting_gates(api, workflow_id)
        if execution.get("status") in TERMINAL_STATUSES:
            # A failure workflow is named in the output just after the execution ends.
            if execution.get("status") == "FAILED":
                time.sleep(1.0)
            return dict(api.execution(workflow_id))
        if approve and gates:
            decide(api, workflow_id, approved=True, by="recorder", reason="recorded run")
        time.sleep(0.5)
    raise SystemExit(f"{workflow_id} did not finish within {_TIMEOUT_S:.0f} s")


def _failure_done(api: ConductorApi, execution: Mapping[str, Any]) -> None:
    started = (execution.get("output") or {}).get("conductor.failure_workflow")
    if started:
        _finished(api, str(started), approve=False)


def run(scenario: Scenario, api: ConductorApi, worker: str) -> str:
    """Runs the scenario for real and writes its recording; returns a line about it."""
    scope = str(scenario.input.get("scope", ""))
    quoted = urllib.parse.quote(scope, safe="")
    for faulty in scenario.faulty:
        _worker(
            worker,
            "PUT",
            f"/faults/{urllib.parse.quote(faulty, safe='')}/{_FAILING_STEP}",
            {"fail": 1000},
        )
    if scenario.error_rate is not None:
        fault = {
            "scope": scope,
            "version": scenario.input["version"],
            "errorRate": scenario.error_rate,
        }
        _worker(worker, "PUT", "/faults/traffic", fault)
    try:
        workflow_id = api.start(scenario.workflow, _version(api, scenario.workflow), scenario.input)
        execution = _finished(api, workflow_id, scenario.approve)
        _failure_done(api, execution)
    finally:
        for faulty in scenario.faulty:
            _worker(worker, "DELETE", f"/faults/{urllib.parse.quote(faulty, safe='')}")
        if scenario.error_rate is not None:
            _worker(worker, "DELETE", f"/faults/{quoted}")
    if execution["status"] != scenario.expected:
        raise SystemExit(
            f"{scenario.file}: {workflow_id} ended {execution['status']}, expected "
            f"{scenario.expected}: {execution.get('reasonForIncompletion')}"
        )
    for key, value in scenario.outcome.items():
        if execution["output"].get(key) != value:
            raise SystemExit(f"{scenario.file}: {key} is {execution['output'].get(key)!r}")
    text = record(api.execution, workflow_id).to_json()
    (HERE / scenario.file).write_text(text, encoding="utf-8")
    return f"{scenario.file}: {scenario.workflow} {workflow_id} {execution['status']}"


def _version(api: ConductorApi, name: str) -> int:
    from deploy_dsl.workspace.loader import load_project

    return load_project("definitions").workflow(name).version or 1


def main(only: Callable[[Scenario], bool] = lambda _: True) -> None:
    settings = load_settings()
    connection = settings.connection()
    chosen = [s for s in SCENARIOS if only(s)]
    print(f"recording {len(chosen)} scenario(s) on {connection.server_url}", flush=True)
    # One client each, made here: the SDK's first import is not safe from several threads.
    clients = [ConductorApi(connection) for _ in chosen]
    with ThreadPoolExecutor(len(chosen) or 1) as pool:
        lines = pool.map(lambda s, api: run(s, api, settings.worker_url), chosen, clients)
        for line in lines:
            print(f"  {line}", flush=True)


if __name__ == "__main__":
    names = set(sys.argv[1:])
    main(lambda s: not names or s.file in names)

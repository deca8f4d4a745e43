"""canary_v1 against the real Prometheus: how long a bad version keeps traffic.

A scope gets a good 1.0.0 (a canary of one measurement per step); then, RUNS times per
interval, a version the worker fails at 20 % (a traffic fault set before it starts) is
canaried and aborted by its first analysis. Per run:

- fault to restored: from the first sample Prometheus scraped with an error of the bad version
  (its series's raw samples, read back from Prometheus) to the worker's restore_previous_traffic;
- swap to restored: from the swap that gave it 10 % of the traffic (the worker's clock) to the
  same restore: how long users met the bad version.

Beside each median, the issue's bound: within 2 analysis intervals of the fault.

Uses the running local stack and Prometheus at the settings' ports, or starts them (and stops
what it started). Registers the definitions (changes only, overwriting).
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.parse
import urllib.request
import uuid
from datetime import datetime
from typing import Any

from bench import report
from bench.server_bench import _register_project
from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.settings import Settings, load_settings
from deploy_dsl.client.timeline import TERMINAL_STATUSES
from deploy_dsl.durations import parse_duration
from deploy_dsl.local import stack

__all__ = ["main"]

CANARY = "canary_v1"
VERSION = 1
INTERVALS = ("2s", "5s")
RUNS = 3
ERROR_RATE = 0.2
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def main() -> None:
    settings = load_settings()
    ports = stack.Ports(
        settings.local_conductor_port,
        settings.local_worker_port,
        prometheus=settings.local_prometheus_port,
    )
    with stack.started_for(ports, progress=lambda line: print(f"    {line}", flush=True)):
        if not stack.healthy(settings.prometheus_url, "/-/ready"):
            raise SystemExit(f"Prometheus does not answer at {settings.prometheus_url}")
        api = ConductorApi(settings.connection())
        _register_project(api, settings)
        scope = f"svc-bench-canary-{uuid.uuid4().hex[:8]}"
        good = _run(api, _inputs(scope, "1.0.0", "2s", count=1))
        if good["status"] != "COMPLETED":
            raise SystemExit(f"the good canary ended {good['status']}: {good.get('reason')}")
        print(f"  {scope} 1.0.0 released by a good canary")
        print(f"  {'interval':>8} {'fault to restored':>18} {'swap to restored':>17} {'bound':>6}")
        for interval in INTERVALS:
            _measure(api, settings, scope, interval)


def _measure(api: ConductorApi, settings: Settings, scope: str, interval: str) -> None:
    seconds = parse_duration(interval) or 0
    from_fault: list[float] = []
    from_swap: list[float] = []
    for number in range(RUNS):
        version = f"2.{seconds}.{number}"
        _put_json(settings.worker_url, "/faults/traffic", _fault(scope, version))
        execution = _run(api, _inputs(scope, version, interval, count=3))
        reason = str(execution.get("reasonForIncompletion"))
        if execution["status"] != "FAILED" or not reason.startswith("analysis failed"):
            raise SystemExit(f"the bad canary {version} was not aborted: {reason}")
        steps = _worker_steps(settings.worker_url, execution["workflowId"])
        swapped, restored = steps["swap_traffic"], steps["restore_previous_traffic"]
        first_bad = _first_bad_sample(settings.prometheus_url, scope, version)
        from_fault.append(restored - first_bad)
        from_swap.append(restored - swapped)
    bound = 2 * seconds
    fault, swap = statistics.median(from_fault), statistics.median(from_swap)
    met = report.at_most(f"fault to traffic restored, {interval} interval", fault, "s", bound)
    report.record(f"swap to traffic restored, {interval} interval", swap, "s")
    print(
        f"  {interval:>8} {fault:>16.2f} s {swap:>15.2f} s {bound:>4g} s"
        f"  {'within' if met else 'NOT within'} 2 intervals (median of {RUNS}; fault to "
        f"restored {', '.join(f'{v:.2f}' for v in from_fault)})"
    )


def _inputs(scope: str, version: str, interval: str, *, count: int) -> dict[str, Any]:
    return {
        "scope": scope,
        "version": version,
        "env": "bench",
        "interval": interval,
        "count": count,
        "window": "10s",
        "pause_before_full": "none",
        "on_inconclusive": "abort",
    }


def _fault(scope: str, version: str) -> dict[str, Any]:
    return {"scope": scope, "version": version, "errorRate": ERROR_RATE}


def _run(api: ConductorApi, inputs: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    workflow_id = api.start(CANARY, VERSION, inputs)
    deadline = time.monotonic() + timeout
    while True:
        execution = api.execution(workflow_id)
        if execution.get("status") in TERMINAL_STATUSES:
            return execution
        if time.monotonic() > deadline:
            raise SystemExit(f"{CANARY} {workflow_id} still running after {timeout:g} s")
        time.sleep(0.5)


def _worker_steps(worker_url: str, deployment_id: str) -> dict[str, float]:
    """When each step last answered 200 for the deployment, on the worker's clock."""
    quoted = urllib.parse.quote(deployment_id, safe="")
    entries = _get_json(f"{worker_url}/deployments/{quoted}/history")["entries"]
    return {
        e["step"]: datetime.fromisoformat(e["timestamp"]).timestamp()
        for e in entries
        if e["statusCode"] == 200
    }


def _first_bad_sample(prometheus_url: str, scope: str, version: str) -> float:
    """The time of the first scraped sample in which the version had failed a request."""
    series = f'service_request_errors_total{{scope="{scope}",version="{version}"}}[10m]'
    body = urllib.parse.urlencode({"query": series}).encode()
    answer = _post(f"{prometheus_url}/api/v1/query", body)
    samples = [s for r in answer["data"]["result"] for s in r["values"]]
    bad = [float(at) for at, value in samples if float(value) > 0]
    if not bad:
        raise SystemExit(f"Prometheus holds no failed request of {scope} {version}")
    return min(bad)


def _get_json(url: str) -> Any:
    with _OPENER.open(url, timeout=10) as response:
        return json.loads(response.read())


def _post(url: str, body: bytes) -> Any:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    with _OPENER.open(request, timeout=10) as response:
        return json.loads(response.read())


def _put_json(base: str, path: str, payload: Any) -> None:
    request = urllib.request.Request(
        f"{base}{path}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    with _OPENER.open(request, timeout=10):
        pass

"""How a pipeline's time grows with its size, on the real local Conductor and worker.

A grid of pipeline_simple_v1 runs, waves x healthy deploys per wave (halt_on_rollback false,
fresh scopes for every run). For each cell:

- the server's own start-to-end time beside the ideal: the number of waves times one deploy's
  median, measured in the same run (a wave cannot be quicker than its slowest deploy);
- the Conductor JVM's resident memory at the end (VmRSS of the pid `server up` recorded);
- the worker's history, scope by scope: every deploy answered each step of the finalize path
  with a 2xx exactly once (wait_infrastructure_created's 503s are the provisioning wait, not a
  step that ran). A step missing is lost work, a step twice is a duplicate.

Targets: 10x50 completes, nothing lost or doubled, within 1.5x of ten times the single 1x50
wave (issue 13); a wave of 50 within 3x one deploy and 10x50 within 4x the ideal (issue 29).
For the largest cell it also says where each wave's time went.

Uses the running local stack at the settings' URLs, or starts it (and stops what it started).
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import report
from bench.server_bench import (
    Run,
    _register_project,
    local_stack,
    run_until_done,
    wave_breakdown,
    workflow_version,
)
from deploy_dsl.client.api import ConductorApi
from deploy_dsl.local import stack as local

__all__ = ["GRID", "main"]

GRID = ((1, 1), (1, 10), (1, 50), (3, 10), (10, 50))  # (waves, deploys per wave)
DEPLOY_RUNS = 5
TIMEOUT_S = 900.0  # the largest cell; a deploy's own timeoutSeconds is 900 too
TARGET_10X50_VS_1X50 = 1.5
# Issue 29: a wave of 50 within 3x one deploy (its ideal), ten of them within 4x theirs.
VS_IDEAL_TARGETS = {"1x50": 3.0, "10x50": 4.0}
# The finalize path, as the worker names its steps; each must be answered 2xx exactly once.
STEPS = (
    "create_infrastructure",
    "wait_infrastructure_created",
    "swap_traffic",
    "effective_status",
    "cleanup_old_resources",
    "update_monitoring",
    "notify_success",
    "finalize_deployment",
)


@dataclass(frozen=True)
class Cell:
    waves: int
    services: int
    run: Run
    rss_mb: float
    lost: int  # (deploy, step) pairs the worker never answered 2xx
    doubled: int  # (deploy, step) pairs it answered 2xx more than once
    unexpected: int  # 2xx answers of steps off the finalize path

    @property
    def label(self) -> str:
        return f"{self.waves}x{self.services}"


def _inputs(waves: int, services: int) -> tuple[dict[str, Any], list[str]]:
    tag = uuid.uuid4().hex[:6]
    scopes = [[f"svc-scale-{tag}-{w}-{s}" for s in range(services)] for w in range(waves)]
    inputs = {
        "waves": [
            {
                "name": f"wave-{w + 1}",
                "services": [{"scope": s, "version": "1.0.0", "env": "bench"} for s in wave],
            }
            for w, wave in enumerate(scopes)
        ],
        "halt_on_rollback": False,
    }
    return inputs, [s for wave in scopes for s in wave]


def _rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc/<pid>/status (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmRSS for pid {pid}")


def _conductor_pid(ports: local.Ports) -> int:
    pid = {p.name: p.pid for p in local.status(ports)}["conductor"]
    if pid is None:
        raise SystemExit("the local Conductor is not running (no pid recorded by `server up`)")
    return pid


def _calls(worker_url: str, scopes: list[str]) -> list[Counter[str]]:
    """For each scope, how often each step was answered 2xx (GET /history?scope=...)."""

    def one(client: httpx.Client, scope: str) -> Counter[str]:
        response = client.get("/history", params={"scope": scope})
        response.raise_for_status()
        entries = response.json()["entries"]
        return Counter(e["step"] for e in entries if 200 <= e["statusCode"] < 300)

    with (
        httpx.Client(base_url=worker_url, timeout=30, trust_env=False) as client,
        ThreadPoolExecutor(4) as pool,
    ):
        return list(pool.map(lambda scope: one(client, scope), scopes))


def _cell(
    api: ConductorApi, version: int, worker_url: str, pid: int, waves: int, services: int
) -> Cell:
    inputs, scopes = _inputs(waves, services)
    run = run_until_done(
        api, "pipeline_simple_v1", version, inputs, poll=0.5 if waves * services > 10 else 0.1,
        timeout=TIMEOUT_S,
    )  # fmt: skip
    rss = _rss_mb(pid)
    calls = _calls(worker_url, scopes)
    lost = sum(1 for c in calls for step in STEPS if c[step] == 0)
    doubled = sum(1 for c in calls for step in STEPS if c[step] > 1)
    unexpected = sum(n for c in calls for step, n in c.items() if step not in STEPS)
    return Cell(waves, services, run, rss, lost, doubled, unexpected)


def _deploy_median(api: ConductorApi) -> float:
    version = workflow_version("deploy_simple_v1")
    runs = []
    for _ in range(DEPLOY_RUNS):
        inputs = {"scope": f"svc-scale-{uuid.uuid4().hex[:8]}", "version": "1.0.0", "env": "bench"}
        runs.append(run_until_done(api, "deploy_simple_v1", version, inputs, poll=0.05).server)
    return statistics.median(runs)


def main() -> None:
    with local_stack() as running:
        settings = running.settings
        api = ConductorApi(settings.connection())
        _register_project(api, settings)
        ports = local.Ports(settings.local_conductor_port, settings.local_worker_port)
        pid = _conductor_pid(ports)
        version = workflow_version("pipeline_simple_v1")
        print(f"    Conductor {api.url} (pid {pid}), worker {running.worker_url}", flush=True)
        started = time.perf_counter()
        # Warm-up, not counted: the first INLINE after boot pays GraalJS's start-up.
        run_until_done(api, "pipeline_simple_v1", version, _inputs(1, 1)[0], poll=0.1)
        deploy = _deploy_median(api)
        print(
            f"    one deploy_simple_v1: {deploy:.2f} s median of {DEPLOY_RUNS} (the ideal's unit)"
        )
        report.record("deploy median (ideal unit)", deploy, "s")
        print(
            "    grid     deploys   server s   ideal s   vs ideal   Conductor RSS   "
            "lost  doubled  other",
            flush=True,
        )
        cells: dict[str, Cell] = {}
        for waves, services in GRID:
            cell = _cell(api, version, running.worker_url, pid, waves, services)
            cells[cell.label] = cell
            ideal = waves * deploy
            print(
                f"    {cell.label:<6} {waves * services:8d} {cell.run.server:10.2f} {ideal:9.2f}"
                f" {cell.run.server / ideal:9.2f}x {cell.rss_mb:11.0f} MB {cell.lost:6d}"
                f" {cell.doubled:8d} {cell.unexpected:6d}",
                flush=True,
            )
            report.record(f"pipeline {cell.label}", cell.run.server, "s")
            versus = f"pipeline {cell.label} vs ideal"
            if cell.label in VS_IDEAL_TARGETS:
                report.at_most(versus, cell.run.server / ideal, "x", VS_IDEAL_TARGETS[cell.label])
            else:
                report.record(versus, cell.run.server / ideal, "x")
            report.record(f"Conductor RSS after {cell.label}", cell.rss_mb, "MB")
            report.at_most(f"pipeline {cell.label} steps lost", cell.lost, "steps", 0)
            report.at_most(f"pipeline {cell.label} steps doubled", cell.doubled, "steps", 0)
        big, wave = cells["10x50"], cells["1x50"]
        growth = big.run.server / (10 * wave.run.server)
        met = report.at_most("pipeline 10x50 vs 10 x (1x50)", growth, "x", TARGET_10X50_VS_1X50)
        clean = big.lost == big.doubled == big.unexpected == 0
        print(
            f"    10x50 took {growth:.2f}x ten 1x50 waves ({10 * wave.run.server:.1f} s) "
            f"(target <= {TARGET_10X50_VS_1X50}x: {'met' if met else 'MISSED'}); "
            f"nothing lost or doubled: {'yes' if clean else 'NO'}"
        )
        wave_breakdown(api, big.run, big.waves)
        print(f"    the section took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

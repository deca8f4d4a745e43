"""Helpers for the cluster's end-to-end tests: a node's API and CLI, the processes, SQL."""

from __future__ import annotations

import json
import os
import signal
import urllib.request
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.settings import Connection
from deploy_dsl.local import cluster as local_cluster
from deploy_dsl.local.layout import Layout
from tests.e2e.support import CliResult, WorkerClient, progress, run_cli

__all__ = [
    "DEPLOY",
    "FINALIZE_PATH",
    "NODES",
    "PIPELINE",
    "ROLLBACK_PATH",
    "Cluster",
    "expected_steps",
    "isolated_cli",
    "pipeline_waves",
    "successful_calls",
]

NODES = 2
DEPLOY = "deploy_simple_v1"
PIPELINE = "pipeline_simple_v1"
_MAIN = ("create_infrastructure", "wait_infrastructure_created", "swap_traffic", "effective_status")
# The finalize_deployment_v1 / rollback_deployment_v1 sub-workflow, then the deploy's own step.
_FINALIZE = ("cleanup_old_resources", "update_monitoring", "notify_success", "finalize_deployment")
_ROLLBACK = ("restore_previous_traffic", "cleanup_failed_resources", "notify_failure")
FINALIZE_PATH = (*_MAIN, *_FINALIZE)
ROLLBACK_PATH = (*_MAIN, *_ROLLBACK, "rollback_deployment")
# Settings the CLI must not take from this process's environment: the env file says them all.
_ISOLATED = (
    "CONDUCTOR_BASE_URL",
    "CONDUCTOR_SERVER_URL",
    "CONDUCTOR_PORT",
    "WORKER_BASE_URL",
    "WORKER_PORT",
    "ORKES_BASE_URL",
    "ORKES_KEY",
    "ORKES_SECRET",
    "CONDUCTOR_AUTH_KEY",
    "CONDUCTOR_AUTH_SECRET",
)


# Loopback only: never through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def expected_steps(scope: str) -> tuple[str, ...]:
    """The worker steps one deploy of `scope` calls: the worker finds `svc-` scopes healthy."""
    return FINALIZE_PATH if scope.startswith("svc-") else ROLLBACK_PATH


def successful_calls(entries: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """How many times each step was answered 2xx (wait_infrastructure_created's 503s, the
    provisioning wait, are not calls of a step that ran)."""
    return Counter(e["step"] for e in entries if 200 <= e["statusCode"] < 300)


@dataclass
class Cluster:
    urls: local_cluster.ClusterUrls
    ports: local_cluster.ClusterPorts
    layout: Layout
    before: frozenset[str]  # the parts that ran before the session
    scratch: Path
    _apis: dict[int, ConductorApi] = field(default_factory=dict)

    @property
    def worker(self) -> WorkerClient:
        return WorkerClient(self.urls.worker)

    def url(self, node: int) -> str:
        return self.urls.nodes[node - 1]

    def api(self, node: int) -> ConductorApi:
        if node not in self._apis:
            self._apis[node] = ConductorApi(Connection(f"{self.url(node)}/api"))
        return self._apis[node]

    def env_file(self, node: int) -> Path:
        """Settings that point the CLI at one node and at the cluster's worker."""
        path = self.scratch / f"node{node}.env"
        path.write_text(
            f"CONDUCTOR_BASE_URL={self.url(node)}\nWORKER_BASE_URL={self.urls.worker}\n",
            encoding="utf-8",
        )
        return path

    def cli(self, node: int, *args: str, stdin: str | None = None) -> CliResult:
        return isolated_cli(*args, "--env-file", str(self.env_file(node)), stdin=stdin)

    def pid(self, name: str) -> int:
        found = {p.name: p.pid for p in local_cluster.status(self.ports, NODES, layout=self.layout)}
        pid = found.get(name)
        assert pid is not None, f"{name} of the cluster does not run"
        return pid

    def signal(self, name: str, signum: signal.Signals) -> None:
        """Signal one part; the worker's whole process group (gunicorn and its workers)."""
        pid = self.pid(name)
        if name == "worker":
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)

    def sql(self, statement: str) -> list[list[str]]:
        server = local_cluster.postgres_server(self.layout, self.ports.postgres)
        return [line.split("|") for line in server.query(statement).splitlines() if line]

    def history(self, prefix: str) -> list[dict[str, Any]]:
        """The worker's calls for every scope that starts with `prefix`, in commit order."""
        with _OPENER.open(f"{self.urls.worker}/history", timeout=10) as response:
            entries = json.loads(response.read())["entries"]
        return [e for e in entries if str(e["scope"]).startswith(prefix)]

    def keeper_log(self) -> str:
        return (local_cluster.cluster_dir(self.layout) / "keeper.log").read_text(encoding="utf-8")

    def restore(self) -> None:
        """Start again what ran before the session and a test stopped (a killed node)."""
        missing = self.before - set(local_cluster.running(self.layout))
        if missing:
            progress(f"cluster: starting again {sorted(missing)}, which ran before the session")
            local_cluster.up(self.ports, NODES, progress=progress, layout=self.layout)


def isolated_cli(*args: str, stdin: str | None = None) -> CliResult:
    """The CLI with none of the server settings of this process's environment: the env files
    its arguments name say them all."""
    return run_cli(*args, stdin=stdin, env=dict.fromkeys(_ISOLATED))


def pipeline_waves(prefix: str, waves: int, services: int) -> list[dict[str, Any]]:
    """pipeline_simple_v1's `waves`, scopes `<prefix>-<wave>-<service>`."""
    return [
        {
            "name": f"wave-{w}",
            "services": [
                {"scope": f"{prefix}-{w}-{s}", "version": "1.0.0", "env": "e2e"}
                for s in range(1, services + 1)
            ],
        }
        for w in range(1, waves + 1)
    ]

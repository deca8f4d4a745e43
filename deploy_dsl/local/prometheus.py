"""The local Prometheus that the canary analyses query: Debian's `prometheus` binary run from
the state directory (`.state/prometheus/`: its configuration, its data, its log), on a loopback
port, scraping the local worker's `/metrics` every second. Never the package's system service.

`deploy-dsl server up` starts it beside Conductor and the worker (local/stack.py); this module
only knows its files and its command line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from deploy_dsl.local.layout import HOST, Layout

__all__ = [
    "HEALTH_PATH",
    "PROMETHEUS_HELP",
    "RETENTION",
    "SCRAPE_INTERVAL",
    "config_text",
    "find_prometheus",
    "prometheus_argv",
    "write_config",
]

# Short, so that an analysis a few seconds long sees a version's numbers move (`rate()` needs
# two samples in its window): the canary tests run analyses of 2 s intervals.
SCRAPE_INTERVAL = "1s"
# A development server: the canary runs of the last day are all it needs to keep.
RETENTION = "1d"
# Prometheus has no /health; /-/ready answers 200 once it serves queries.
HEALTH_PATH = "/-/ready"
PROMETHEUS_HELP = (
    "install Prometheus (`make install` does as root on Debian/Ubuntu; or `apt-get install "
    "prometheus`, `brew install prometheus`), or put the prometheus binary on PATH"
)


def find_prometheus() -> str | None:
    """The prometheus binary on PATH, or None when it is not installed."""
    return shutil.which("prometheus")


def config_text(worker_port: int) -> str:
    """prometheus.yml: one job, the worker's simulated traffic (GET /metrics)."""
    return (
        "# Written by `deploy-dsl server up` at each start; edits are lost.\n"
        "global:\n"
        f"  scrape_interval: {SCRAPE_INTERVAL}\n"
        f"  scrape_timeout: {SCRAPE_INTERVAL}\n"
        f"  evaluation_interval: {SCRAPE_INTERVAL}\n"
        "scrape_configs:\n"
        "  - job_name: worker\n"
        "    metrics_path: /metrics\n"
        "    static_configs:\n"
        f'      - targets: ["{HOST}:{worker_port}"]\n'
    )


def write_config(layout: Layout, worker_port: int) -> Path:
    layout.prometheus_dir.mkdir(parents=True, exist_ok=True)
    layout.prometheus_config.write_text(config_text(worker_port), encoding="utf-8")
    return layout.prometheus_config


def prometheus_argv(binary: str, layout: Layout, port: int) -> list[str]:
    """The command line; `--config.file=<absolute path>` is also how the process is found
    again (Service.marker), so two clones never take each other's."""
    return [
        binary,
        f"--config.file={layout.prometheus_config}",
        f"--storage.tsdb.path={layout.prometheus_dir / 'data'}",
        f"--storage.tsdb.retention.time={RETENTION}",
        f"--web.listen-address={HOST}:{port}",
    ]

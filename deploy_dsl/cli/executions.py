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


def _act(env_file: Path | None, workflow_id: str, action: Callable[[ConductorApi], None]) -> str:
    """Runs the action, then reads the execution back: the status line says what it is now."""
    api = connect(settings(env_file))
    try:
        action(api)
        execution = api.execution(workflow_id)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    return f"{execution.get('workflowName', '?')} {workflow_id}: now {execution.get('status')}"


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

    An execution that has already ended is refused by the server (exit 1, its message).
    """
    click.echo(
        "terminated " + _act(env_file, workflow_id, lambda a: a.terminate(workflow_id, reason))
    )


@click.command()
@click.argument("workflow_id")
@ENV_FILE_OPTION
def retry(workflow_id: str, env_file: Path | None) -> None:
    """Retry the failed (or terminated, timed out) execution WORKFLOW_ID from its last
    failed task; it runs again under the same id (`deploy-dsl status ID` follows it)."""
    click.echo("retried " + _act(env_file, workflow_id, lambda a: a.retry(workflow_id)))

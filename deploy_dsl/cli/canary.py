"""`deploy-dsl abort ID` (and the canary form of `promote`, in cli/promote.py): end the manual
pause a canary waits at. The commands are thin; client/canary.py finds the pause and completes
it.
"""

from __future__ import annotations

from pathlib import Path

import click

from deploy_dsl.cli.approvals import login_name
from deploy_dsl.cli.common import ENV_FILE_OPTION, connect, settings
from deploy_dsl.errors import DeployDslError

__all__ = ["BY_OPTION", "abort", "decide_pause"]

BY_OPTION = click.option(
    "--by", metavar="NAME", help="Who decides, as the pause records it (default: your login name)."
)


def decide_pause(
    workflow_id: str, *, promoted: bool, by: str | None, reason: str | None, env_file: Path | None
) -> None:
    from deploy_dsl.client import canary

    api = connect(settings(env_file))
    who = by or login_name()
    try:
        if promoted:
            pause = canary.promote(api, workflow_id, by=who, reason=reason)
        else:
            pause = canary.abort(api, workflow_id, by=who, reason=reason or "")
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    verb = "promoted" if promoted else "aborted"
    click.echo(
        f"{verb} {pause.title} as {who} ({pause.gate} in {pause.workflow_name} {pause.workflow_id})"
    )


@click.command()
@click.argument("workflow_id")
@click.option("--reason", metavar="TEXT", required=True, help="Why; it ends up in the reason.")
@BY_OPTION
@ENV_FILE_OPTION
def abort(workflow_id: str, reason: str, by: str | None, env_file: Path | None) -> None:
    """Abort the canary WORKFLOW_ID at the manual pause it waits at: its traffic goes back to
    the previous version, rollback_deployment_v1 runs, and it ends FAILED with the reason.

    With no pause waiting it says so and exits 1. (`deploy-dsl terminate` stops a canary
    anywhere, but rolls nothing back: the server starts no failure workflow for a terminate,
    WorkflowExecutorOps.terminateWorkflow(id, reason).)
    """
    decide_pause(workflow_id, promoted=False, by=by, reason=reason, env_file=env_file)

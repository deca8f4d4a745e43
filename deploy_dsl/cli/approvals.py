"""`deploy-dsl approve` and `deploy-dsl reject`: decide the approval gate an execution waits on."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from deploy_dsl.cli.common import ENV_FILE_OPTION, connect, settings
from deploy_dsl.errors import DeployDslError

__all__ = ["approve", "login_name", "reject"]

_BY = click.option(
    "--by", metavar="NAME", help="Who decides, as the gate records it (default: your login name)."
)
_GATE = click.option(
    "--gate",
    metavar="REF",
    help="The gate's reference name, when several gates wait at once.",
)


def login_name() -> str:
    """Who runs the command, for the decision's `by`."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in this environment (a bare container)
        return "unknown"


def _decide(
    workflow_id: str,
    *,
    approved: bool,
    by: str | None,
    reason: str | None,
    gate: str | None,
    env_file: Path | None,
) -> None:
    from deploy_dsl.client.approvals import decide

    api = connect(settings(env_file))
    who = by or login_name()
    try:
        done = decide(api, workflow_id, approved=approved, by=who, reason=reason, gate=gate)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    verb = "approved" if approved else "rejected"
    click.echo(
        f"{verb} {done.title} as {who} (gate {done.gate} in {done.workflow_name} "
        f"{done.workflow_id})"
    )


@click.command()
@click.argument("workflow_id")
@click.option("--reason", metavar="TEXT", help="Why; the gate records it with the decision.")
@_BY
@_GATE
@ENV_FILE_OPTION
def approve(
    workflow_id: str, reason: str | None, by: str | None, gate: str | None, env_file: Path | None
) -> None:
    """Approve the gate that the execution WORKFLOW_ID waits on: the gate's WAIT (in the
    execution or in a sub-workflow it runs, such as a rollout's wave) completes with
    `approved: true`, and the workflow goes on.

    With no gate waiting it says so and exits 1; so it does if the gate's timeout passed
    before the decision reached it.
    """
    _decide(workflow_id, approved=True, by=by, reason=reason, gate=gate, env_file=env_file)


@click.command()
@click.argument("workflow_id")
@click.option("--reason", metavar="TEXT", required=True, help="Why; it ends up in the halt reason.")
@_BY
@_GATE
@ENV_FILE_OPTION
def reject(
    workflow_id: str, reason: str, by: str | None, gate: str | None, env_file: Path | None
) -> None:
    """Reject the gate that the execution WORKFLOW_ID waits on: its WAIT completes with
    `approved: false` and the reason, and the workflow takes the gate's rejection path (a
    rollout halts, naming the wave and the reason).

    With no gate waiting it says so and exits 1.
    """
    _decide(workflow_id, approved=False, by=by, reason=reason, gate=gate, env_file=env_file)

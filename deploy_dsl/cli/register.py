"""`deploy-dsl register`: apply the plan (`deploy-dsl plan`) to the server through the SDK."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from deploy_dsl.cli.common import DEFINITIONS_OPTION, ENV_FILE_OPTION
from deploy_dsl.cli.plan import LENIENT_OPTION, echo_changes, echo_plan, planned
from deploy_dsl.errors import DeployDslError

if TYPE_CHECKING:
    from deploy_dsl.client.plan import Entry, Plan

__all__ = ["register"]

_EXIT_FAILED = 1


@click.command()
@DEFINITIONS_OPTION
@ENV_FILE_OPTION
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the plan and what would be refused; write nothing (exit 1 if register "
    "would refuse).",
)
@click.option(
    "--allow-overwrite",
    is_flag=True,
    help="Change the content of workflow versions the server already holds (executions "
    "that use them see the change), and take over schedules and event handlers of the same "
    "name that are not the project's. Without it such a change is refused.",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Also delete the project's definitions the code no longer has (listed first; "
    "asks unless --yes). Never touches definitions the project does not own.",
)
@click.option("--yes", is_flag=True, help="Do not ask before --prune deletes (for CI).")
@LENIENT_OPTION
def register(
    definitions: str,
    env_file: Path | None,
    dry_run: bool,
    allow_overwrite: bool,
    prune: bool,
    yes: bool,
    lenient: bool,
) -> None:
    """Register task definitions, workflows (callees first), schedules and event handlers:
    what `plan` shows.

    Compiles with the active settings (WORKER_BASE_URL or WORKER_PORT from the environment,
    .env or --env-file), reads the server in four requests and sends only what differs (one
    bulk request for task definitions, one for workflows, one per schedule or handler):
    running it twice changes nothing the second time. Task definitions, schedules and event
    handlers are updated in place. A workflow version the server holds with other content is
    refused (bump the version: the new one is added beside the old, which stays for the
    executions that use it), and so is a schedule or event handler of that name that is not
    the project's, and a reference to an external workflow, sub-workflow or SIMPLE task that
    neither the server nor the code provides; then nothing is written. If the server refuses
    part of it, what was and was not registered is listed (exit 1).
    """
    from deploy_dsl.client.registration import RegistrationFailed, apply

    current = planned(definitions, env_file, lenient)
    api, result = current.api, current.plan
    if dry_run:
        echo_plan(result, prune=prune, allow_overwrite=allow_overwrite)
        _refuse_if_needed(result, allow_overwrite)
        return
    click.echo(f"Conductor: {api.url}", err=True)
    _refuse_if_needed(result, allow_overwrite)
    if prune:
        _confirm_prune(result, yes)

    def report(entry: Entry, outcome: str) -> None:
        click.echo(f"  {entry.label:44s} {outcome}")
        if outcome == "updated":
            echo_changes(entry)

    try:
        apply(api, result, report, allow_overwrite=allow_overwrite, prune=prune)
    except RegistrationFailed as error:
        click.echo(f"registration failed: {error}", err=True)
        if error.registered:
            click.echo("registered: " + ", ".join(i.label for i in error.registered), err=True)
        click.echo("not registered: " + ", ".join(i.label for i in error.not_registered), err=True)
        sys.exit(_EXIT_FAILED)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    counts = result.counts()
    summary = f"{counts['create']} created, {counts['update']} updated, {counts['unchanged']} "
    summary += "unchanged" + (f", {len(result.to_prune())} deleted" if prune else "")
    click.echo(f"registered ({summary}) in {api.requests} request(s)")
    left = [] if prune else result.to_prune()
    if left:
        click.echo(
            f"{len(left)} of the project's definitions on the server are not in the code "
            "(`deploy-dsl plan` lists them, `register --prune` deletes them)",
            err=True,
        )


def _refuse_if_needed(plan: Plan, allow_overwrite: bool) -> None:
    refusals = plan.refusals(allow_overwrite=allow_overwrite)
    if not refusals:
        return
    for reason in refusals:
        click.echo(f"refused: {reason}", err=True)
    click.echo(f"nothing was written to {plan.server}", err=True)
    sys.exit(_EXIT_FAILED)


def _confirm_prune(plan: Plan, yes: bool) -> None:
    doomed = plan.to_prune()
    if not doomed:
        return
    click.echo(f"--prune deletes {len(doomed)} definition(s) the code no longer has:")
    for entry in doomed:
        click.echo(f"  - {entry.label}")
    if yes:
        return
    if not sys.stdin.isatty():
        click.echo(
            "refused: --prune would delete the definitions above and there is no terminal to "
            "ask; pass --yes to delete them. Nothing was written.",
            err=True,
        )
        sys.exit(_EXIT_FAILED)
    if not click.confirm("Delete them?", default=False):
        click.echo("nothing was written", err=True)
        sys.exit(_EXIT_FAILED)

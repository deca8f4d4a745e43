"""`deploy-dsl register`: compile with the active settings and register through the SDK."""

from __future__ import annotations

import json
import sys

import click

from deploy_dsl.cli.common import (
    DEFINITIONS_OPTION,
    compile_definitions,
    connect,
    load_definitions,
    settings,
)
from deploy_dsl.errors import DeployDslError

__all__ = ["register"]

_EXIT_FAILED = 1


@click.command()
@DEFINITIONS_OPTION
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
def register(definitions: str, dry_run: bool) -> None:
    """Register task definitions, then workflows (callees first), through the SDK.

    Compiles with the active settings (WORKER_BASE_URL or WORKER_PORT from the environment or
    .env) and sends only what differs from the server, in one bulk request per kind: running
    it twice changes nothing the second time. Prints created / updated / unchanged per
    definition.
    """
    from deploy_dsl.client.registration import Item, RegistrationFailed, plan
    from deploy_dsl.client.registration import register as send

    active = settings()
    compiled = compile_definitions(load_definitions(definitions), active.compile_options())
    if compiled.errors:
        for finding in compiled.findings:
            click.echo(str(finding))
        raise click.ClickException(f"{len(compiled.errors)} validation error(s); nothing sent")
    api = connect(active)
    click.echo(f"Conductor: {api.url}", err=True)
    try:
        current = plan(compiled.workflows, compiled.taskdefs, api.workflow_defs(), api.task_defs())
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None

    def report(item: Item, outcome: str) -> None:
        click.echo(f"  {item.label:44s} {outcome}")

    if dry_run:
        for item in current.taskdefs + current.workflows:
            verb = "unchanged" if item.action == "unchanged" else f"would be {item.action}"
            click.echo(f"  {item.label:44s} {verb}")
        for kind, path in (
            ("taskdef", "POST /metadata/taskdefs"),
            ("workflow", "PUT /metadata/workflow"),
        ):
            items = current.to_send(kind)  # type: ignore[arg-type]
            if items:
                click.echo(f"would send {path} with {len(items)} definition(s):")
                click.echo(json.dumps([item.body for item in items], indent=2))
        return
    try:
        send(api, current, report)
    except RegistrationFailed as error:
        click.echo(f"registration failed: {error}", err=True)
        if error.registered:
            click.echo("registered: " + ", ".join(i.label for i in error.registered), err=True)
        click.echo("not registered: " + ", ".join(i.label for i in error.not_registered), err=True)
        sys.exit(_EXIT_FAILED)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    counts = {a: 0 for a in ("created", "updated", "unchanged")}
    for item in current.taskdefs + current.workflows:
        counts[item.action] += 1
    summary = ", ".join(f"{n} {a}" for a, n in counts.items())
    click.echo(f"registered ({summary}) in {api.requests} request(s)")

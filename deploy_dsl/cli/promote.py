"""`deploy-dsl promote`, in its two forms: `promote ID` lets a canary past its manual pause
(deploy_dsl.client.canary); `promote --from ENV --to ENV` carries the source's registered bytes
to the target (deploy_dsl.client.promotion). This is only their command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deploy_dsl.cli.canary import BY_OPTION, decide_pause
from deploy_dsl.cli.common import (
    DEFINITIONS_OPTION,
    ENV_FILE_OPTION,
    compile_definitions,
    connect,
    load_definitions,
    ownership,
    print_findings,
    settings,
)
from deploy_dsl.cli.plan import echo_plan
from deploy_dsl.errors import DeployDslError

if TYPE_CHECKING:
    from deploy_dsl.client.plan import Entry
    from deploy_dsl.client.promotion import Promotion

__all__ = ["promote"]

_EXIT_REFUSED = 1
_ENV = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.argument("workflow_id", required=False)
@click.option("--from", "source", type=_ENV, metavar="ENV_FILE",
              help="Settings of the server to promote from (staging).")  # fmt: skip
@click.option("--to", "target", type=_ENV, metavar="ENV_FILE",
              help="Settings of the server to promote to (production).")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Print the target's plan; write nothing.")
@click.option(
    "--allow-drift",
    is_flag=True,
    help="Promote what the source holds even where it differs from what the code compiles to "
    "(or lacks some of it: that part is not promoted).",
)
@click.option(
    "--allow-overwrite",
    is_flag=True,
    help="Let the source's bytes replace a workflow version the target holds with other "
    "content, or another owner's schedule or event handler.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@DEFINITIONS_OPTION
@click.option("--reason", metavar="TEXT", help="A canary's promotion: why (the pause records it).")
@BY_OPTION
@ENV_FILE_OPTION
def promote(
    workflow_id: str | None,
    source: Path | None,
    target: Path | None,
    dry_run: bool,
    allow_drift: bool,
    allow_overwrite: bool,
    as_json: bool,
    definitions: str,
    reason: str | None,
    by: str | None,
    env_file: Path | None,
) -> None:
    """Promote a canary past its pause, or definitions from one environment to the next.

    \b
    deploy-dsl promote WORKFLOW_ID [--reason TEXT] [--by NAME]
    deploy-dsl promote --from STAGING_ENV --to PROD_ENV [--dry-run] [--allow-drift] ...

    With WORKFLOW_ID: the canary (or a sub-workflow it runs) waiting at a manual pause goes on
    to its next step; with no pause waiting it says so and exits 1.

    With --from and --to: register on the --to server exactly what the --from server holds of
    the project's definitions: the bytes that ran there (workflow versions, task definitions,
    schedules, event handlers), not a new build. First the source is checked against the code
    (as `plan --env-file FROM` would): if it lacks or differs from what the code compiles to
    with its settings, nothing is promoted unless --allow-drift. Then the target's plan of the
    source's bytes is printed and applied with register's guard (a registered workflow version
    is never rewritten, nor another owner's schedule or handler, unless --allow-overwrite), and
    the target is read back to check it holds the same bytes (`diff --against` then reports no
    difference). Exit 0 when promoted (or nothing to do), 1 when refused or on an error.
    """
    canary = workflow_id is not None
    if canary and (source or target or dry_run or allow_drift or allow_overwrite or as_json):
        raise click.UsageError(
            "give WORKFLOW_ID (a canary's pause) or --from and --to (environments), not both"
        )
    if canary:
        assert workflow_id is not None
        decide_pause(workflow_id, promoted=True, by=by, reason=reason, env_file=env_file)
        return
    if source is None or target is None:
        raise click.UsageError(
            "promote needs WORKFLOW_ID (a canary), or --from ENV_FILE and --to ENV_FILE"
        )
    if reason is not None or by is not None or env_file is not None:
        raise click.UsageError("--reason, --by and --env-file are for a canary (WORKFLOW_ID)")
    _promote_environments(
        source, target, dry_run, allow_drift, allow_overwrite, as_json, definitions
    )


def _promote_environments(
    source: Path,
    target: Path,
    dry_run: bool,
    allow_drift: bool,
    allow_overwrite: bool,
    as_json: bool,
    definitions: str,
) -> None:
    from deploy_dsl.client.inventory import read_held
    from deploy_dsl.client.promotion import PromotionFailed, prepare
    from deploy_dsl.client.promotion import promote as carry

    project = load_definitions(definitions)
    sides = [settings(source), settings(target)]
    compiled = [compile_definitions(project, side.compile_options()) for side in sides]
    if compiled[0].errors:
        print_findings(compiled[0].findings)
        raise click.ClickException(f"{len(compiled[0].errors)} validation error(s); nothing sent")
    owner = ownership(definitions, compiled[0])
    apis = [connect(side) for side in sides]
    if apis[0].url == apis[1].url:
        raise click.ClickException(
            f"--from and --to both name {apis[0].url} (variables set in the environment win "
            "over an env file)"
        )
    externals = [(e.name, e.version) for e in project.externals]
    try:
        held = [read_held(api) for api in apis]
        promotion = prepare(
            held[0], held[1], compiled[0], compiled[1], ownership=owner, externals=externals
        )
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    refusals = promotion.refusals(allow_drift=allow_drift, allow_overwrite=allow_overwrite)
    outcomes: list[dict[str, Any]] = []
    if not as_json:
        click.echo(f"promote from {promotion.source} to {promotion.target}")
        for line in promotion.drift:
            click.echo(f"source: {line}", err=True)
        for note in promotion.notes:
            click.echo(f"note: {note}", err=True)
        echo_plan(promotion.plan, allow_overwrite=allow_overwrite)
    if refusals or dry_run:
        _finish(as_json, promotion, refusals, outcomes, dry_run)
        return

    def report(entry: Entry, outcome: str) -> None:
        row = {"kind": entry.kind, "name": entry.name, "version": entry.version}
        outcomes.append({**row, "outcome": outcome})
        if not as_json:
            click.echo(f"  {entry.label:44s} {outcome}")

    try:
        carry(apis[1], promotion, report, allow_overwrite=allow_overwrite, ownership=owner)
    except (PromotionFailed, DeployDslError) as error:
        raise click.ClickException(str(error)) from None
    _finish(as_json, promotion, [], outcomes, dry_run)


def _finish(
    as_json: bool,
    promotion: Promotion,
    refusals: list[str],
    outcomes: list[dict[str, Any]],
    dry_run: bool,
) -> None:
    if as_json:
        body = {
            "from": promotion.source,
            "to": promotion.target,
            "dryRun": dry_run,
            "refused": refusals,
            "sourceDrift": promotion.drift,
            "notes": promotion.notes,
            "promoted": outcomes,
        }
        click.echo(json.dumps(body, indent=2))
    elif refusals:
        for reason in refusals:
            click.echo(f"refused: {reason}", err=True)
        click.echo(f"nothing was written to {promotion.target}", err=True)
    elif not dry_run:
        counts = {o: sum(1 for x in outcomes if x["outcome"] == o) for o in ("created", "updated")}
        click.echo(
            f"promoted {len(outcomes)} definition(s) to {promotion.target} ({counts['created']} "
            f"created, {counts['updated']} updated, the rest unchanged); it now holds the "
            f"source's bytes"
        )
    if refusals:
        sys.exit(_EXIT_REFUSED)

"""`deploy-dsl history`: the executions a server has run, newest first, filtered."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from deploy_dsl.cli.common import ENV_FILE_OPTION, connect, settings
from deploy_dsl.errors import DeployDslError

__all__ = ["history"]

# One page of the server's search; a scope filter may page further to fill --limit.
_PAGE = 100
_MAX_PAGES = 10


@click.command()
@click.argument("workflow", required=False)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="STATUS",
    help="Only executions in this status (RUNNING, COMPLETED, FAILED, TIMED_OUT, TERMINATED, "
    "PAUSED); repeat for several.",
)
@click.option(
    "--since",
    metavar="WHEN",
    help="Only executions started since: a duration back from now ('30m', '2h', '1d') or a "
    "date or time ('2030-01-31', '2030-01-31T08:00', UTC unless it says otherwise).",
)
@click.option(
    "--scope",
    metavar="SERVICE",
    help="Only executions whose input deploys this scope (a deploy's own, or one of a "
    "pipeline's or rollout's services).",
)
@click.option("--correlation-id", metavar="ID", help="Only executions with this correlation id.")
@click.option("--limit", default=20, show_default=True, help="At most this many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@ENV_FILE_OPTION
def history(
    workflow: str | None,
    statuses: tuple[str, ...],
    since: str | None,
    scope: str | None,
    correlation_id: str | None,
    limit: int,
    as_json: bool,
    env_file: Path | None,
) -> None:
    """List the executions of WORKFLOW (or of every workflow), newest first: when each
    started, its version, status and duration, its id, its `outcome` output when it has one,
    and the schedule that started it. Sub-workflows are executions too (a rollout's waves,
    a pipeline's deploys).

    Searches the server's index (GET /api/workflow/search). Exit 0, with or without
    executions; 1 on an error.
    """
    from deploy_dsl.client.history import BadFilter, search_query, since_millis, summary

    if limit < 1:
        raise click.BadParameter("must be 1 or more", param_hint="--limit")
    try:
        since_ms = None if since is None else since_millis(since, int(time.time() * 1000))
        query = search_query(workflow, [s.upper() for s in statuses], since_ms, correlation_id)
    except BadFilter as error:
        raise click.UsageError(str(error)) from None
    api = connect(settings(env_file))
    found = []
    try:
        for page in range(_MAX_PAGES):
            answer = api.search(query, free_text=scope or "", size=_PAGE, start=page * _PAGE)
            results = answer.get("results") or []
            for item in results:
                row = summary(item)
                if scope is None or row.mentions_scope(scope):
                    found.append(row)
            if len(found) >= limit or len(results) < _PAGE:
                break
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    found = found[:limit]
    if as_json:
        click.echo(json.dumps([row.to_json() for row in found], indent=2))
        return
    for row in found:
        click.echo(row.line())
        if row.reason and row.status not in ("RUNNING", "COMPLETED"):
            click.echo(f"    reason: {row.reason}")
    click.echo(
        f"{len(found)} execution(s) on {api.url}"
        + (f" (--limit {limit})" if len(found) == limit else "")
    )

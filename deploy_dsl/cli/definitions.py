"""`deploy-dsl list`, `show` and `delete`: the definitions a server holds, as it holds them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deploy_dsl.cli.common import (
    DEFINITIONS_OPTION,
    ENV_FILE_OPTION,
    compile_definitions,
    connect,
    load_definitions,
    ownership,
    settings,
)
from deploy_dsl.errors import DeployDslError

if TYPE_CHECKING:
    from deploy_dsl.client.api import ConductorApi
    from deploy_dsl.client.inventory import Item

__all__ = ["delete", "list_", "show"]

_KIND = click.option(
    "--kind",
    type=click.Choice(["workflow", "taskdef", "schedule", "event_handler"]),
    help="Only definitions of this kind.",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
_HEADINGS = {
    "workflow": "workflows",
    "taskdef": "task definitions",
    "schedule": "schedules",
    "event_handler": "event handlers",
}


def _inventory(definitions: str, env_file: Path | None) -> tuple[ConductorApi, list[Item], str]:
    """The server's definitions, each marked the project's or not, and who the project is."""
    from deploy_dsl.client.inventory import items, read_held

    project = load_definitions(definitions)
    owner = ownership(definitions, compile_definitions(project))
    api = connect(settings(env_file))
    try:
        held = read_held(api)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    return api, items(held, owner, {w.name for w in project.workflows}), owner.describe()


@click.command("list")
@click.option("--all", "everything", is_flag=True, help="Every definition, not only the project's.")
@_KIND
@_JSON
@DEFINITIONS_OPTION
@ENV_FILE_OPTION
def list_(
    everything: bool,
    kind: str | None,
    as_json: bool,
    definitions: str,
    env_file: Path | None,
) -> None:
    """List the workflows (each name with its versions), task definitions, schedules and
    event handlers registered on the server: the project's (its owner email or name prefix,
    pyproject.toml [tool.deploy-dsl]; a schedule or handler that starts one of its workflows),
    or with --all everything. Four requests, however many the server holds.
    """
    api, found, owner = _inventory(definitions, env_file)
    shown = [i for i in found if (everything or i.owned) and (kind is None or i.kind == kind)]
    if as_json:
        rows = [{**_summary(i), "owned": i.owned} for i in shown]
        body = {"server": api.url, "owner": owner, "all": everything, "definitions": rows}
        click.echo(json.dumps(body, indent=2))
        return
    whose = "every definition" if everything else f"the project's definitions ({owner})"
    click.echo(f"{whose} on {api.url}")
    for heading_kind, heading in _HEADINGS.items():
        if kind is not None and heading_kind != kind:
            continue
        group = [i for i in shown if i.kind == heading_kind]
        click.echo(f"{heading} ({len(group)})")
        for line in _lines(group, everything):
            click.echo(f"  {line}")


def _summary(item: Item) -> dict[str, Any]:
    """What one line of the listing says, as JSON."""
    body = item.body
    summary: dict[str, Any] = {"kind": item.kind, "name": item.name, "version": item.version}
    if item.kind in ("workflow", "taskdef"):
        summary["ownerEmail"] = body.get("ownerEmail")
    if item.kind == "schedule":
        request = body.get("startWorkflowRequest") or {}
        summary |= {
            "cron": body.get("cronExpression"),
            "zone": body.get("zoneId"),
            "paused": bool(body.get("paused")),
            "starts": f"{request.get('name')} v{request.get('version', 'latest')}",
        }
    if item.kind == "event_handler":
        actions = [str(a.get("action")) for a in body.get("actions") or []]
        summary |= {"event": body.get("event"), "actions": actions, "active": body.get("active")}
    return summary


def _lines(group: Sequence[Item], everything: bool) -> list[str]:
    lines = []
    workflows: dict[str, list[Item]] = {}
    for item in group:
        if item.kind == "workflow":
            workflows.setdefault(item.name, []).append(item)
            continue
        summary = _summary(item)
        mark = "" if not everything or item.owned else "  (not the project's)"
        if item.kind == "taskdef":
            detail = str(summary["ownerEmail"] or "")
        elif item.kind == "schedule":
            state = "paused" if summary["paused"] else "active"
            detail = f"{summary['cron']} {summary['zone'] or 'UTC'}  starts {summary['starts']}"
            detail += f"  {state}"
        else:
            state = "active" if summary["active"] else "inactive"
            detail = f"on {summary['event']}  {', '.join(summary['actions'])}  {state}"
        lines.append(f"{item.name:40s} {detail}{mark}")
    for name, versions in workflows.items():
        numbers = ", ".join(f"v{i.version}" for i in versions)
        email = versions[-1].body.get("ownerEmail") or ""
        mark = "" if not everything or versions[-1].owned else "  (not the project's)"
        lines.append(f"{name:40s} {numbers}  {email}{mark}")
    return sorted(lines)


@click.command()
@click.argument("key", metavar="NAME[:VERSION]")
@_KIND
@_JSON
@DEFINITIONS_OPTION
@ENV_FILE_OPTION
def show(
    key: str, kind: str | None, as_json: bool, definitions: str, env_file: Path | None
) -> None:
    """Print the server's definition of NAME: a workflow (its latest version, or VERSION), a
    task definition, a schedule or an event handler, as JSON without the server's bookkeeping
    (create and update times and users), so it can be saved and compared. The first line,
    on stderr, says what it is and where. Exit 1 if the server has nothing of that name.
    """
    from deploy_dsl.canonical import canonical_json
    from deploy_dsl.client.inventory import NotRegistered, find, parse_key, stripped

    api, found, _ = _inventory(definitions, env_file)
    name, version = parse_key(key)
    candidates = [i for i in found if kind is None or i.kind == kind]
    try:
        item = find(candidates, name, version)
    except NotRegistered as error:
        raise click.ClickException(str(error)) from None
    body = stripped(item.body)
    if as_json:
        shown = {"server": api.url, "kind": item.kind, "name": item.name, "version": item.version}
        click.echo(json.dumps({**shown, "definition": body}, indent=2))
        return
    click.echo(f"{item.label} on {api.url}", err=True)
    click.echo(canonical_json(body), nl=False)


@click.command()
@click.argument("key", metavar="NAME:VERSION")
@click.option(
    "--force",
    is_flag=True,
    help="Delete it even while executions of it run (they go on with their own copy) or a "
    "schedule starts it.",
)
@_JSON
@ENV_FILE_OPTION
def delete(key: str, force: bool, as_json: bool, env_file: Path | None) -> None:
    """Delete one registered workflow version, NAME:VERSION, from the server.

    Refused (exit 1, nothing deleted) while executions of that version run or a schedule on
    the server starts it, unless --force; the other versions stay. `register --prune` is the
    way to delete what the project no longer defines.
    """
    from deploy_dsl.client.inventory import parse_key
    from deploy_dsl.client.ownership import started_workflows

    name, version = parse_key(key)
    if version is None:
        raise click.BadParameter(f"{key!r}: name the version, NAME:VERSION", param_hint="KEY")
    api = connect(settings(env_file))
    try:
        if api.workflow_def(name, version) is None:
            raise click.ClickException(f"workflow {name} v{version} is not registered on {api.url}")
        running = api.running(name, version)
        schedules = [
            str(s.get("name"))
            for s in api.schedules() or []
            if (name, version) in started_workflows(s)
        ]
        blockers = _blockers(running, schedules)
        if blockers and not force:
            raise click.ClickException(
                f"not deleting workflow {name} v{version}: {blockers} (--force deletes it anyway)"
            )
        api.delete_workflow_def(name, version)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        body = {"deleted": {"name": name, "version": version}, "running": running}
        click.echo(json.dumps({**body, "schedules": schedules}))
        return
    click.echo(f"deleted workflow {name} v{version} from {api.url}")
    if running or schedules:
        click.echo(f"warning: {_blockers(running, schedules)}", err=True)


def _blockers(running: Sequence[str], schedules: Sequence[str]) -> str:
    parts = []
    if running:
        shown = ", ".join(running[:3]) + (", ..." if len(running) > 3 else "")
        parts.append(f"{len(running)} execution(s) of it run ({shown})")
    if schedules:
        parts.append(f"schedule(s) {', '.join(schedules)} start it")
    return "; ".join(parts)

"""`deploy-dsl diff`: two registered versions of a workflow, or this server against another."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

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
    from deploy_dsl.client.comparison import Difference
    from deploy_dsl.client.diff import Change

__all__ = ["diff"]

_EXIT_DIFFERENT = 2
_STATES = {"only_first": "only on {first}", "only_second": "only on {second}", "differs": "differs"}


@click.command()
@click.argument("versions", nargs=-1, metavar="[NAME:V1 NAME:V2]")
@click.option(
    "--against",
    "against",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="ENV_FILE",
    help="Compare the server of the active settings with the server of ENV_FILE instead.",
)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="With --against: every definition, not only the project's.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@DEFINITIONS_OPTION
@ENV_FILE_OPTION
def diff(
    versions: tuple[str, ...],
    against: Path | None,
    everything: bool,
    as_json: bool,
    definitions: str,
    env_file: Path | None,
) -> None:
    """Show what differs between two registered versions of a workflow (NAME:V1 NAME:V2,
    field by field, tasks by reference, from V1 to V2), or with --against ENV_FILE between
    what this server and the server of ENV_FILE hold: the project's workflow versions, task
    definitions, schedules and event handlers (--all: everything), each the same, different
    (field by field) or only on one of them. The server's defaults and bookkeeping are not
    differences.

    Exit 0 when nothing differs, 2 when something does, 1 on an error (as `plan
    --detailed-exitcode`).
    """
    if against is not None:
        if versions:
            raise click.UsageError("give NAME:V1 NAME:V2 or --against ENV_FILE, not both")
        _servers(against, everything, as_json, definitions, env_file)
    elif len(versions) == 2:
        _versions(versions[0], versions[1], as_json, env_file)
    else:
        raise click.UsageError("give two versions, NAME:V1 NAME:V2, or --against ENV_FILE")


def _versions(first: str, second: str, as_json: bool, env_file: Path | None) -> None:
    from deploy_dsl.client.comparison import changes_between
    from deploy_dsl.client.inventory import parse_key

    (name, v1), (other, v2) = parse_key(first), parse_key(second)
    if v1 is None or v2 is None:
        raise click.UsageError("name both versions: NAME:V1 NAME:V2")
    api = connect(settings(env_file))
    try:
        bodies = [api.workflow_def(name, v1), api.workflow_def(other, v2)]
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    for (wanted, version), body in zip(((name, v1), (other, v2)), bodies, strict=True):
        if body is None:
            raise click.ClickException(
                f"workflow {wanted} v{version} is not registered on {api.url}"
            )
    assert bodies[0] is not None and bodies[1] is not None
    ignored = frozenset({"version"} | ({"name"} if name == other else set()))
    found = changes_between("workflow", bodies[0], bodies[1], ignore=ignored)
    if as_json:
        body = {
            "server": api.url,
            "from": {"name": name, "version": v1},
            "to": {"name": other, "version": v2},
            "changes": [change.to_json() for change in found],
        }
        click.echo(json.dumps(body, indent=2))
    else:
        click.echo(f"workflow {name} v{v1} -> {other} v{v2} on {api.url}")
        _echo_changes(found)
        click.echo(f"{len(found)} difference(s)" if found else "no differences")
    if found:
        sys.exit(_EXIT_DIFFERENT)


def _servers(
    against: Path, everything: bool, as_json: bool, definitions: str, env_file: Path | None
) -> None:
    from deploy_dsl.client.comparison import compare
    from deploy_dsl.client.inventory import items, read_held

    project = load_definitions(definitions)
    owner = ownership(definitions, compile_definitions(project))
    code = {w.name for w in project.workflows}
    first, second = connect(settings(env_file)), connect(settings(against))
    if first.url == second.url:
        raise click.ClickException(
            f"both settings name {first.url}: variables set in the environment win over "
            f"{against}; unset them to compare two servers"
        )
    try:
        held = [items(read_held(api), owner, code) for api in (first, second)]
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    # The project's on either side: one it lacks on the other is a difference too.
    keys = {i.key for side in held for i in side if everything or i.owned}
    ones, others = ([i for i in side if i.key in keys] for side in held)
    differences, same = compare(ones, others)
    if as_json:
        body = {
            "first": first.url,
            "second": second.url,
            "owner": None if everything else owner.describe(),
            "same": same,
            "differences": [d.to_json() for d in differences],
        }
        click.echo(json.dumps(body, indent=2))
    else:
        click.echo(f"{first.url} -> {second.url}")
        for difference in differences:
            _echo_difference(difference, first.url, second.url)
        what = "definitions" if everything else "of the project's definitions"
        summary = f"{len(differences)} differ, {same} the same" if differences else "no differences"
        click.echo(f"{summary} ({len(keys)} {what})")
    if differences:
        sys.exit(_EXIT_DIFFERENT)


def _echo_difference(difference: Difference, first: str, second: str) -> None:
    state = _STATES[difference.state].format(first=first, second=second)
    click.secho(f"  ~ {difference.label:44s} {state}", fg="yellow")
    _echo_changes(difference.changes)


def _echo_changes(changes: tuple[Change, ...] | list[Change]) -> None:
    for change in changes:
        click.secho(f"      {change.text()}", fg="yellow")

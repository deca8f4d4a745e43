"""`deploy-dsl plan`: what `register` would change on the server, field by field.

Also what `register` shares with it: computing the plan (compile with the active settings, two
reads of the server) and printing it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
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
    print_findings,
    settings,
)
from deploy_dsl.errors import DeployDslError

if TYPE_CHECKING:
    from deploy_dsl.client.api import ConductorApi
    from deploy_dsl.client.plan import Entry, Plan

__all__ = ["LENIENT_OPTION", "Planned", "echo_changes", "echo_plan", "plan", "planned"]

_EXIT_ERROR, _EXIT_CHANGES = 1, 2

LENIENT_OPTION = click.option(
    "--lenient",
    is_flag=True,
    help="Validate as `build --lenient` does (undeclared inputs, workflows and task "
    "definitions registered elsewhere are warnings): for definitions imported from JSON.",
)

_MARKS: dict[str, tuple[str, str | None]] = {
    "create": ("+", "green"),
    "update": ("~", "yellow"),
    "unchanged": ("=", None),
    "not_in_code": ("-", "red"),
    "other_version": ("·", None),
}


@dataclass(frozen=True)
class Planned:
    api: ConductorApi
    plan: Plan


def planned(definitions: str, env_file: Path | None, lenient: bool) -> Planned:
    """Compiles with the active settings (validation errors stop here, nothing is read) and
    compares with what the server holds."""
    from deploy_dsl.client.registration import read_plan

    active = settings(env_file)
    project = load_definitions(definitions)
    compiled = compile_definitions(project, active.compile_options(), strict=not lenient)
    if compiled.errors:
        print_findings(compiled.findings)
        raise click.ClickException(f"{len(compiled.errors)} validation error(s); nothing sent")
    owner = ownership(definitions, compiled)
    api = connect(active)
    externals = [(e.name, e.version) for e in project.externals]
    try:
        current = read_plan(api, compiled, externals=externals, ownership=owner)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    return Planned(api, current)


@click.command()
@DEFINITIONS_OPTION
@ENV_FILE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON object.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when nothing would change, 2 when something would, 1 on an error "
    "(as `terraform plan -detailed-exitcode`).",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Count the project's definitions not in the code as changes "
    "(what `register --prune` would delete).",
)
@LENIENT_OPTION
def plan(
    definitions: str,
    env_file: Path | None,
    as_json: bool,
    detailed_exitcode: bool,
    prune: bool,
    lenient: bool,
) -> None:
    """Show what `register` would change on the server, and change nothing.

    Compiles with the active settings and reads the server in four requests (every workflow
    version, task definition, schedule and event handler), however many it holds. For each
    task definition, workflow version, schedule and event handler: create, update (each field
    that would change, tasks named by reference; fields the server fills in itself are not
    changes, a field changed on the server by hand is, marked as drift), or unchanged. The
    project's own definitions on the server that the code no longer has are listed too
    (owned: the project's ownerEmail, or a name prefix in pyproject.toml [tool.deploy-dsl]; a
    schedule or event handler also when it starts one of the project's workflows). References
    that neither the server nor the code provides (external workflows, sub-workflows, SIMPLE
    task names, what a schedule starts) are errors: exit 1. The first line names the server.
    """
    current = planned(definitions, env_file, lenient)
    result = current.plan
    if as_json:
        click.echo(json.dumps(_as_json(current, prune), indent=2))
    else:
        echo_plan(result, prune=prune)
        click.echo(_summary(result, prune, current.api.requests))
    if result.problems:
        sys.exit(_EXIT_ERROR)
    if detailed_exitcode and result.has_changes(prune=prune):
        sys.exit(_EXIT_CHANGES)


def echo_plan(plan: Plan, *, prune: bool = False, allow_overwrite: bool = False) -> None:
    """The plan as text: the server, one line per definition, each change under it, errors."""
    click.echo(f"plan against {plan.server}")
    for entry in plan.entries:
        mark, colour = _MARKS[entry.action]
        line = f"  {mark} {entry.label:44s} {_verb(entry, prune, allow_overwrite)}"
        click.secho(line, fg=colour, dim=entry.action in ("unchanged", "other_version"))
        echo_changes(entry)
    for problem in plan.problems:
        click.secho(f"error: {problem}", fg="red", err=True)


def echo_changes(entry: Entry) -> None:
    for change in entry.changes:
        click.secho(f"      {change.text()}", fg="magenta" if change.drift else "yellow")


def _verb(entry: Entry, prune: bool, allow_overwrite: bool) -> str:
    if entry.action == "update" and entry.foreign:
        if allow_overwrite:
            return "update (takes over another owner's: --allow-overwrite)"
        return "update: register refuses (not the project's on the server; --allow-overwrite)"
    if entry.action == "update" and entry.rewrites_version:
        if allow_overwrite:
            return "update (overwrites the registered version: --allow-overwrite)"
        bump = entry.next_version
        return f"update: register refuses (bump the version to {bump}, or --allow-overwrite)"
    if entry.action == "not_in_code":
        if entry.used_by:
            return f"not in the definitions; kept, used by {', '.join(entry.used_by)}"
        return "not in the definitions: " + ("delete" if prune else "`register --prune` deletes")
    if entry.action == "other_version":
        return "other version on the server (kept)"
    return entry.action


def _summary(plan: Plan, prune: bool, requests: int) -> str:
    counts = plan.counts()
    parts = [
        f"{counts['create']} to create",
        f"{counts['update']} to update",
        f"{counts['unchanged']} unchanged",
        f"{counts['not_in_code']} not in the definitions",
    ]
    if prune:
        parts.append(f"{len(plan.to_prune())} to delete")
    errors = f"; {len(plan.problems)} error(s)" if plan.problems else ""
    return f"plan: {', '.join(parts)}{errors} ({requests} request(s))"


def _as_json(current: Planned, prune: bool) -> dict[str, Any]:
    result = current.plan
    definitions = []
    for entry in result.entries:
        item: dict[str, Any] = {
            "kind": entry.kind,
            "name": entry.name,
            "version": entry.version,
            "action": entry.action,
            "changes": [change.to_json() for change in entry.changes],
        }
        if entry.overwrites:
            item["refused"] = entry.refusal()
        if entry.action == "not_in_code":
            item["prunable"] = entry.prunable
            item["usedBy"] = list(entry.used_by)
        definitions.append(item)
    return {
        "server": result.server,
        "requests": current.api.requests,
        "changes": result.has_changes(prune=prune),
        "summary": result.counts(),
        "definitions": definitions,
        "errors": result.problems,
    }

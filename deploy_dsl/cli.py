"""The `deploy-dsl` command line (an edge: it reads files, prints, and exits).

Commands import what they need inside their bodies so that `deploy-dsl build` never pays for
the Conductor SDK.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import ClassVar

import click

from deploy_dsl.findings import Finding
from deploy_dsl.project import DEFAULT_DEFINITIONS

__all__ = ["main"]

DEFINITIONS_OPTION = click.option(
    "--definitions",
    "definitions",
    default=DEFAULT_DEFINITIONS,
    show_default=True,
    metavar="PKG_OR_DIR",
    help="Package name or directory of definition modules.",
)


class _LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or --help lists it), so that
    `build` does not pay for the SDK, the server launcher or the importer."""

    lazy: ClassVar[dict[str, str]] = {
        "register": "deploy_dsl.remote_cli:register",
        "run": "deploy_dsl.remote_cli:run",
        "status": "deploy_dsl.remote_cli:status",
        "import": "deploy_dsl.import_cli:import_",
        "server": "deploy_dsl.server_cli:server",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, attribute = self.lazy[cmd_name].split(":")
            command: click.Command = getattr(importlib.import_module(module_name), attribute)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="deploy-dsl")
def main() -> None:
    """Typed Python deployment workflows for Conductor: build, validate, register, run."""


def _print_findings(findings: list[Finding]) -> int:
    errors = 0
    for finding in findings:
        click.echo(str(finding))
        errors += finding.severity == "error"
    return errors


@main.command()
@DEFINITIONS_OPTION
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Output directory; replaced as a whole, and only if the build succeeds.",
)
@click.option(
    "--lenient",
    is_flag=True,
    help="Validate as for JSON files (undeclared inputs, workflows and task definitions "
    "registered elsewhere are warnings): for definitions imported from JSON.",
)
def build(definitions: str, out: Path, lenient: bool) -> None:
    """Compile definitions to canonical Conductor JSON (and docs) in OUT.

    Uses the default worker URL, never `.env`, so build/ is the same on every machine.
    Validation errors stop the build before anything is written.
    """
    from deploy_dsl.builder import build_files
    from deploy_dsl.loading import LoadError, load_definitions
    from deploy_dsl.output import write_tree

    try:
        project = load_definitions(definitions)
    except LoadError as error:
        raise click.ClickException(str(error)) from error
    compiled, files = build_files(project, strict=not lenient)
    if _print_findings(compiled.findings):
        raise click.ClickException(
            f"{len(compiled.errors)} validation error(s); {out}/ was left as it was"
        )
    write_tree(out, files)
    click.echo(
        f"built {len(compiled.workflows)} workflow(s) and {len(compiled.taskdefs)} task "
        f"definition(s) into {out}/ ({len(files)} files)"
    )


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@DEFINITIONS_OPTION
def validate(files: tuple[Path, ...], definitions: str) -> None:
    """Validate the project's definitions, or the given Conductor JSON FILES.

    Prints every finding, one per line, with its location; exits 1 if any is an error.
    For JSON files, undeclared inputs, unknown sub-workflows and HTTP tasks without a task
    definition are warnings (they may be declared elsewhere).
    """
    from deploy_dsl.compiler import compile_project
    from deploy_dsl.loading import LoadError, load_definitions, load_json_files
    from deploy_dsl.validation import Subject
    from deploy_dsl.validation import validate as run_validation

    try:
        if files:
            loaded = load_json_files(list(files))
            subject = Subject(
                workflows=loaded.workflows,
                taskdefs=loaded.taskdefs,
                locations=loaded.locations,
                strict=False,
            )
            findings = run_validation(subject)
            count = f"{len(loaded.workflows)} workflow(s), {len(loaded.taskdefs)} task def(s)"
        else:
            compiled = compile_project(load_definitions(definitions))
            findings = compiled.findings
            count = f"{len(compiled.workflows)} workflow(s), {len(compiled.taskdefs)} task def(s)"
    except LoadError as error:
        raise click.ClickException(str(error)) from error
    errors = _print_findings(findings)
    warnings = len(findings) - errors
    click.echo(f"checked {count}: {errors} error(s), {warnings} warning(s)")
    if errors:
        sys.exit(1)

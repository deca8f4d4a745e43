"""`deploy-dsl import`: the click command (registered on the main group by `deploy_dsl.cli`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from deploy_dsl.cli.common import one_line
from deploy_dsl.findings import Finding, printable
from deploy_dsl.validation import errors_in

__all__ = ["import_"]


@click.command("import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Package directory to write the modules into (created if missing).",
)
@click.option("--force", is_flag=True, help="Replace generated files that already exist in OUT.")
@click.option(
    "--no-format", is_flag=True, help="Do not run ruff (import sorting, formatting) on the result."
)
def import_(files: tuple[Path, ...], out: Path, force: bool, no_format: bool) -> None:
    """Convert Conductor JSON FILES (a workflow, a list of them, task definitions) to Python.

    Writes one module per workflow, a `taskdefs` module and an `__init__.py` into OUT, so that
    `deploy-dsl build --definitions OUT` compiles them back to the same JSON. Calls to
    workflows that are not among FILES become ExternalWorkflow declarations. Exits 1 if a
    definition could not be imported (the others are still written; when none could be,
    nothing is). The files are written all or none: a failure leaves OUT as it was.
    """
    from deploy_dsl.importer import ImportFailed, import_files
    from deploy_dsl.importer.output import format_with_ruff, write_package

    try:
        result = import_files(list(files))
        for message in result.warnings:
            click.echo(f"warning: {printable(message)}", err=True)
        if result.errors and not result.workflows and not result.taskdefs:
            # Nothing to write: an empty package would only be something half done.
            if len(result.errors) == 1:
                raise ImportFailed(f"{result.errors[0]}; nothing was written")
            _echo_errors(result.errors)
            raise ImportFailed(
                f"none of the {len(result.errors)} definitions could be imported; "
                "nothing was written"
            )
        _echo_errors(result.errors)
        paths = write_package(out, result.files, force=force)
    except ImportFailed as error:
        raise one_line(error) from error
    if not out.resolve().name.isidentifier():
        click.echo(f"warning: {out} is not a valid Python package name", err=True)
    formatted = not no_format and format_with_ruff(paths)
    click.echo(
        f"imported {len(result.workflows)} workflow(s) and {len(result.taskdefs)} task "
        f"definition(s) into {out}/ ({len(paths)} files, "
        f"{'formatted with ruff' if formatted else 'not formatted'}); "
        f"{len(result.warnings)} warning(s)"
    )
    _report_strict_findings(result.findings(), out)
    if result.errors:
        sys.exit(1)


def _echo_errors(messages: list[str]) -> None:
    for message in messages:
        click.echo(f"error: {printable(message)}", err=True)


def _report_strict_findings(findings: list[Finding], out: Path) -> None:
    errors = errors_in(findings)
    if not errors:
        return
    click.echo(
        f"`deploy-dsl build --definitions {out}` will report {len(errors)} error(s) for what the "
        "source JSON states (fix it there or in the modules, import what is missing too, or "
        f"build with --lenient to make them warnings as for JSON files):"
    )
    for finding in errors:
        click.echo(f"  {finding}")

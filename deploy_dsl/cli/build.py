"""`deploy-dsl build` and `deploy-dsl validate`: compile and check, never talk to a server."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from deploy_dsl.cli.common import (
    DEFINITIONS_OPTION,
    compile_definitions,
    load_definitions,
    one_line,
    print_findings,
    project,
    shown,
)
from deploy_dsl.errors import DeployDslError

__all__ = ["build", "validate"]


@click.command()
@DEFINITIONS_OPTION
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output directory; replaced as a whole, and only if the build succeeds [default: "
    "build-dir of [tool.deploy-dsl] in pyproject.toml, build/ beside it].",
)
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Also rewrite the generated diagram blocks of this Markdown file (`make build` "
    "passes README.md).",
)
@click.option(
    "--lenient",
    is_flag=True,
    help="Validate as for JSON files (undeclared inputs, workflows and task definitions "
    "registered elsewhere are warnings): for definitions imported from JSON.",
)
def build(definitions: str, out: Path | None, readme: Path | None, lenient: bool) -> None:
    """Compile definitions to canonical Conductor JSON (and docs) in OUT.

    Uses the default worker URL, never `.env`, so build/ is the same on every machine.
    Validation errors stop the build before anything is written. OUT is replaced as a whole,
    so it must be new, empty, or a previous build's output (it holds the `.deploy-dsl-build`
    marker file every build writes); never the working directory or the definitions' folder.
    """
    from deploy_dsl.workspace.build import build_files
    from deploy_dsl.workspace.files import read_text
    from deploy_dsl.workspace.output import check_build_output, write_build, write_text
    from deploy_dsl.workspace.readme import updated_readme

    if out is None:
        out = Path(shown(project(definitions).build_dir))
    loaded = load_definitions(definitions)
    protected = _definition_dirs(definitions)
    try:
        # Refused before compiling: a wrong --out is said at once, whatever the definitions.
        check_build_output(out, protected)
    except DeployDslError as error:
        raise one_line(error) from None
    try:
        compiled, files = build_files(loaded, strict=not lenient)
    except DeployDslError as error:
        raise one_line(error) from None
    if print_findings(compiled.findings):
        raise click.ClickException(
            f"{len(compiled.errors)} validation error(s); {out}/ was left as it was"
        )
    try:
        # Rendered before anything is written: a bad block must not leave a half-done build.
        old = read_text(readme, what="README") if readme else None
        new = updated_readme(old, compiled, readme, out) if readme and old is not None else None
        note = write_build(out, files, protected)
    except DeployDslError as error:
        raise one_line(DeployDslError(f"{error}; {out}/ was left as it was")) from None
    if note:
        click.echo(f"note: {note}", err=True)
    if readme and new is not None and new != old:
        try:
            write_text(readme, new)
        except DeployDslError as error:
            raise one_line(error) from None
        click.echo(f"rewrote the generated diagram in {readme}")
    parts = [
        f"{len(compiled.workflows)} workflow(s)",
        f"{len(compiled.taskdefs)} task definition(s)",
    ]
    if compiled.schedules or compiled.event_handlers:
        parts += [
            f"{len(compiled.schedules)} schedule(s)",
            f"{len(compiled.event_handlers)} event handler(s)",
        ]
    built = f"{', '.join(parts[:-1])} and {parts[-1]}"
    click.echo(f"built {built} into {out}/ ({len(files)} files)")


def _definition_dirs(definitions: str) -> list[Path]:
    """The folders the definitions were loaded from (a directory, or a package's path)."""
    if Path(definitions).is_dir():
        return [Path(definitions)]
    package = sys.modules.get(definitions)
    return [Path(folder) for folder in getattr(package, "__path__", [])]


@click.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@DEFINITIONS_OPTION
def validate(files: tuple[Path, ...], definitions: str) -> None:
    """Validate the project's definitions, or the given Conductor JSON FILES.

    Prints every finding, one per line, with its location; exits 1 if any is an error.
    For JSON files, undeclared inputs, unknown sub-workflows and HTTP tasks without a task
    definition are warnings (they may be declared elsewhere).
    """
    from deploy_dsl.validation import Subject
    from deploy_dsl.validation import validate as run_validation
    from deploy_dsl.workspace.json_files import load_json_files

    if files:
        try:
            loaded = load_json_files(list(files))
        except DeployDslError as error:
            raise one_line(error) from None
        subject = Subject(
            workflows=loaded.workflows,
            taskdefs=loaded.taskdefs,
            locations=loaded.locations,
            strict=False,
        )
        findings = run_validation(subject)
        count = f"{len(loaded.workflows)} workflow(s), {len(loaded.taskdefs)} task def(s)"
    else:
        compiled = compile_definitions(load_definitions(definitions))
        findings = compiled.findings
        count = f"{len(compiled.workflows)} workflow(s), {len(compiled.taskdefs)} task def(s)"
    errors = print_findings(findings)
    warnings = len(findings) - errors
    click.echo(f"checked {count}: {errors} error(s), {warnings} warning(s)")
    if errors:
        sys.exit(1)

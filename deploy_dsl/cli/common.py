"""What several commands share: options, loading definitions, settings and the server API."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from deploy_dsl.errors import DeployDslError
from deploy_dsl.findings import Finding, printable
from deploy_dsl.project import Project
from deploy_dsl.workspace.config import ProjectConfig, load_config

if TYPE_CHECKING:
    from deploy_dsl.client.api import ConductorApi
    from deploy_dsl.client.ownership import Ownership
    from deploy_dsl.client.settings import Settings
    from deploy_dsl.compiler import Compiled
    from deploy_dsl.task import CompileOptions

__all__ = [
    "DEFINITIONS_OPTION",
    "ENV_FILE_OPTION",
    "compile_definitions",
    "connect",
    "load_definitions",
    "one_line",
    "ownership",
    "print_findings",
    "project",
    "settings",
    "shown",
]


def project(definitions: str | None = None) -> ProjectConfig:
    """The `[tool.deploy-dsl]` of the project: the one around a definitions directory given on
    the command line, else around the working directory."""
    start = Path(definitions) if definitions and Path(definitions).is_dir() else None
    try:
        return load_config(start)
    except DeployDslError as error:
        raise one_line(error) from None


def _project_definitions(
    _context: click.Context, _parameter: click.Parameter, value: str | None
) -> str:
    return value if value is not None else project().definitions


DEFINITIONS_OPTION = click.option(
    "--definitions",
    "definitions",
    default=None,
    callback=_project_definitions,
    metavar="PKG_OR_DIR",
    help="Package name or directory of definition modules [default: definitions of "
    "[tool.deploy-dsl] in pyproject.toml, definitions/ beside it].",
)


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# Every command that talks to a server takes it: CI plans and registers the same build against
# staging, then production, with one settings file each.
ENV_FILE_OPTION = click.option(
    "--env-file",
    "env_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Read settings from FILE instead of .env (variables set in the environment still "
    "win, as over .env).",
)


def one_line(error: DeployDslError) -> click.ClickException:
    """The error as click prints it: one line (control characters from the user's input, such as
    a newline in a JSON key, escaped), unless `--traceback` asked for the whole story (then the
    caller's `raise ... from error` keeps the chain and the trace is shown)."""
    context = click.get_current_context(silent=True)
    root = context.find_root() if context else None
    if root is not None and (root.obj or {}).get("traceback"):
        raise error
    return click.ClickException(printable(str(error)))


def load_definitions(source: str) -> Project:
    from deploy_dsl.workspace.loader import load_project

    try:
        return load_project(source)
    except DeployDslError as error:
        raise one_line(error) from None


def compile_definitions(
    project: Project, options: CompileOptions | None = None, *, strict: bool = True
) -> Compiled:
    """Compiles and validates; a definition that cannot be compiled is one line with its place."""
    from deploy_dsl.compiler import compile_project

    try:
        return compile_project(project, options, strict=strict)
    except DeployDslError as error:
        raise one_line(error) from None


def ownership(definitions: str, compiled: Compiled) -> Ownership:
    """What the project owns on a server: `[tool.deploy-dsl]` in its pyproject.toml, else
    the owner emails its definitions state."""
    from deploy_dsl.client.ownership import Ownership
    from deploy_dsl.wire import dump

    config = project(definitions)
    if config.states_ownership:
        return Ownership(frozenset(config.owner_emails), config.name_prefixes)
    return Ownership.of_definitions([dump(d) for d in [*compiled.workflows, *compiled.taskdefs]])


def print_findings(findings: Sequence[Finding]) -> int:
    """Prints every finding on its own line; returns how many are errors."""
    errors = 0
    for finding in findings:
        click.echo(str(finding))
        errors += finding.severity == "error"
    return errors


def settings(env_file: Path | None = None) -> Settings:
    from deploy_dsl.client.settings import load_settings

    try:
        return load_settings(env_file)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None


def connect(active: Settings | None = None) -> ConductorApi:
    """The server of the active settings, through the SDK."""
    from deploy_dsl.client.api import ConductorApi

    try:
        return ConductorApi((active or settings()).connection())
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None

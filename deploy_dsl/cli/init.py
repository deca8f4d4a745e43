"""`deploy-dsl init [DIR]`: a new project that uses deploy-dsl, ready for its daily loop."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import click

from deploy_dsl.cli.common import one_line, shown
from deploy_dsl.cli.extras import DISTRIBUTION
from deploy_dsl.errors import DeployDslError

__all__ = ["init", "requirement"]

DEFAULT_OWNER_EMAIL = "platform-team@example.com"


def requirement(version: str | None) -> str:
    """The new project's dependency: this release, up to the next one that may break it (the
    next minor release before 1.0, the next major after)."""
    base = f"{DISTRIBUTION}[server]"
    numbers = re.match(r"(\d+)\.(\d+)", version or "")
    if version is None or numbers is None:
        return base
    major, minor = int(numbers.group(1)), int(numbers.group(2))
    bound = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}"
    return f"{base}>={version},<{bound}"


def _installed_version() -> str | None:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


@click.command()
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."), required=False
)
@click.option("--name", default=None, help="The project's name [default: DIRECTORY's name].")
@click.option(
    "--owner-email",
    default=DEFAULT_OWNER_EMAIL,
    show_default=True,
    help="The ownerEmail of every definition: who owns them on a shared server.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write into a directory that is not empty: the new files replace those of the same "
    "name, the others are kept.",
)
def init(directory: Path, name: str | None, owner_email: str, force: bool) -> None:
    """Write a new project into DIRECTORY (default: here), which must be empty.

    \b
    It holds: pyproject.toml (its dependency on deploy-dsl, [tool.deploy-dsl]),
    definitions/deploy.py (deploy_service: release, health check, roll back; its TaskDefs),
    workers/ (the Python functions that answer its SIMPLE tasks), tests/flows/ (a flow test
    of each outcome), build/ (compiled here), samples/, .env.example, a Makefile with the
    daily loop (install, build, test, up, plan, register, deploy), a GitHub Actions workflow
    (build --strict, the tests, plan --detailed-exitcode) and a README saying how to work in
    it.
    """
    from deploy_dsl.scaffold import Values, project_name, write_project

    values = Values(name or project_name(directory), owner_email, requirement(_installed_version()))
    try:
        written = write_project(directory, values, force=force)
    except DeployDslError as error:
        raise one_line(error) from None
    where = shown(directory)
    click.echo(f"wrote {len(written)} files into {where}/ (project {values.name})")
    # As the user will: a fresh process in the project, which finds its pyproject.toml.
    done = subprocess.run([sys.executable, "-m", "deploy_dsl", "build"], cwd=directory, check=False)
    if done.returncode != 0:
        raise click.ClickException(
            f"the project was written, but `deploy-dsl build` in {where} failed"
        )
    click.echo("\nnext:")
    if where != ".":
        click.echo(f"  cd {where}")
    click.echo("  make install   # .venv with deploy-dsl[server] and pytest")
    click.echo("  make test      # flow tests on a local Conductor")
    click.echo("  make up && make register && make deploy")

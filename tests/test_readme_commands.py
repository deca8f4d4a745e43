"""The README's command table and the CLI agree: every command is listed, every option shown
exists, and every command that talks to a server takes --env-file."""

from __future__ import annotations

import re

import click
import pytest

from deploy_dsl.cli import main
from tests.conftest import REPO_ROOT

_ROW = re.compile(r"^\| `deploy-dsl ([^`]+)` \|", re.MULTILINE)
SERVER_COMMANDS = (
    "plan", "register", "run", "status", "approve", "reject", "terminate", "retry", "dashboard",
    "pause", "resume", "restart", "rerun", "history", "list", "show", "diff", "delete",
)  # fmt: skip


def _rows() -> dict[str, set[str]]:
    """Command (as `server up|down|status` is one row, its first word) -> options shown."""
    rows: dict[str, set[str]] = {}
    for usage in _ROW.findall((REPO_ROOT / "README.md").read_text(encoding="utf-8")):
        words = usage.replace("\\|", "|").split()
        name = " ".join(words[:2]) if words[0] == "server" and words[1] == "worker" else words[0]
        rows[name] = set(re.findall(r"--[a-z][a-z-]*", usage))
    return rows


def _command(name: str) -> click.Command:
    context = click.Context(main)
    command = main.get_command(context, name.split()[0])
    assert command is not None, name
    if " " in name:
        assert isinstance(command, click.Group)
        found = command.get_command(context, name.split()[1])
        assert found is not None, name
        return found
    return command


def _options(command: click.Command) -> set[str]:
    return {opt for param in command.params for opt in getattr(param, "opts", [])}


def test_every_command_is_in_the_table() -> None:
    listed = {name.split()[0] for name in _rows()}
    assert listed == set(main.list_commands(click.Context(main)))


@pytest.mark.parametrize("name", sorted(_rows()))
def test_the_options_shown_exist(name: str) -> None:
    missing = _rows()[name] - _options(_command(name))
    assert not missing, f"README shows {sorted(missing)} for `deploy-dsl {name}`"


@pytest.mark.parametrize("name", SERVER_COMMANDS)
def test_commands_that_talk_to_a_server_take_env_file(name: str) -> None:
    assert "--env-file" in _options(_command(name))

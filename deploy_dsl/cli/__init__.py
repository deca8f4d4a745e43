"""The `deploy-dsl` command line (an edge: it reads files, talks to servers, prints, exits).

One module per noun; each is imported only when its command runs (or `--help` lists it), so
that `deploy-dsl build` never pays for the SDK, the server launcher or the importer.
"""

from __future__ import annotations

import importlib
from typing import ClassVar

import click

__all__ = ["main"]


class _LazyGroup(click.Group):
    lazy: ClassVar[dict[str, str]] = {
        "build": "deploy_dsl.cli.build:build",
        "validate": "deploy_dsl.cli.build:validate",
        "plan": "deploy_dsl.cli.plan:plan",
        "register": "deploy_dsl.cli.register:register",
        "run": "deploy_dsl.cli.run:run",
        "status": "deploy_dsl.cli.run:status",
        "terminate": "deploy_dsl.cli.executions:terminate",
        "retry": "deploy_dsl.cli.executions:retry",
        "pause": "deploy_dsl.cli.executions:pause",
        "resume": "deploy_dsl.cli.executions:resume",
        "restart": "deploy_dsl.cli.executions:restart",
        "rerun": "deploy_dsl.cli.executions:rerun",
        "history": "deploy_dsl.cli.history:history",
        "list": "deploy_dsl.cli.definitions:list_",
        "show": "deploy_dsl.cli.definitions:show",
        "delete": "deploy_dsl.cli.definitions:delete",
        "diff": "deploy_dsl.cli.diff:diff",
        "promote": "deploy_dsl.cli.promote:promote",
        "approve": "deploy_dsl.cli.approvals:approve",
        "reject": "deploy_dsl.cli.approvals:reject",
        "abort": "deploy_dsl.cli.canary:abort",
        "import": "deploy_dsl.cli.importing:import_",
        "init": "deploy_dsl.cli.init:init",
        "server": "deploy_dsl.cli.server:server",
        "dashboard": "deploy_dsl.cli.dashboard:dashboard",
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
@click.option(
    "--traceback",
    is_flag=True,
    help="On an error in a definition, show Python's full traceback, not the one line.",
)
@click.pass_context
def main(ctx: click.Context, traceback: bool) -> None:
    """Typed Python deployment workflows for Conductor: build, validate, plan, register, run."""
    from deploy_dsl.cli.redaction import redact_standard_streams

    # Before anything can print: whatever a server sends back, no credential is shown.
    redact_standard_streams()
    ctx.obj = {"traceback": traceback}

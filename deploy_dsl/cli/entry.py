"""The console script's entry point: process-wide settings, then the CLI."""

from __future__ import annotations

import gc
import os

__all__ = ["main"]


def main() -> None:
    # pydantic looks up plugins by scanning every installed package's entry points when the
    # first model is defined: a large share of `deploy-dsl build`'s start-up. The CLI process
    # has no use for plugins, so it opts out before anything imports pydantic.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # Importing pydantic and the definitions allocates many objects and no garbage worth a
    # cycle collection; most commands exit within a second. `run --wait` turns it back on.
    gc.disable()
    from deploy_dsl.cli import main as cli

    cli()

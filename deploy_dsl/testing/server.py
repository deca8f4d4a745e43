"""The Conductor server flow tests run on: the one the project's settings name (CONDUCTOR_PORT,
CONDUCTOR_BASE_URL, `.env`), as for the end-to-end tests. Flow tests never call a worker, so
none is started.

A local server that does not answer is started as `deploy-dsl server up` starts it (from the
project's layout: its state directory, the user's jar cache), saying so first, and is left
running: the next test run finds it up and starts in seconds, where stopping it at the end of
each session made every run pay the server's whole start.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable

from deploy_dsl.client.settings import LOCAL_HOSTS, Connection, load_settings
from deploy_dsl.local import stack as local_stack
from deploy_dsl.local.layout import Layout
from deploy_dsl.testing.errors import FlowTestError

__all__ = ["flow_server"]


def flow_server(say: Callable[[str], None], layout: Layout) -> Connection:
    """The connection to the settings' server, started first if it is local and down; `say`
    shows lines on the terminal (the start's announcement and progress)."""
    settings = load_settings()
    url = settings.conductor_url
    if not local_stack.healthy(url):
        if urllib.parse.urlsplit(url).hostname not in LOCAL_HOSTS:
            raise FlowTestError(
                f"Conductor does not answer at {url}, and flow tests start a server only on "
                "localhost"
            )
        say(
            f"Conductor does not answer at {url}: starting it as `deploy-dsl server up` does "
            "(the first start takes longest); it stays up for the next runs, "
            "`deploy-dsl server down` stops it"
        )
        ports = local_stack.Ports(settings.local_conductor_port, worker=None)
        local_stack.up(ports, progress=say, layout=layout)
        if not local_stack.healthy(url):
            raise FlowTestError(f"Conductor does not answer at {url} after `server up`")
    return settings.connection()

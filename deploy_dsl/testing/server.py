"""The Conductor server flow tests run on: the one the project's settings name (CONDUCTOR_PORT,
CONDUCTOR_BASE_URL, `.env`), as for the end-to-end tests. A local one that does not answer is
started for the session (from the project's layout: its state directory, the user's jar cache)
and stopped afterwards; flow tests never call a worker, so none is started."""

from __future__ import annotations

import contextlib
import urllib.parse
from collections.abc import Callable, Iterator

from deploy_dsl.client.settings import LOCAL_HOSTS, Connection, load_settings
from deploy_dsl.local import stack as local_stack
from deploy_dsl.local.layout import Layout
from deploy_dsl.testing.errors import FlowTestError

__all__ = ["flow_server"]


@contextlib.contextmanager
def flow_server(progress: Callable[[str], None], layout: Layout) -> Iterator[Connection]:
    """The connection to the settings' server for the length of a block."""
    settings = load_settings()
    url = settings.conductor_url
    if local_stack.healthy(url):
        yield settings.connection()
        return
    if urllib.parse.urlsplit(url).hostname not in LOCAL_HOSTS:
        raise FlowTestError(
            f"Conductor does not answer at {url}, and flow tests start a server only on localhost"
        )
    progress(f"Conductor does not answer at {url}: starting the local stack")
    ports = local_stack.Ports(settings.local_conductor_port, worker=None)
    with local_stack.started_for(ports, progress=progress, layout=layout):
        if not local_stack.healthy(url):
            raise FlowTestError(f"Conductor does not answer at {url} after `server up`")
        yield settings.connection()

"""The real stack for the end-to-end tests: Conductor OSS and the mock worker, registered once.

CI starts both (`make up`) before `make test`; the session then uses them as they are. On a
machine where they do not answer, the session starts them (the first time fetches the server
jar, ~460 MB) and stops what it started when it ends. Ports and URLs come from the project's
settings, so `CONDUCTOR_PORT=18080 WORKER_PORT=13000 make test` runs on those ports.
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Iterator

import pytest

from deploy_dsl.client.settings import LOCAL_HOSTS, load_settings
from deploy_dsl.local import stack as local_stack
from deploy_dsl.local.prometheus import HEALTH_PATH as PROMETHEUS_HEALTH
from tests.e2e.support import (
    CliResult,
    Conductor,
    Stack,
    WorkerClient,
    healthy,
    progress,
    run_cli,
)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The servers of the project's settings (CONDUCTOR_PORT, WORKER_PORT, the URLs, `.env`)."""
    settings = load_settings()
    here = Stack(
        settings.conductor_url,
        settings.worker_url,
        settings.local_conductor_port,
        settings.local_worker_port,
    )
    if healthy(here.conductor_url) and healthy(here.worker_url):
        yield here
        return
    for name, url in (
        ("CONDUCTOR_BASE_URL", here.conductor_url),
        ("WORKER_BASE_URL", here.worker_url),
    ):
        if urllib.parse.urlsplit(url).hostname not in LOCAL_HOSTS:
            pytest.fail(
                f"{name} {url} does not answer and is not local: the end-to-end tests start a "
                "local stack only on localhost"
            )
    progress(f"starting the local stack (running now: {local_stack.running() or 'nothing'})")
    ports = local_stack.Ports(here.conductor_port, here.worker_port)
    with local_stack.started_for(ports, progress=progress):
        for name, url in (("Conductor", here.conductor_url), ("the worker", here.worker_url)):
            assert healthy(url), f"{name} does not answer at {url} after `server up`"
        yield here


@pytest.fixture(scope="session")
def prometheus(stack: Stack) -> Iterator[str]:
    """The local Prometheus of the settings (PROMETHEUS_PORT), scraping the worker: `make up`
    starts it; when it does not answer the session starts it, and stops it at the end."""
    settings = load_settings()
    url = settings.prometheus_url
    if local_stack.healthy(url, PROMETHEUS_HEALTH):
        yield url
        return
    ports = local_stack.Ports(
        stack.conductor_port, stack.worker_port, prometheus=settings.local_prometheus_port
    )
    with local_stack.started_for(ports, progress=progress):
        assert local_stack.healthy(url, PROMETHEUS_HEALTH), (
            f"Prometheus does not answer at {url} after `server up` (is it installed? "
            "`make install` installs it)"
        )
        yield url


@pytest.fixture(scope="session")
def conductor(stack: Stack) -> Conductor:
    return Conductor(load_settings().connection())


@pytest.fixture(scope="session")
def worker(stack: Stack) -> WorkerClient:
    return WorkerClient(stack.worker_url)


@pytest.fixture(scope="session")
def registered(stack: Stack) -> CliResult:
    """Every definition registered through the real CLI, once per session."""
    result = run_cli("register")
    assert result.returncode == 0, str(result)
    return result


@pytest.fixture
def unique() -> str:
    """A suffix that keeps each test's scopes apart from every other test and run."""
    return uuid.uuid4().hex[:8]

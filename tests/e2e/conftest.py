"""The real stack for the end-to-end tests: Conductor OSS and the mock worker, registered once.

CI starts both (`make up`) before `make test`; the session then uses them as they are. On a
machine where they do not answer, the session starts them with `local_server.up()` (the first
time fetches the server jar, ~460 MB) and stops what it started when it ends.
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Iterator

import pytest

from deploy_dsl import local_server
from deploy_dsl.settings import DEFAULT_CONDUCTOR_URL, load_settings
from tests.e2e.support import (
    CliResult,
    Conductor,
    Stack,
    WorkerClient,
    healthy,
    progress,
    run_cli,
    stop_local,
)

LOCAL_HOSTS = {"localhost", "127.0.0.1"}


def _port(url: str, name: str) -> int:
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in LOCAL_HOSTS:
        pytest.fail(
            f"{name} {url} does not answer and is not local: the end-to-end tests start a "
            "local stack only on localhost"
        )
    return parts.port or 80


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    settings = load_settings()
    conductor_url = settings.conductor_base_url or DEFAULT_CONDUCTOR_URL
    conductor_url = conductor_url.rstrip("/").removesuffix("/api")
    worker_url = settings.worker_base_url.rstrip("/")
    if healthy(conductor_url) and healthy(worker_url):
        parts = urllib.parse.urlsplit(conductor_url), urllib.parse.urlsplit(worker_url)
        yield Stack(conductor_url, worker_url, parts[0].port or 80, parts[1].port or 80)
        return
    ports = _port(conductor_url, "CONDUCTOR_BASE_URL"), _port(worker_url, "WORKER_BASE_URL")
    running = {p.name for p in local_server.status(*ports) if p.running}
    progress(f"starting the local stack (already running: {sorted(running) or 'nothing'})")
    local_server.up(*ports, progress=progress)
    stack = Stack(conductor_url, worker_url, *ports)
    for name, url in (("Conductor", conductor_url), ("the worker", worker_url)):
        # e.g. `server up` had already started it on another port
        assert healthy(url), f"{name} does not answer at {url} after `server up`"
    try:
        yield stack
    finally:
        started = {"conductor", "worker"} - running
        if len(started) == 2:
            local_server.down(progress)
        elif started:
            stop_local(started.pop(), stack)


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

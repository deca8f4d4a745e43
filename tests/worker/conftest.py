"""Shared fixtures: workers under real gunicorn (two processes each) and fresh deployments."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator

import pytest
from worker_harness import Worker, running_worker


@pytest.fixture(scope="session")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """Default settings except a short provisioning delay."""
    with running_worker(tmp_path_factory.mktemp("worker")) as running:
        yield running


@pytest.fixture(scope="session")
def configured_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """Another health prefix and faults from configuration, no provisioning delay."""
    with running_worker(
        tmp_path_factory.mktemp("configured-worker"),
        WORKER_PROVISION_DELAY_SECONDS="0",
        WORKER_HEALTHY_SCOPE_PREFIX="app-",
        WORKER_FAULTS="swap_traffic:fail=2; notify_success:delay=0.4",
    ) as running:
        yield running


_counter = itertools.count()


@pytest.fixture
def new_deployment() -> Callable[..., dict[str, str]]:
    """A fresh deployment body each call, unique across tests and runs."""

    def make(scope_prefix: str = "svc-", **fields: str) -> dict[str, str]:
        unique = f"{next(_counter)}-{uuid.uuid4().hex[:8]}"
        body = {
            "scope": f"{scope_prefix}{unique}",
            "version": "1.0.0",
            "env": "test",
            "deploymentId": f"wf-{unique}",
        }
        return body | fields

    return make

"""The real cluster for its end-to-end tests: PostgreSQL, two Conductor nodes, the worker and
the keeper, as `deploy-dsl server up --backend postgres --nodes 2` starts them.

Started once, for this package's tests, unless it already runs (the first start initialises
PostgreSQL in `.state/cluster/` and takes 30-90 s on a 2-core machine); what was started is
stopped when the package's tests end, so the rest of the suite does not share the machine with
two more JVMs.
Ports come from the settings: CLUSTER_CONDUCTOR_PORT, CLUSTER_WORKER_PORT, CLUSTER_POSTGRES_PORT.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deploy_dsl.client.settings import load_settings
from deploy_dsl.local import cluster as local_cluster
from deploy_dsl.local.layout import Layout
from tests.e2e.cluster.support import NODES, Cluster
from tests.e2e.support import CliResult, healthy, progress


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    settings = load_settings()
    ports = local_cluster.ClusterPorts(
        settings.cluster_conductor_port,
        settings.cluster_worker_port,
        settings.cluster_postgres_port,
    )
    layout = Layout.of_project()
    before = frozenset(local_cluster.running(layout))
    progress(f"cluster: running now: {sorted(before) or 'nothing'}")
    with local_cluster.started_for(ports, NODES, progress=progress, layout=layout) as urls:
        assert urls.worker is not None, "this repository's pyproject.toml names its worker"
        for url in (*urls.nodes, urls.worker):
            assert healthy(url), f"{url} does not answer after `server up --backend postgres`"
        here = Cluster(urls, ports, layout, before, tmp_path_factory.mktemp("cluster-env"))
        yield here
        here.restore()


@pytest.fixture(scope="package")
def cluster_registered(cluster: Cluster) -> CliResult:
    """The project's definitions registered through node 1 by the real CLI, once."""
    result = cluster.cli(1, "register")
    assert result.returncode == 0, str(result)
    return result

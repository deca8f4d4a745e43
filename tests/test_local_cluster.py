"""The local cluster's launcher without Conductor: node properties, ports, status of nothing,
and a real throwaway PostgreSQL for initdb/start/stop and the keeper's release statement."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from deploy_dsl.cli.server import server
from deploy_dsl.local import cluster
from deploy_dsl.local.jar import LocalServerError
from deploy_dsl.local.keeper import release_stale_work
from deploy_dsl.local.layout import Layout
from deploy_dsl.local.node import LOCK_LEASE_MS, render_postgres_properties
from deploy_dsl.local.postgres import Database, PostgresServer, find_postgres
from deploy_dsl.workspace.config import WorkerApp
from tests.conftest import REPO_ROOT


def _parse(text: str) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in text.splitlines() if not line.startswith("#")]
    return dict(pairs)


def test_node_properties_put_everything_on_postgres() -> None:
    database = Database(15432, "pw-123")
    properties = _parse(render_postgres_properties(8181, database, 2))
    assert properties["server.port"] == "8181"
    assert properties["server.address"] == "127.0.0.1"
    for store in ("db", "queue", "indexing"):
        assert properties[f"conductor.{store}.type"] == "postgres"
    assert properties["conductor.indexing.enabled"] == "true"
    assert properties["conductor.workflow-execution-lock.type"] == "postgres"
    assert properties["spring.datasource.url"] == (
        "jdbc:postgresql://127.0.0.1:15432/conductor?ApplicationName=conductor-node-2"
    )
    assert properties["spring.datasource.username"] == "conductor"
    assert properties["spring.datasource.password"] == "pw-123"
    # Whole seconds: PostgresMetadataDAO's scheduleWithFixedDelay refuses 0 (a "500ms").
    assert properties["conductor.postgres.task-def-cache-refresh-interval"] == "1s"
    assert properties["conductor.app.lock-lease-time"] == f"{LOCK_LEASE_MS}ms"
    assert properties["conductor.app.lock-time-to-try"] == "5000ms"
    assert properties["conductor.app.max-postpone-duration-seconds"] == "60s"
    assert properties["conductor.scheduler.enabled"] == "true"
    assert "pw-123" not in repr(database)


@pytest.mark.parametrize(
    ("ports", "nodes", "message"),
    [
        (cluster.ClusterPorts(8180, 3180, 15432), 0, "--nodes must be between 1 and 5"),
        (cluster.ClusterPorts(8180, 3180, 15432), 6, "--nodes must be between 1 and 5"),
        (cluster.ClusterPorts(8180, 8181, 15432), 2, "node 2 .* and the worker .* port 8181"),
        (cluster.ClusterPorts(8180, 3180, 8180), 1, r"node 1 .* and PostgreSQL .* port 8180"),
        (cluster.ClusterPorts(65535, 3180, 15432), 2, "node 2 .* port 65536, above 65535"),
    ],
)
def test_cluster_ports_must_be_distinct(
    ports: cluster.ClusterPorts, nodes: int, message: str
) -> None:
    with pytest.raises(LocalServerError, match=message):
        ports.check(nodes)


def test_status_of_a_cluster_never_started(tmp_path: Path) -> None:
    layout = Layout.under(tmp_path, WorkerApp("app:make()"))
    parts = cluster.status(cluster.ClusterPorts(8180, 3180, 15432), 2, layout=layout)
    assert [p.name for p in parts] == ["postgres", "node1", "node2", "worker", "keeper"]
    assert not any(p.running for p in parts)
    assert [p.url for p in parts[:4]] == [
        "postgresql://127.0.0.1:15432",
        "http://127.0.0.1:8180",
        "http://127.0.0.1:8181",
        "http://127.0.0.1:3180",
    ]
    assert cluster.running(layout) == []
    assert cluster.down(layout=layout) is False


def test_sqlite_runs_one_node() -> None:
    result = CliRunner().invoke(server, ["up", "--backend", "sqlite", "--nodes", "2"])
    assert result.exit_code == 2
    assert "--backend sqlite runs one node; use --backend postgres" in result.output


def test_the_server_user_must_reach_the_data_directory(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    postgres = PostgresServer(find_postgres(), closed / "postgres", closed / "pg.log", 1)
    postgres._owner = "nobody"  # as when root: the server would run as nobody
    with pytest.raises(
        LocalServerError, match=r"as nobody, who cannot enter .*closed \(mode 700\)"
    ):
        postgres.init(print)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway instance, in the repository's git-ignored .state/: as root the server runs
    as another user, who must be able to enter the directories above it (pytest's tmp_path is
    mode 0700)."""
    root = REPO_ROOT / ".state" / "tests" / f"postgres-{uuid.uuid4().hex[:8]}"
    root.mkdir(parents=True)
    server = PostgresServer(find_postgres(), root / "postgres", root / "postgres.log", _free_port())
    lines: list[str] = []
    server.init(lines.append)
    server.start(lines.append)
    try:
        yield server
    finally:
        if server.pid() is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
        with contextlib.suppress(OSError):  # the parent, unless another run is using it
            root.parent.rmdir()


def test_initdb_start_and_stop(postgres: PostgresServer) -> None:
    pid = postgres.pid()
    assert pid is not None and postgres.ready()
    assert postgres.listening_port() == postgres.port
    assert postgres.query("SELECT current_user, current_database()").strip() == (
        "conductor|conductor"
    )
    assert postgres.query("SHOW listen_addresses").strip() == "127.0.0.1"
    assert postgres.query("SHOW timezone").strip() == "UTC"
    assert stat.S_IMODE(postgres.password_file.stat().st_mode) == 0o600
    if os.geteuid() == 0:  # the server's user owns the data directory
        assert postgres.data_dir.stat().st_uid != 0


KEEPER_TABLES = """
CREATE TABLE IF NOT EXISTS queue_message (
  id SERIAL PRIMARY KEY, created_on TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  deliver_on TIMESTAMP DEFAULT CURRENT_TIMESTAMP, queue_name VARCHAR(255) NOT NULL,
  message_id VARCHAR(255) NOT NULL, priority INTEGER DEFAULT 0, popped BOOLEAN DEFAULT false,
  offset_time_seconds BIGINT, payload TEXT, UNIQUE (queue_name, message_id));
CREATE TABLE IF NOT EXISTS locks (
  lock_id VARCHAR PRIMARY KEY, lease_expiration TIMESTAMP WITH TIME ZONE NOT NULL);
"""


def _queue(postgres: PostgresServer, rows: dict[str, tuple[str, bool, int, int]]) -> None:
    """Rows as PostgresQueueDAO leaves them: setUnackTimeout sets deliver_on = now + offset."""
    postgres.query(KEEPER_TABLES)
    postgres.query("DELETE FROM queue_message; DELETE FROM locks")
    for message, (queue, popped, offset, ago) in rows.items():
        postgres.query(
            "INSERT INTO queue_message (deliver_on, queue_name, message_id, popped,"
            f" offset_time_seconds) VALUES (current_timestamp + interval '{offset - ago} seconds',"
            f" '{queue}', '{message}', {str(popped).lower()}, {offset})"
        )


def test_the_keeper_releases_only_what_was_reserved_before_its_windows(
    postgres: PostgresServer,
) -> None:
    """Decider and JOIN rows and locks taken more than 20 s ago, task rows more than 60 s ago;
    the columns are those of Conductor's migrations (tests/e2e/cluster checks the real ones)."""
    _queue(
        postgres,
        {
            # (queue, popped, offset seconds, reserved that many seconds ago)
            "dead-nodes-old-http-call": ("HTTP", True, 3600, 70),
            "dead-nodes-recent-http-call": ("HTTP", True, 3600, 30),
            "live-nodes-http-call": ("HTTP", True, 3600, 5),
            "dead-nodes-decide": ("_deciderQueue", True, 0, 40),
            "dead-nodes-join": ("JOIN", True, 3600, 25),
            "parked-decider-row": ("_deciderQueue", True, 60, 2),
            "waiting-not-popped": ("HTTP", False, 0, 300),
        },
    )
    lease = LOCK_LEASE_MS // 1000
    for lock, ago in (("taken-30s-ago", 30), ("taken-2s-ago", 2)):
        postgres.query(
            "INSERT INTO locks VALUES"
            f" ('{lock}', current_timestamp + interval '{lease - ago} seconds')"
        )

    released = release_stale_work(postgres, internal_after=20, task_after=60)  # any windows

    assert (released.messages, released.queues, released.locks) == (3, "HTTP,JOIN,_deciderQueue", 1)
    state = postgres.query(
        "SELECT message_id, popped, deliver_on <= current_timestamp FROM queue_message"
        " ORDER BY message_id"
    )
    assert dict(line.split("|", 1) for line in state.split()) == {
        "dead-nodes-old-http-call": "f|t",  # deliverable now
        "dead-nodes-recent-http-call": "t|f",  # a decide may retry it first (poll timeout)
        "live-nodes-http-call": "t|f",
        "dead-nodes-decide": "f|t",
        "dead-nodes-join": "f|t",
        "parked-decider-row": "t|f",
        "waiting-not-popped": "f|t",
    }
    assert postgres.query("SELECT lock_id FROM locks").split() == ["taken-2s-ago"]


def test_up_releases_the_work_of_a_node_that_died_unwatched(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """A node whose pid file outlived it died without `server down`; if the keeper was not
    running then, `server up` releases what it held before starting it again."""
    _queue(postgres, {"held-by-the-dead": ("HTTP", True, 3600, 100)})
    layout = Layout.under(tmp_path)
    steps = [cluster._node_step(layout, n, 1, postgres.database(), print, 1) for n in (1, 2)]
    steps[0].service.pid_file.parent.mkdir(parents=True)
    steps[0].service.pid_file.write_text(f"{_dead_pid()}\n")
    lines: list[str] = []
    cluster._release_for_the_dead(postgres, steps, lines.append)
    assert lines == [
        "node1: died since the last start; released 1 queue message(s) (HTTP) and 0 lock(s)"
    ]
    assert postgres.query("SELECT popped FROM queue_message").strip() == "f"

    lines.clear()
    steps[0].service.pid_file.unlink()  # stopped by `server down`: nothing to release
    cluster._release_for_the_dead(postgres, steps, lines.append)
    assert lines == []


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid

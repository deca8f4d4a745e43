"""A Conductor node of the local PostgreSQL cluster: the properties it starts with, its JVM
options and its command line. (The single SQLite node's are in `conductor.py`.)

Every node gets the same properties but its port: they share the database for metadata,
executions, queues, search and the workflow execution lock, so any node serves any request and
runs any system task. Class and method names are Conductor OSS 3.32.3's, read from the boot jar.
"""

from __future__ import annotations

from pathlib import Path

from deploy_dsl.local import jar as server_jar
from deploy_dsl.local.conductor import java_command, properties_text
from deploy_dsl.local.java import find_java
from deploy_dsl.local.layout import HOST, Progress
from deploy_dsl.local.postgres import Database

__all__ = [
    "LOCK_LEASE_MS",
    "NODE_JVM_OPTIONS",
    "TASK_DEF_REFRESH_SECONDS",
    "node_argv",
    "render_postgres_properties",
]

# Two JVMs share 2 cores beside PostgreSQL. Heap in use after the end-to-end tests is about
# 110 MB of 195 MB committed (jcmd GC.heap_info), so 384 MB leaves room; SerialGC: no GC
# threads to compete for the cores. RSS per node: about 400 MB after start, 475 MB after a day's
# tests. The single node's 1 GB heap would only make the two JVMs bigger. UTC: the session
# time zone PgJDBC gives PostgreSQL, which must be the keeper's (see postgres.SERVER_SETTINGS).
NODE_JVM_OPTIONS = (
    "-Xms64m",
    "-Xmx384m",
    "-XX:+UseSerialGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Duser.timezone=UTC",
)

# PostgresMetadataDAO caches task definitions and reloads them all every this many seconds
# (PostgresProperties.taskDefCacheRefreshInterval, default 60 s; whole seconds: a value under
# 1 s makes scheduleWithFixedDelay throw and the node fails to start). A task definition changed
# through one node is stale on the others until their next reload; 1 s costs one
# `SELECT json_data FROM meta_task_def` per node per second.
TASK_DEF_REFRESH_SECONDS = 1

# The lease of the workflow execution lock (conductor.app.lock-lease-time, default 60 s):
# pinned, because the keeper (deploy_dsl.local.keeper) reads a lock's age from it.
LOCK_LEASE_MS = 60000


def render_postgres_properties(port: int, database: Database, node: int) -> str:
    """The Spring properties of cluster node `node` (a `.properties` file)."""
    values = {
        "server.port": str(port),
        # A development cluster without authentication: loopback only.
        "server.address": HOST,
        # PostgresConfiguration (@ConditionalOnProperty conductor.db.type=postgres) builds the
        # metadata, execution, poll-data and queue DAOs on the datasource below, and runs
        # Flyway (db/migration_postgres) under a PostgreSQL advisory lock, so nodes may start
        # together on an empty database: one migrates, the others wait and find it up to date.
        "conductor.db.type": "postgres",
        # The jar's own application.properties says sqlite for these; set them explicitly.
        "conductor.queue.type": "postgres",
        "conductor.indexing.enabled": "true",
        "conductor.indexing.type": "postgres",  # PostgresIndexDAO: search sees every node's runs
        # PostgresLockDAO (lease rows in table `locks`). local_only would lock inside one JVM:
        # two nodes could decide the same workflow at once (lost updates, tasks scheduled twice).
        "conductor.workflow-execution-lock.type": "postgres",
        "conductor.app.lock-lease-time": f"{LOCK_LEASE_MS}ms",
        # A decide that cannot take the lock within this time gives up and pushes the workflow
        # back to _deciderQueue (WorkflowExecutorOps.decide(String); WorkflowSweeper.sweep just
        # returns). On PostgreSQL that push leaves a popped row popped (PostgresQueueDAO.push
        # only moves deliver_on), so the decide waits for processAllUnacks: 60-120 s, or the
        # whole postpone below. Two nodes on 2 busy cores hold a lock for longer than the
        # default 500 ms; waiting up to 5 s turns most of those give-ups into a short wait.
        "conductor.app.lock-time-to-try": "5000ms",
        # The longest a decided workflow waits for its next sweep (ExecutorUtils.computePostpone
        # caps at it; default 3600 s, and a SCHEDULED task without pollTimeoutSeconds postpones
        # by the workflow's timeout, 901 s for a deploy). A decide lost as above then costs
        # minutes, not the deploy's whole timeout.
        "conductor.app.max-postpone-duration-seconds": "60s",
        # Which node a connection belongs to shows in pg_stat_activity.application_name.
        "spring.datasource.url": f"{database.jdbc_url}?ApplicationName=conductor-node-{node}",
        "spring.datasource.username": database.user,
        "spring.datasource.password": database.password,
        # Hikari's default is 10 per node; 8 was never exhausted in the measured runs, and two
        # nodes then hold 16 of PostgreSQL's 60 connections.
        "spring.datasource.hikari.maximum-pool-size": "8",
        "spring.datasource.hikari.minimum-idle": "2",
        "conductor.postgres.task-def-cache-refresh-interval": f"{TASK_DEF_REFRESH_SECONDS}s",
        # As on the single node: no AI integrations; the scheduler on, with its PostgreSQL
        # persistence (PostgresSchedulerConfiguration: tables of its own, Flyway history
        # flyway_schema_history_scheduler); the system-task poll interval pinned at 50 ms.
        "conductor.integrations.ai.enabled": "false",
        "conductor.scheduler.enabled": "true",
        "conductor.app.systemTaskWorkerPollInterval": "50ms",
        # One thread for JOINs on each node, as on the single node (see conductor.py).
        "conductor.app.taskWorkerConfigs[JOIN].threadCount": "1",
    }
    header = [
        f"# Written by deploy-dsl `server up --backend postgres` for node {node} on each start;",
        "# edits are overwritten. Holds the database password: mode 0600.",
    ]
    return properties_text(header, values)


def node_argv(cache_dir: Path, properties: Path, progress: Progress) -> list[str]:
    """The jar (fetched and extracted once) and Java 21+, as for the single node."""
    jar = server_jar.resolve_jar(cache_dir, progress)
    java = find_java(progress)
    jar = server_jar.launcher(java.path, jar, cache_dir, progress)
    return java_command(java.path, NODE_JVM_OPTIONS, jar, properties)

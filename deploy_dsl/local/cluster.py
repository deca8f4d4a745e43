"""The local cluster: PostgreSQL, N Conductor nodes sharing it, the worker and a keeper.

`deploy-dsl server up --backend postgres --nodes 2` starts, in order: PostgreSQL on its own
data directory (initdb the first time), the nodes together (Flyway serialises their migrations),
the mock worker, and the keeper (deploy_dsl.local.keeper), which releases the work of a node
that dies. Everything lives in `.state/cluster/`, on ports of its own (CLUSTER_CONDUCTOR_PORT,
CLUSTER_WORKER_PORT, CLUSTER_POSTGRES_PORT), so the single SQLite node can run beside it.

Processes are found again as the single node's are (pid files, command-line markers), with the
same machinery: the helpers of deploy_dsl.local.stack, shared on purpose.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from deploy_dsl.local import keeper as cluster_keeper
from deploy_dsl.local.jar import LocalServerError
from deploy_dsl.local.layout import HOST, Layout, Progress
from deploy_dsl.local.node import node_argv, render_postgres_properties
from deploy_dsl.local.postgres import Database, PostgresServer, find_postgres, write_private
from deploy_dsl.local.processes import alive, read_number, spawn, terminate, write_number
from deploy_dsl.local.stack import (
    CONDUCTOR_START_TIMEOUT,
    STOP_TIMEOUT,
    WORKER_START_TIMEOUT,
    ProcessStatus,
    Service,
    StartStep,
    check_worker,
    forget_pid,
    healthy,
    live_pid,
    local_url,
    locked,
    port_open,
    require_free_port,
    running_port,
    start_service,
    stop_service,
    wait_healthy,
    worker_argv,
)

__all__ = [
    "MAX_NODES",
    "ClusterPorts",
    "ClusterUrls",
    "cluster_dir",
    "down",
    "env_file",
    "postgres_server",
    "running",
    "started_for",
    "status",
    "stop",
    "up",
]

MAX_NODES = 5


def _quiet(_line: str) -> None:
    pass


@dataclass(frozen=True)
class ClusterPorts:
    conductor: int  # node 1; node k listens on conductor + k - 1
    worker: int
    postgres: int

    def node(self, number: int) -> int:
        return self.conductor + number - 1

    def check(self, nodes: int) -> None:
        if not 1 <= nodes <= MAX_NODES:
            raise LocalServerError(f"--nodes must be between 1 and {MAX_NODES}, not {nodes}")
        used = {
            **{
                f"node {k} (CLUSTER_CONDUCTOR_PORT+{k - 1})": self.node(k)
                for k in range(1, nodes + 1)
            },
            "the worker (CLUSTER_WORKER_PORT)": self.worker,
            "PostgreSQL (CLUSTER_POSTGRES_PORT)": self.postgres,
        }
        seen: dict[int, str] = {}
        for what, port in used.items():
            if port > 65535:
                raise LocalServerError(f"{what} would listen on port {port}, above 65535")
            if port in seen:
                raise LocalServerError(f"{seen[port]} and {what} would both listen on port {port}")
            seen[port] = what


@dataclass(frozen=True)
class ClusterUrls:
    nodes: tuple[str, ...]  # base URLs, without /api
    worker: str | None  # None: the project has no worker
    database: str  # without the password
    env_file: Path  # CONDUCTOR_BASE_URL (node 1) and WORKER_BASE_URL, for --env-file


def cluster_dir(layout: Layout) -> Path:
    return layout.state_dir / "cluster"


def env_file(layout: Layout) -> Path:
    return cluster_dir(layout) / "cluster.env"


def postgres_server(layout: Layout, port: int) -> PostgresServer:
    here = cluster_dir(layout)
    return PostgresServer(find_postgres(), here / "postgres", here / "postgres.log", port)


# --- the processes --------------------------------------------------------------------------


def _node_dir(layout: Layout, number: int) -> Path:
    return cluster_dir(layout) / f"node{number}"


def _part(name: str, files: Path, marker: str, port_env: str = "") -> Service:
    """A process recorded as `files`.pid / `files`.log (and `files`.port)."""
    pid_file, log_file = files.with_name(files.name + ".pid"), files.with_name(files.name + ".log")
    return Service(name, pid_file, log_file, marker=marker, port_env=port_env)


def _node(layout: Layout, number: int) -> Service:
    here = _node_dir(layout, number)
    marker = f"--spring.config.additional-location=file:{here / 'conductor.properties'}"
    return _part(f"node{number}", here / "server", marker, "CLUSTER_CONDUCTOR_PORT")


def _worker(layout: Layout) -> Service:
    here = cluster_dir(layout)
    # Its own state directory on its command line: never mistaken for the single stack's.
    marker = f"--env WORKER_STATE_DIR={here / 'worker'} "  # then the app
    return _part("worker", here / "worker", marker, "CLUSTER_WORKER_PORT")


def _keeper(layout: Layout) -> Service:
    here = cluster_dir(layout)
    return _part("keeper", here / "keeper", f"-m {cluster_keeper.__name__} {here}")


def _recorded_nodes(layout: Layout) -> list[int]:
    """Node numbers with a directory (started at least once), in order."""
    numbers = []
    for entry in cluster_dir(layout).glob("node*"):
        suffix = entry.name.removeprefix("node")
        if entry.is_dir() and suffix.isdigit():
            numbers.append(int(suffix))
    return sorted(numbers)


# --- public API -----------------------------------------------------------------------------


def up(
    ports: ClusterPorts,
    nodes: int,
    *,
    progress: Progress = _quiet,
    timeout: float | None = None,
    layout: Layout | None = None,
) -> ClusterUrls:
    """Start whatever of the cluster does not run yet and wait until all of it answers.

    Raises LocalServerError (or JavaNotFoundError); what this call started is stopped again.
    """
    # The nodes start together and share the cores: each gets the single node's time. Measured:
    # two nodes at once took 185 s on 2 cores under a load of 13 (one alone: about 50 s).
    timeout = timeout if timeout is not None else CONDUCTOR_START_TIMEOUT * max(1, nodes)
    layout = layout or Layout.of_project()
    ports.check(nodes)
    if layout.worker is not None:
        check_worker(layout)
    with locked(layout, progress):
        extra = [n for n in _running_nodes(layout) if n > nodes]
        if extra:
            raise LocalServerError(
                f"the cluster runs node{extra[0]}, more than --nodes {nodes}; run "
                "`deploy-dsl server down` first to change the number of nodes"
            )
        postgres = postgres_server(layout, ports.postgres)
        started: list[str] = []
        try:
            if _ensure_postgres(postgres, progress):
                started.append("postgres")
            database = postgres.database()
            node_steps = [
                _node_step(layout, number, ports.node(number), database, progress, timeout)
                for number in range(1, nodes + 1)
            ]
            worker = _worker_step(layout, ports.worker) if layout.worker else None
            _release_for_the_dead(postgres, node_steps, progress)
            steps = [*node_steps, *([worker] if worker else [])]
            pending = [s for s in steps if running_port(s, progress) is None]
            for step in pending:
                require_free_port(step)
            started += _start_together([s for s in pending if s is not worker], progress)
            if worker is not None and worker in pending:
                start_service(worker, progress)
                started.append(worker.service.name)
            if _ensure_keeper(layout, ports, progress):
                started.append("keeper")
        except BaseException:  # Ctrl-C too: leave nothing half-started behind
            for name in reversed(started):
                _stop_part(layout, name, ports.postgres, progress)
            raise
    urls = ClusterUrls(
        tuple(local_url(ports.node(n)) for n in range(1, nodes + 1)),
        local_url(ports.worker) if layout.worker else None,
        database.display_url,
        env_file(layout),
    )
    _write_env_file(urls)
    return urls


def down(progress: Progress = _quiet, *, layout: Layout | None = None) -> bool:
    """Stop the keeper, the worker, every node, then PostgreSQL; True if anything ran."""
    layout = layout or Layout.of_project()
    with locked(layout, progress):
        names = ["keeper", "worker", *(f"node{n}" for n in _recorded_nodes(layout)), "postgres"]
        return any([_stop_part(layout, name, None, progress) for name in names])


def stop(name: str, progress: Progress = _quiet, *, layout: Layout | None = None) -> bool:
    """Stop one part ("postgres", "nodeN", "worker", "keeper"); True if it was running."""
    layout = layout or Layout.of_project()
    known = {"postgres", "worker", "keeper", *(f"node{n}" for n in _recorded_nodes(layout))}
    if name not in known:
        raise LocalServerError(
            f"no such part of the cluster {name!r}: expected one of {sorted(known)}"
        )
    with locked(layout, progress):
        return _stop_part(layout, name, None, progress)


@contextlib.contextmanager
def started_for(
    ports: ClusterPorts,
    nodes: int,
    *,
    progress: Progress = _quiet,
    layout: Layout | None = None,
) -> Iterator[ClusterUrls]:
    """The cluster for the length of a block (a test session, a benchmark): what already runs
    is used as it is, and only what this started is stopped at the end."""
    layout = layout or Layout.of_project()
    before = set(running(layout))
    urls = up(ports, nodes, progress=progress, layout=layout)
    try:
        yield urls
    finally:
        after = running(layout)
        # Stopped in down's order: the keeper first, PostgreSQL last.
        order = ["keeper", "worker", *(n for n in after if n.startswith("node")), "postgres"]
        for name in order:
            if name in after and name not in before:
                stop(name, progress, layout=layout)


def running(layout: Layout | None = None) -> list[str]:
    """The parts that run now (whatever their health)."""
    layout = layout or Layout.of_project()
    found = []
    if _postgres_pid(layout) is not None:
        found.append("postgres")
    found += [f"node{n}" for n in _running_nodes(layout)]
    found += [s.name for s in (_worker(layout), _keeper(layout)) if live_pid(s) is not None]
    return found


def status(ports: ClusterPorts, nodes: int, *, layout: Layout | None = None) -> list[ProcessStatus]:
    """Each part: pid if it runs, its URL (the recorded port if it runs), health, log.

    Lists nodes 1..`nodes` and any other node that runs.
    """
    layout = layout or Layout.of_project()
    postgres = postgres_server(layout, ports.postgres)
    pid = postgres.pid()
    port = (postgres.listening_port() if pid else None) or ports.postgres
    result = [
        ProcessStatus(
            "postgres",
            pid,
            f"postgresql://{HOST}:{port}",
            pid is not None and postgres.ready(port),
            postgres.log_file,
        )
    ]
    numbers = sorted(set(range(1, nodes + 1)) | set(_running_nodes(layout)))
    worker = _worker(layout)
    has_worker = layout.worker is not None or live_pid(worker) is not None
    for service, default in [
        *((_node(layout, n), ports.node(n)) for n in numbers),
        *([(worker, ports.worker)] if has_worker else []),
    ]:
        result.append(_http_status(service, default))
    keeper_pid = live_pid(_keeper(layout))
    result.append(
        ProcessStatus(
            "keeper", keeper_pid, "(no port)", keeper_pid is not None, _keeper(layout).log_file
        )
    )
    return result


# --- starting -------------------------------------------------------------------------------


def _ensure_postgres(postgres: PostgresServer, progress: Progress) -> bool:
    """Start PostgreSQL (initdb the first time) unless it runs; True if this started it."""
    pid = postgres.pid()
    if pid is not None:
        port = postgres.listening_port()
        if port is not None and port != postgres.port:
            raise LocalServerError(
                f"postgres already runs on port {port}, not {postgres.port} "
                "(CLUSTER_POSTGRES_PORT); run `deploy-dsl server down` first to change it"
            )
        if not postgres.ready():
            raise LocalServerError(
                f"postgres (pid {pid}) runs but does not accept connections; "
                f"see {postgres.log_file}"
            )
        progress(f"postgres: already running (pid {pid}, port {postgres.port})")
        return False
    if port_open(postgres.port):
        raise LocalServerError(
            f"postgres: port {postgres.port} is already in use by a process deploy-dsl did not "
            "start; stop it, or pick another port with CLUSTER_POSTGRES_PORT=N "
            "(in the environment or .env)"
        )
    if not postgres.initialized:
        postgres.init(progress)
    started = time.monotonic()
    pid = postgres.start(progress)
    progress(f"postgres: ready after {time.monotonic() - started:.1f}s (pid {pid})")
    return True


def _node_step(
    layout: Layout, number: int, port: int, database: Database, progress: Progress, timeout: float
) -> StartStep:
    service = _node(layout, number)
    here = _node_dir(layout, number)

    def launch() -> int:
        here.mkdir(parents=True, exist_ok=True)
        properties = here / "conductor.properties"
        write_private(properties, render_postgres_properties(port, database, number))
        argv = node_argv(layout.cache_dir, properties, progress)
        progress(f"{service.name}: starting Conductor on port {port}")
        return spawn(argv, cwd=here, log=service.log_file)

    return StartStep(service, port, launch, timeout)


def _worker_step(layout: Layout, port: int) -> StartStep:
    service = _worker(layout)
    state = cluster_dir(layout) / "worker"

    def launch() -> int:
        # WORKER_STATE_DIR: a worker that keeps state (this repository's mock worker) keeps
        # the cluster's apart from the single node's.
        argv = worker_argv(layout, port, "--env", f"WORKER_STATE_DIR={state}")
        env = {**os.environ, "WORKER_PORT": str(port), "WORKER_STATE_DIR": str(state)}
        return spawn(argv, cwd=layout.root, log=service.log_file, env=env)

    return StartStep(service, port, launch, WORKER_START_TIMEOUT)


def _release_for_the_dead(
    postgres: PostgresServer, nodes: Sequence[StartStep], progress: Progress
) -> None:
    """A node whose pid file outlived it died without `server down`: release what it may have
    held, as the keeper does (which may not have been running to see it die)."""
    dead = [
        s.service.name for s in nodes if s.service.pid_file.exists() and live_pid(s.service) is None
    ]
    if not dead:
        return
    released = cluster_keeper.release_stale_work(postgres)
    progress(f"{', '.join(dead)}: died since the last start; {released}")


def _start_together(steps: Sequence[StartStep], progress: Progress) -> list[str]:
    """Launch every step, then wait for each: the nodes start side by side. Returns the names
    started; if one fails, all of these are stopped and the error raised."""
    launched: list[tuple[StartStep, int]] = []
    started = time.monotonic()
    try:
        for step in steps:
            pid = step.launch()
            write_number(step.service.pid_file, pid)
            write_number(step.service.port_file, step.port)
            launched.append((step, pid))
        for step, pid in launched:
            wait_healthy(step.service, pid, local_url(step.port), progress, step.timeout)
            progress(
                f"{step.service.name}: healthy after {time.monotonic() - started:.1f}s "
                f"(pid {pid}, {local_url(step.port)})"
            )
    except BaseException:
        for step, pid in launched:
            if alive(pid):
                terminate(pid, STOP_TIMEOUT)
            forget_pid(step.service)
        raise
    return [step.service.name for step, _pid in launched]


def _ensure_keeper(layout: Layout, ports: ClusterPorts, progress: Progress) -> bool:
    service = _keeper(layout)
    pid = live_pid(service)
    if pid is not None:
        return False
    argv = [sys.executable, "-m", cluster_keeper.__name__, str(cluster_dir(layout))]
    argv += ["--postgres-port", str(ports.postgres)]
    pid = spawn(argv, cwd=layout.root, log=service.log_file)
    write_number(service.pid_file, pid)
    progress(f"keeper: started (pid {pid}, log {service.log_file})")
    return True


# --- stopping and reading -------------------------------------------------------------------


def _stop_part(layout: Layout, name: str, postgres_port: int | None, progress: Progress) -> bool:
    if name != "postgres":
        services = {"worker": _worker(layout), "keeper": _keeper(layout)}
        service = services.get(name) or _node(layout, int(name.removeprefix("node")))
        return stop_service(service, progress)
    postgres = _postgres(layout, postgres_port)
    pid = postgres.pid() if postgres else None
    if postgres is None or pid is None:
        return False
    how = postgres.stop()
    progress(f"postgres: stopped pid {pid} ({how})")
    return True


def _postgres(layout: Layout, port: int | None) -> PostgresServer | None:
    """The cluster's PostgreSQL; None when PostgreSQL is not installed (so nothing can run)."""
    try:
        return postgres_server(layout, port or 0)
    except LocalServerError:
        return None


def _postgres_pid(layout: Layout) -> int | None:
    postgres = _postgres(layout, None)
    return postgres.pid() if postgres else None


def _running_nodes(layout: Layout) -> list[int]:
    return [n for n in _recorded_nodes(layout) if live_pid(_node(layout, n)) is not None]


def _http_status(service: Service, default_port: int) -> ProcessStatus:
    pid = live_pid(service)
    recorded = read_number(service.port_file) if pid is not None else None
    url = local_url(recorded or default_port)
    return ProcessStatus(service.name, pid, url, healthy(url), service.log_file)


def _write_env_file(urls: ClusterUrls) -> None:
    text = (
        "# Written by `deploy-dsl server up --backend postgres`: the cluster's settings, for\n"
        "# `deploy-dsl register --env-file` (and plan, run, status, ...).\n"
        "# Any node serves any call.\n"
        f"CONDUCTOR_BASE_URL={urls.nodes[0]}\n"
    )
    if urls.worker is not None:
        text += f"WORKER_BASE_URL={urls.worker}\n"
    scratch = urls.env_file.with_name(urls.env_file.name + ".tmp")
    scratch.write_text(text, encoding="utf-8")
    scratch.replace(urls.env_file)

"""A PostgreSQL instance of the local cluster's own: a data directory in the state directory, a
loopback TCP port, no system service. `initdb` once, `pg_ctl start`/`stop` after that.

PostgreSQL refuses to run as root, so as root every server binary runs through `runuser` as the
`postgres` user (which Debian's package creates), or `nobody` where there is no such user; that
user owns the data directory and the log. As anyone else the binaries run as they are.

The superuser is `conductor`, with a password made at `initdb` and kept in a 0600 file beside
the data directory: Conductor's Flyway migrations create every table, so no other role is needed.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from deploy_dsl.local.jar import LocalServerError
from deploy_dsl.local.layout import HOST, Progress
from deploy_dsl.local.processes import alive, command_line

__all__ = [
    "DATABASE",
    "POSTGRES_HELP",
    "SERVER_SETTINGS",
    "USER",
    "Database",
    "PostgresServer",
    "PostgresTools",
    "find_postgres",
    "write_private",
]

USER = "conductor"
DATABASE = "conductor"
START_TIMEOUT = 60
STOP_TIMEOUT = 30
# What `make install` does (tools/system-deps.sh) and what to do by hand otherwise.
POSTGRES_HELP = (
    "install PostgreSQL (`make install` does as root on Debian/Ubuntu; or `apt-get install "
    "postgresql`, `brew install postgresql`), or put its bin directory (initdb, pg_ctl) on PATH"
)
_TOOLS = ("initdb", "pg_ctl", "postgres", "psql", "pg_isready")

# Appended to postgresql.conf by `init`, for a development database on a small shared machine
# (measured with two Conductor nodes: 17 backends, about 105 MB PSS in all).
SERVER_SETTINGS = {
    # Loopback TCP only, and no Unix socket: the default socket directory
    # (/var/run/postgresql) is writable only by the system's postgres user.
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    # Two nodes with a Hikari pool of 8 each use 16; room for psql, the keeper and a third node.
    "max_connections": "60",
    "shared_buffers": "64MB",
    "work_mem": "4MB",
    "maintenance_work_mem": "32MB",
    "effective_cache_size": "256MB",
    "wal_buffers": "4MB",
    "max_wal_size": "256MB",
    # A development database: a crash may lose the last few hundred milliseconds of commits,
    # in exchange for queue pops and task updates that do not wait for a disk flush each.
    "synchronous_commit": "off",
    # pg_ctl's -l file is the log; no collector process.
    "logging_collector": "off",
    # Conductor's queue columns are `timestamp without time zone`, written as current_timestamp
    # in the session's zone: the nodes (-Duser.timezone=UTC, which PgJDBC sends) and psql (the
    # keeper) must use one zone for their comparisons of deliver_on to agree.
    "timezone": "'UTC'",
}


@dataclass(frozen=True)
class PostgresTools:
    """The directory holding initdb, pg_ctl, postgres, psql and pg_isready."""

    bindir: Path

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


def find_postgres() -> PostgresTools:
    """initdb on PATH (symlinks followed), else `pg_config --bindir`, else the newest
    /usr/lib/postgresql/N/bin (Debian keeps the server binaries there, off PATH)."""
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False
            )
            if done.returncode == 0 and done.stdout.strip():
                candidates.append(Path(done.stdout.strip()))
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = [p for p in debian.iterdir() if p.name.isdigit()]
        candidates += [p / "bin" for p in sorted(versions, key=lambda p: int(p.name), reverse=True)]
    for bindir in candidates:
        if all((bindir / name).is_file() for name in _TOOLS):
            return PostgresTools(bindir)
    raise LocalServerError(
        f"PostgreSQL is not installed (no initdb and pg_ctl found): {POSTGRES_HELP}"
    )


@dataclass(frozen=True)
class Database:
    """How a client reaches the cluster's database."""

    port: int
    password: str = field(repr=False)
    host: str = HOST
    name: str = DATABASE
    user: str = USER

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:postgresql://{self.host}:{self.port}/{self.name}"

    @property
    def display_url(self) -> str:
        """Without the password: for status lines and logs."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.name}"


class PostgresServer:
    """One data directory and the server process that runs on it."""

    def __init__(self, tools: PostgresTools, data_dir: Path, log_file: Path, port: int) -> None:
        self.tools = tools
        self.data_dir = data_dir
        self.log_file = log_file
        self.port = port
        self.password_file = data_dir.with_name(data_dir.name + ".password")
        self._owner = _run_as_user()

    # -- state -------------------------------------------------------------------------------

    @property
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file() and self.password_file.is_file()

    def database(self) -> Database:
        return Database(self.port, self.password_file.read_text(encoding="ascii").strip())

    def pid(self) -> int | None:
        """The postmaster's pid if it runs on this data directory (postmaster.pid, checked
        against the process's command line so that a recycled pid does not count)."""
        try:
            first = (self.data_dir / "postmaster.pid").read_text(encoding="ascii").split("\n")[0]
        except (OSError, UnicodeDecodeError):
            return None
        if not first.strip().isdigit():
            return None
        pid = int(first)
        if alive(pid) and str(self.data_dir) in command_line(pid):
            return pid
        return None

    def listening_port(self) -> int | None:
        """The port the running server was started on (postmaster.pid's fourth line)."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text(encoding="ascii").split("\n")
        except (OSError, UnicodeDecodeError):
            return None
        return int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None

    def ready(self, port: int | None = None) -> bool:
        """True once the server accepts connections (pg_isready)."""
        command = [self.tools.tool("pg_isready"), "-q", "-h", HOST, "-p", str(port or self.port)]
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            return subprocess.run(command, timeout=10, check=False).returncode == 0
        return False

    # -- lifecycle ---------------------------------------------------------------------------

    def init(self, progress: Progress) -> None:
        """initdb into the data directory (which must not hold a database yet)."""
        if (self.data_dir / "PG_VERSION").exists():
            raise LocalServerError(
                f"{self.data_dir} holds a database but its password file {self.password_file} "
                f"is missing; remove {self.data_dir} to start afresh"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        self._check_reachable()
        self._give(self.data_dir)
        password = secrets.token_urlsafe(24)
        progress(f"postgres: initdb {self.data_dir}")
        # The password goes to initdb in a file its user can read, never on a command line.
        with tempfile.NamedTemporaryFile("w", dir=self.data_dir.parent, delete=False) as handle:
            handle.write(password + "\n")
        pwfile = Path(handle.name)
        try:
            self._give(pwfile)
            self._run(
                "initdb",
                [
                    *("-D", str(self.data_dir), "-U", USER, f"--pwfile={pwfile}"),
                    *("-A", "scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"),
                ],
            )
        finally:
            pwfile.unlink(missing_ok=True)
        settings = "".join(f"{key} = {value}\n" for key, value in SERVER_SETTINGS.items())
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# deploy-dsl: a development database on a small machine\n" + settings)
        write_private(self.password_file, password + "\n")

    def start(self, progress: Progress) -> int:
        """pg_ctl start (waits until it accepts connections), then the database if missing."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.touch()
        self._give(self.log_file)
        progress(f"postgres: starting on {HOST}:{self.port}, log {self.log_file}")
        # The port on the command line, not in postgresql.conf: a changed setting needs no initdb.
        self._run(
            "pg_ctl",
            [
                *("-D", str(self.data_dir), "-l", str(self.log_file)),
                *("-w", "-t", str(START_TIMEOUT), "-o", f"-p {self.port}", "start"),
            ],
            tail=self.log_file,
        )
        pid = self.pid()
        if pid is None:
            raise LocalServerError(
                f"postgres did not start; the end of {self.log_file}:\n{_tail(self.log_file)}"
            )
        found = self.query(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'", "postgres")
        if found.strip() != "1":
            self.query(f"CREATE DATABASE {DATABASE}", "postgres")
        return pid

    def stop(self) -> str:
        """pg_ctl stop -m fast: open sessions are ended, the data is flushed cleanly."""
        self._run(
            "pg_ctl",
            ["-D", str(self.data_dir), "-m", "fast", "-w", "-t", str(STOP_TIMEOUT), "stop"],
        )
        return "pg_ctl stop -m fast"

    def query(self, sql: str, database: str = DATABASE) -> str:
        """One statement through psql, its rows as `a|b` lines; the password via the
        environment, never the command line."""
        command = [self.tools.tool("psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"]
        command += ["-h", HOST, "-p", str(self.port), "-U", USER, "-d", database, "-c", sql]
        env = {**os.environ, "PGPASSWORD": self.database().password, "PGCONNECT_TIMEOUT": "5"}
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=60, check=False
        )
        if done.returncode != 0:
            raise LocalServerError(
                f"psql on port {self.port}: {done.stderr.strip() or done.stdout.strip()}"
            )
        return done.stdout

    # -- running the binaries as the right user ------------------------------------------------

    def _run(self, tool: str, args: Sequence[str], *, tail: Path | None = None) -> None:
        prefix = ["runuser", "-u", self._owner, "--"] if self._owner else []
        command = [*prefix, self.tools.tool(tool), *args]
        done = subprocess.run(
            command,
            cwd=self.data_dir.parent,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT + 30,
            check=False,
        )
        if done.returncode != 0:
            output = (done.stderr.strip() or done.stdout.strip()).splitlines()[-5:]
            log = f"\nthe end of {tail}:\n{_tail(tail)}" if tail else ""
            raise LocalServerError(f"{tool} failed: {' / '.join(output)}{log}")

    def _check_reachable(self) -> None:
        """The user the server runs as must be able to enter every directory above the data
        directory (a repository under root's 0700 home is not)."""
        if not self._owner:
            return
        entry = pwd.getpwnam(self._owner)
        for parent in self.data_dir.parents:
            mode = parent.stat()
            if mode.st_uid == entry.pw_uid:
                bit = stat.S_IXUSR
            elif mode.st_gid == entry.pw_gid:
                bit = stat.S_IXGRP
            else:
                bit = stat.S_IXOTH
            if not mode.st_mode & bit:
                raise LocalServerError(
                    f"PostgreSQL refuses to run as root, so it runs as {self._owner}, who cannot "
                    f"enter {parent} (mode {stat.S_IMODE(mode.st_mode):o}); allow it "
                    f"(chmod o+x {parent}), keep the repository elsewhere, or run deploy-dsl as "
                    "a normal user"
                )

    def _give(self, path: Path) -> None:
        """Hand a file or directory to the user the server runs as (as root only)."""
        if self._owner:
            entry = pwd.getpwnam(self._owner)
            os.chown(path, entry.pw_uid, entry.pw_gid)


def _run_as_user() -> str | None:
    """None when not root; else `postgres` if it exists, else `nobody`."""
    if os.geteuid() != 0:
        return None
    if shutil.which("runuser") is None:
        raise LocalServerError(
            "PostgreSQL cannot run as root, and `runuser` (util-linux) is missing to run it as "
            "another user; run deploy-dsl as a normal user"
        )
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise LocalServerError("PostgreSQL cannot run as root, and there is no postgres or nobody user")


def write_private(path: Path, text: str) -> None:
    """Written atomically, mode 0600 from the start (a password, or a file holding one)."""
    scratch = path.with_name(path.name + ".tmp")
    scratch.unlink(missing_ok=True)
    descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(text)
    scratch.replace(path)


def _tail(path: Path | None, lines: int = 15) -> str:
    if path is None:
        return ""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])

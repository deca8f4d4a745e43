"""Process bookkeeping: pid files, whether a pid is alive, spawning and stopping.

Processes are spawned detached, each in its own session, so they outlive the command that
started them; a pid file is how a later command finds one again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

__all__ = [
    "alive",
    "command_line",
    "find_leader",
    "read_number",
    "spawn",
    "terminate",
    "write_number",
]


def read_number(path: Path) -> int | None:
    """The number in a pid or port file; None if the file is missing or holds no number."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and int(text) > 0 else None


def write_number(path: Path, number: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(f"{number}\n", encoding="ascii")
    scratch.replace(path)


# Kept until they exit: a dropped Popen of a running process warns (ResourceWarning), and
# polling it is how this process reaps its own children.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def spawn(argv: list[str], *, cwd: Path, log: Path, env: dict[str, str] | None = None) -> int:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        # A new session: the process outlives this one and gets no Ctrl-C meant for the CLI.
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _CHILDREN[process.pid] = process
    return process.pid


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    _reap(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, but alive
    return _state(pid) != "Z"


def _state(pid: int) -> str:
    """The one-letter process state (R, S, Z, ...); "" if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return _ps(pid, "stat")[:1]
    return stat.rpartition(")")[2].split()[0]  # the name in (...) may hold spaces


def command_line(pid: int) -> str:
    # Not a liveness test: right after a fork the new command line can still read as empty.
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return _ps(pid, "args")
    return raw.replace(b"\0", b" ").decode(errors="replace")


def find_leader(marker: str) -> int | None:
    """A live process that leads its own group and whose command line holds `marker`: how a
    process we started is found again when its pid file is gone (`rm -rf .state`)."""
    for pid in _all_pids():
        if pid != os.getpid() and marker in command_line(pid) and _leads_group(pid) and alive(pid):
            return pid
    return None


def _all_pids() -> list[int]:
    proc = Path("/proc")
    if proc.is_dir():
        return sorted(int(entry.name) for entry in proc.iterdir() if entry.name.isdigit())
    with contextlib.suppress(OSError):
        listing = subprocess.run(["ps", "-eo", "pid="], capture_output=True, text=True, check=False)
        return sorted(int(line) for line in listing.stdout.split() if line.isdigit())
    return []


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def _ps(pid: int, field: str) -> str:
    # Where there is no /proc (macOS).
    with contextlib.suppress(OSError):
        command = ["ps", "-o", f"{field}=", "-p", str(pid)]
        return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
    return ""


def _reap(pid: int) -> None:
    # A process started by this very process (a test fixture) stays a zombie until polled.
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        del _CHILDREN[pid]


def terminate(pid: int, timeout: float) -> str:
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return "SIGTERM"
        time.sleep(0.1)
    _signal_group(pid, signal.SIGKILL)
    for _ in range(50):
        if not alive(pid):
            break
        time.sleep(0.1)
    return f"SIGKILL after {timeout:.0f}s"


def _signal_group(pid: int, signum: signal.Signals) -> None:
    # Our processes lead their own group: signal it so gunicorn's workers go too.
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)

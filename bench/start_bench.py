"""The local Conductor's start: untuned beside tuned (the class-data-sharing archive).

Each start is the server's command line as `deploy-dsl server up` builds it, on a fresh SQLite
database (the migrations included) in a scratch state directory and a free port, so the running
stack is left alone; the jar and the archive come from the user's cache. Timed from spawn to
`/health` answering 200; CPU is the server process's own (user + system, /proc), which load on
a shared machine moves far less than wall time. The untuned start has CONDUCTOR_CDS=0. Before
the rounds, the archive is made if it is missing (one start writes the class list, the next
dump makes the archive), untimed. ROUNDS rounds, the two kinds in turn; medians.

Target (issue 29): healthy in under 10 s on 2 quiet cores.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench import report
from bench.timing import ratio
from deploy_dsl.local import processes
from deploy_dsl.local.cds import CDS_ENV
from deploy_dsl.local.conductor import conductor_argv
from deploy_dsl.local.layout import Layout
from deploy_dsl.local.stack import healthy, local_url

__all__ = ["main"]

ROUNDS = 3
TARGET_S = 10.0
START_TIMEOUT_S = 600.0
TICKS = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    # /proc/PID/stat: utime and stime are fields 14 and 15, after the parenthesised command.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@contextlib.contextmanager
def _cds(enabled: bool) -> Iterator[None]:
    before = os.environ.get(CDS_ENV)
    os.environ[CDS_ENV] = "1" if enabled else "0"
    try:
        yield
    finally:
        os.environ.pop(CDS_ENV, None)
        if before is not None:
            os.environ[CDS_ENV] = before


def _start(layout: Layout, *, tuned: bool) -> tuple[float, float]:
    """One start on a fresh database: (wall seconds to healthy, the server's CPU seconds)."""
    shutil.rmtree(layout.conductor_dir, ignore_errors=True)
    port = _free_port()
    with _cds(tuned):
        argv = conductor_argv(layout, port, lambda line: print(f"      {line}", flush=True))
    begun = time.perf_counter()
    log = layout.conductor_dir / "conductor.log"
    pid = processes.spawn(argv, cwd=layout.conductor_dir, log=log)
    try:
        while not healthy(local_url(port)):
            if not processes.alive(pid):
                raise SystemExit(f"the server exited before it was healthy; see {log}")
            if time.perf_counter() - begun > START_TIMEOUT_S:
                raise SystemExit(f"the server was not healthy after {START_TIMEOUT_S:.0f} s")
            time.sleep(0.1)
        return time.perf_counter() - begun, _cpu_seconds(pid)
    finally:
        processes.terminate(pid, 30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.start_bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="starts of each kind")
    options = parser.parse_args([] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="start-bench-") as folder:
        root = Path(folder)
        # The project's jar cache (the jar, the archive), a scratch state directory.
        layout = Layout(root, root / ".state", root / "build", Layout.of_project().cache_dir)
        for _ in range(2):  # a start writes the class list, the next call dumps the archive
            with _cds(True):
                probe = conductor_argv(layout, 0, lambda line: print(f"    {line}", flush=True))
            if any(a.startswith("-XX:DumpLoadedClassList") for a in probe):
                print("    making the class-data archive: a start writes the class list (untimed)")
                _start(layout, tuned=True)
        runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
        for round_ in range(options.rounds):
            for tuned in (False, True):
                runs[tuned].append(_start(layout, tuned=tuned))
                wall, cpu = runs[tuned][-1]
                kind = "tuned" if tuned else "untuned"
                print(f"    round {round_ + 1} {kind}: {wall:.1f} s wall, {cpu:.1f} s cpu")
    walls = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    cpus = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    print(f"  start to healthy, median of {options.rounds} ({report.load()})")
    print(f"    {'':34s}{'wall':>9s}{'cpu':>9s}")
    for tuned, label in ((False, "untuned (CONDUCTOR_CDS=0)"), (True, "with the CDS archive")):
        print(f"    {label:34s}{walls[tuned]:8.1f} s{cpus[tuned]:8.1f} s")
    print(f"    archive vs untuned: wall {ratio(walls[False], walls[True])}, cpu "
          f"{ratio(cpus[False], cpus[True])}")  # fmt: skip
    report.record("server start, untuned, wall", walls[False], "s")
    report.record("server start, untuned, cpu", cpus[False], "s")
    met = report.at_most("server start, tuned, wall", walls[True], "s", TARGET_S)
    report.record("server start, tuned, cpu", cpus[True], "s")
    report.record("server start, cpu untuned / tuned", cpus[False] / cpus[True], "x")
    print(f"    target <= {TARGET_S:g} s wall (quiet machine): {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main(sys.argv[1:])

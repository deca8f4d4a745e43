"""Small helpers for measuring side by side on a noisy shared machine."""

from __future__ import annotations

import resource
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["ProcessTime", "best_of", "interleaved_process_times", "ratio"]


def best_of(rounds: int, run: Callable[[], object]) -> float:
    """The fastest of `rounds` runs, in seconds: the least disturbed by other load."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


@dataclass(frozen=True)
class ProcessTime:
    wall: float  # seconds, median
    cpu: float  # user + system seconds, median: less sensitive to other load than wall time


def interleaved_process_times(
    commands: Mapping[str, Sequence[str]],
    rounds: int,
    cwd: str,
    env: Mapping[str, str] | None = None,
    envs: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, ProcessTime]:
    """Median times of each command, run in turn so that load hits all of them alike; each
    with `env`, or its own environment from `envs`."""
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            own = (envs or {}).get(name, env)
            subprocess.run(command, cwd=cwd, env=own, check=True, capture_output=True)
            walls[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {
        name: ProcessTime(statistics.median(walls[name]), statistics.median(cpus[name]))
        for name in commands
    }


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}x" if denominator else "n/a"

"""Small helpers for measuring side by side on a noisy shared machine."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Sequence

__all__ = ["best_of", "interleaved_process_times", "ratio"]


def best_of(rounds: int, run: Callable[[], object]) -> float:
    """The fastest of `rounds` runs, in seconds: the least disturbed by other load."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def interleaved_process_times(
    commands: dict[str, Sequence[str]], rounds: int, cwd: str
) -> dict[str, float]:
    """Median wall time of each command, run in turn so that load hits all of them alike."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, cwd=cwd, check=True, capture_output=True)
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}x" if denominator else "n/a"

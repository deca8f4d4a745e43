"""Every figure a bench run measures, kept so that `--json FILE` can write them for comparison.

A section prints its figures for people and calls :func:`record` for the ones worth comparing
across runs; `python -m bench --json FILE` writes what was recorded, in order, and the sections
that failed (:func:`run_section`).
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = [
    "Figure",
    "at_least",
    "at_most",
    "clear",
    "failures",
    "figures",
    "load",
    "record",
    "reset",
    "run_section",
    "write_json",
]


@dataclass(frozen=True)
class Figure:
    section: str
    name: str
    value: float
    unit: str
    target: str | None  # as people read it: ">= 2x", "<= 1.4 s"
    met: bool | None  # None: a figure with no target
    load: float  # the machine's 1-minute load average when it was recorded


_FIGURES: list[Figure] = []
_FAILURES: dict[str, str] = {}
_SECTION = [""]


def clear() -> None:
    """Forgets every figure and failure: a bench run starts from nothing."""
    _FIGURES.clear()
    _FAILURES.clear()


def reset(section: str) -> None:
    """Figures recorded from now on belong to `section` (set by `python -m bench`)."""
    _SECTION[0] = section


def record(
    name: str, value: float, unit: str, *, target: str | None = None, met: bool | None = None
) -> float:
    """Keeps one figure; returns `value` so a caller can record and print in one go."""
    load = round(os.getloadavg()[0], 2)
    _FIGURES.append(Figure(_SECTION[0], name, round(value, 6), unit, target, met, load))
    return value


def at_least(name: str, value: float, unit: str, limit: float) -> bool:
    """Records a figure whose target is a floor, and says whether it was met."""
    met = value >= limit
    record(name, value, unit, target=f">= {limit:g}{_spaced(unit)}", met=met)
    return met


def at_most(name: str, value: float, unit: str, limit: float) -> bool:
    """Records a figure whose target is a ceiling, and says whether it was met."""
    met = value <= limit
    record(name, value, unit, target=f"<= {limit:g}{_spaced(unit)}", met=met)
    return met


def _spaced(unit: str) -> str:
    return unit if unit == "x" else f" {unit}"


def load() -> str:
    """The machine's load averages (1, 5, 15 min) and core count, as a line: on a shared
    machine, how far wall times may be off is part of every figure."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def run_section(section: Callable[[], None]) -> str | None:
    """Runs one section; None when it ran to its end, else what stopped it, in one line (kept
    for `failures` and the JSON). A section stops itself with SystemExit("why"); anything else
    is a bug in it, whose traceback's last lines are printed above the line."""
    name = _SECTION[0]
    try:
        section()
    except KeyboardInterrupt:
        raise
    except SystemExit as stop:
        if stop.code in (None, 0):
            return None
        why = str(stop.code).strip()
        if "\n" in why:  # the detail (a test run's output) above, the line below
            print(why, flush=True)
    except Exception as error:  # a bug in one section must not cost the others their figures
        print("".join(traceback.format_exception(error)[-3:]).rstrip(), flush=True)
        why = f"{type(error).__name__}: {error}"
    else:
        return None
    line = (why.splitlines() or ["(no message)"])[0]
    _FAILURES[name] = line
    return line


def failures() -> dict[str, str]:
    """Section name -> the line that says why it did not run to its end."""
    return dict(_FAILURES)


def figures() -> list[Figure]:
    return list(_FIGURES)


def write_json(path: Path) -> None:
    document = {
        "load": load(),
        "figures": [asdict(figure) for figure in _FIGURES],
        "failed_sections": [{"section": k, "error": v} for k, v in _FAILURES.items()],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")

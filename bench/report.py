"""Every figure a bench run measures, kept so that `--json FILE` can write them for comparison.

A section prints its figures for people and calls :func:`record` for the ones worth comparing
across runs; `python -m bench --json FILE` writes what was recorded, in order.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["Figure", "at_least", "at_most", "figures", "record", "reset", "write_json"]


@dataclass(frozen=True)
class Figure:
    section: str
    name: str
    value: float
    unit: str
    target: str | None  # as people read it: ">= 2x", "<= 1.4 s"
    met: bool | None  # None: a figure with no target


_FIGURES: list[Figure] = []
_SECTION = [""]


def reset(section: str) -> None:
    """Figures recorded from now on belong to `section` (set by `python -m bench`)."""
    _SECTION[0] = section


def record(
    name: str, value: float, unit: str, *, target: str | None = None, met: bool | None = None
) -> float:
    """Keeps one figure; returns `value` so a caller can record and print in one go."""
    _FIGURES.append(Figure(_SECTION[0], name, round(value, 6), unit, target, met))
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


def figures() -> list[Figure]:
    return list(_FIGURES)


def write_json(path: Path) -> None:
    document = {"figures": [asdict(figure) for figure in _FIGURES]}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")

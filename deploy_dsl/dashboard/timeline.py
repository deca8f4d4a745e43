"""The gantt chart of an execution and its sub-workflows as positioned bars (pure): the same
sections and bars as `status --gantt` (`client.gantt.sections`), placed in percent of the
whole run so the page draws them with CSS alone."""

from __future__ import annotations

from dataclasses import dataclass

from deploy_dsl.client.gantt import sections
from deploy_dsl.client.tree import ExecutionNode

__all__ = ["Lane", "Timeline", "timeline"]

# A bar narrower than this is still seen and can be pointed at.
_MIN_WIDTH = 0.4


@dataclass(frozen=True)
class Lane:
    label: str
    tag: str  # done, crit, active
    left: float  # percent of the time axis
    width: float
    start_ms: int
    end_ms: int
    status: str


@dataclass(frozen=True)
class Section:
    title: str
    workflow_id: str
    lanes: tuple[Lane, ...]


@dataclass(frozen=True)
class Timeline:
    start_ms: int
    end_ms: int
    sections: tuple[Section, ...]

    @property
    def seconds(self) -> float:
        return (self.end_ms - self.start_ms) / 1000


def timeline(tree: ExecutionNode, now_ms: int) -> Timeline | None:
    """None when nothing has run yet."""
    found = sections(tree, now_ms)
    bars = [bar for section in found for bar in section.bars]
    if not bars:
        return None
    start = min(bar.start for bar in bars)
    end = max(max(bar.end for bar in bars), start + 1)
    span = end - start
    placed = tuple(
        Section(
            section.title,
            section.workflow_id,
            tuple(
                Lane(
                    bar.label,
                    bar.tag,
                    left=min(100 - _MIN_WIDTH, 100 * (bar.start - start) / span),
                    width=max(_MIN_WIDTH, 100 * (bar.end - bar.start) / span),
                    start_ms=bar.start,
                    end_ms=bar.end,
                    status=str(bar.task.get("status", "?")),
                )
                for bar in section.bars
            ),
        )
        for section in found
    )
    return Timeline(start, end, placed)

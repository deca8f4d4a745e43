"""Fault injection: make a step fail its first calls, or answer late. Off unless asked for.

Configuration, ``WORKER_FAULTS``: entries separated by ``;``, each ``<step>:<option>[,<option>]``,
options ``fail=N`` and ``delay=S``. Whitespace around tokens is ignored. Example::

    WORKER_FAULTS="swap_traffic:fail=2;effective_status:delay=0.5,fail=1"

- ``fail=N`` (integer 0..1000): the first N calls of that step *for each deployment* answer
  503 ``{"error": "injected fault", ...}`` and change nothing. Calls are counted in the shared
  state, so every gunicorn process sees the same count.
- ``delay=S`` (seconds, 0..10): every call of that step waits S seconds before doing anything.

Per request, headers replace the configured value of the same option for that call:
``X-Fault-Fail: N`` (fail while fewer than N calls of this step were made for this deployment,
the failing ones included) and ``X-Fault-Delay: S``.

An unknown step or option, or a bad value, raises :class:`FaultSyntaxError` naming it: in the
configuration that stops the worker at startup, in a header it is a 400 answer.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

__all__ = [
    "DELAY_HEADER",
    "FAIL_HEADER",
    "MAX_DELAY_SECONDS",
    "MAX_FAIL",
    "NO_FAULT",
    "FaultSpec",
    "FaultSyntaxError",
    "fault_for_request",
    "parse_faults",
]

FAIL_HEADER = "X-Fault-Fail"
DELAY_HEADER = "X-Fault-Delay"
MAX_FAIL = 1000
# Under gunicorn's 30 s worker timeout with room to spare.
MAX_DELAY_SECONDS = 10.0


class FaultSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class FaultSpec:
    fail: int = 0
    delay: float = 0.0


NO_FAULT = FaultSpec()


def _parse_fail(text: str, where: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise FaultSyntaxError(f"{where}: fail must be an integer, got {text!r}") from None
    if not 0 <= count <= MAX_FAIL:
        raise FaultSyntaxError(f"{where}: fail must be between 0 and {MAX_FAIL}, got {count}")
    return count


def _parse_delay(text: str, where: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise FaultSyntaxError(
            f"{where}: delay must be a number of seconds, got {text!r}"
        ) from None
    if not (math.isfinite(seconds) and 0 <= seconds <= MAX_DELAY_SECONDS):
        raise FaultSyntaxError(
            f"{where}: delay must be between 0 and {MAX_DELAY_SECONDS:g} seconds, got {text!r}"
        )
    return seconds


def _parse_entry(entry: str, known_steps: Collection[str]) -> tuple[str, FaultSpec]:
    where = f"fault entry {entry!r}"
    step, colon, options = (part.strip() for part in entry.partition(":"))
    if not colon or not options:
        raise FaultSyntaxError(f"{where}: expected '<step>:fail=N' or '<step>:delay=S'")
    if step not in known_steps:
        raise FaultSyntaxError(f"{where}: unknown step {step!r}")
    fail, delay = 0, 0.0
    for option in options.split(","):
        key, _, value = (part.strip() for part in option.partition("="))
        if key == "fail":
            fail = _parse_fail(value, where)
        elif key == "delay":
            delay = _parse_delay(value, where)
        else:
            raise FaultSyntaxError(
                f"{where}: unknown option {option.strip()!r}, use fail= or delay="
            )
    return step, FaultSpec(fail=fail, delay=delay)


def parse_faults(text: str, known_steps: Collection[str]) -> dict[str, FaultSpec]:
    plan: dict[str, FaultSpec] = {}
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        step, spec = _parse_entry(entry, known_steps)
        if step in plan:
            raise FaultSyntaxError(f"fault entry {entry!r}: step {step!r} is configured twice")
        plan[step] = spec
    return plan


def fault_for_request(
    configured: FaultSpec, fail_header: str | None, delay_header: str | None
) -> FaultSpec:
    """The fault for one call: each header given replaces the configured value of its option."""
    if fail_header is None and delay_header is None:
        return configured  # nearly every call: nothing to parse or build
    return FaultSpec(
        fail=configured.fail
        if fail_header is None
        else _parse_fail(fail_header, f"header {FAIL_HEADER}"),
        delay=configured.delay
        if delay_header is None
        else _parse_delay(delay_header, f"header {DELAY_HEADER}"),
    )

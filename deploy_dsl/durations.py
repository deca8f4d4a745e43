"""WAIT's `duration` and `until` as Conductor 3.32 parses them (pure).

`WaitTaskMapper.setCallbackAfter` hands a non-blank duration to `DateTimeUtils.parseDuration`
and a non-blank until to `DateTimeUtils.parseDate`; registration
(`WorkflowTaskTypeConstraint.isWaitTaskValid`) parses literal values the same way. A value the
server cannot parse is refused at registration for a top-level task, and inside a DO_WHILE body
(which registration does not check) it makes the workflow's start fail or leaves it stuck.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

__all__ = ["MAX_SECONDS", "duration_problem", "parse_duration", "until_problem"]

# DateTimeUtils.DURATION_PATTERN, used with matches() and CASE_INSENSITIVE: whole numbers, each
# with a unit, units in the order d, h, m, s, each at most once, spaces optional.
_DURATION: Final = re.compile(
    r"\s*(?:(\d+)\s*(?:days?|d))?\s*(?:(\d+)\s*(?:hours?|hrs?|h))?"
    r"\s*(?:(\d+)\s*(?:minutes?|mins?|m))?\s*(?:(\d+)\s*(?:seconds?|secs?|s))?\s*",
    re.IGNORECASE | re.ASCII,
)
# Each group goes through Integer.parseInt, and the sum is int arithmetic: past this the server
# refuses the number, or the total overflows negative and the WAIT ends at once.
MAX_SECONDS: Final = 2**31 - 1
# DateTimeUtils.parseDate: commons-lang3 DateUtils.parseDate with these patterns (server time zone
# unless one is given). ISO 8601 with a `T` is refused.
_UNTIL_FORMATS: Final = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M %Z", "%Y-%m-%d")


def parse_duration(text: str) -> int | None:
    """The seconds a duration stands for, or None if the server would refuse it."""
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.groups()):
        return None if text.strip() else 0
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    if max(days, hours, minutes, seconds) > MAX_SECONDS:
        return None
    total = days * 86400 + (hours * 60 + minutes) * 60 + seconds
    return total if total <= MAX_SECONDS else None


def duration_problem(value: object) -> str | None:
    """Why the server would not wait for `value`, or None if it would (blank is not a problem
    here: it means "until completed from outside", which callers judge themselves)."""
    if not isinstance(value, str):
        return f"duration {value!r} is not a string; the server refuses it"
    if not value.strip() or value.lstrip().startswith("${"):
        return None
    if parse_duration(value) is None:
        return (
            f"duration {value!r} is not one Conductor parses (whole numbers with units d, h, m, "
            "s in that order, e.g. '30s', '1m 30s', '2 hours'); the server refuses it"
        )
    return None


def until_problem(value: object) -> str | None:
    """Why the server could not parse `until`, or None if it can (or it is an expression)."""
    if not isinstance(value, str):
        return f"until {value!r} is not a string; the server refuses it"
    if not value.strip() or value.lstrip().startswith("${"):
        return None
    for pattern in _UNTIL_FORMATS:
        try:
            datetime.strptime(value.strip(), pattern)
        except ValueError:
            continue
        return None
    return (
        f"until {value!r} is not 'yyyy-MM-dd HH:mm', 'yyyy-MM-dd HH:mm z' or 'yyyy-MM-dd'; "
        "the server refuses it"
    )

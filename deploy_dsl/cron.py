"""Cron expressions as Conductor's scheduler reads them (pure).

Conductor 3.32.3's scheduler parses a schedule's `cronExpression` with Spring's
`org.springframework.scheduling.support.CronExpression.parse` (spring-context 6.2, called by
`SchedulerService.computeNextScheduleForSingleCron`). That is not the five-field Unix cron: it
has six fields, seconds first:

    second minute hour day-of-month month day-of-week      "0 0 2 * * MON-FRI"

or one of the macros `@yearly @annually @monthly @weekly @daily @midnight @hourly`. Each field
is `*`, a number, a range `a-b`, a step `*/n`, `a/n` or `a-b/n`, or a comma list of those;
months may be `JAN`..`DEC`, days of the week `MON`..`SUN` (0 and 7 are both Sunday), both
case-insensitive; day-of-month and day-of-week may be `?`; day-of-month also takes `L`, `L-n`,
`LW` and `nW`, day-of-week `nL` and `n#k` (Quartz's forms, `QuartzCronField`).

Measured on the 3.32.3 server: `POST /api/scheduler/schedules` saves a schedule whatever its
expression says, and one that Spring cannot parse then never fires. So `cron_problem` says
why an expression would not parse, in Spring's terms, before any server sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["FIELD_NAMES", "cron_problem", "never_fires"]

FIELD_NAMES: Final = ("second", "minute", "hour", "day-of-month", "month", "day-of-week")

# CronExpression.MACROS: matched case-insensitively after trimming.
_MACROS: Final = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
# CronField.MONTHS and CronField.DAYS: replaced by their 1-based position anywhere in the field.
_MONTHS: Final = (
    "JAN",
    "FEB",
    "MAR",
    "APR",
    "MAY",
    "JUN",
    "JUL",
    "AUG",
    "SEP",
    "OCT",
    "NOV",
    "DEC",
)
_DAYS: Final = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
# Integer.parseInt: an optional sign, then digits (ASCII here; Java would take other scripts'
# digits too, which no one writes in a cron expression).
_INT: Final = re.compile(r"[+-]?[0-9]+\Z")
_DAYS_IN_MONTH: Final = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class _Type:
    """CronField.Type: the field's name and the range of its ChronoField."""

    name: str
    low: int
    high: int


_SECOND = _Type("second", 0, 59)
_MINUTE = _Type("minute", 0, 59)
_HOUR = _Type("hour", 0, 23)
_DAY_OF_MONTH = _Type("day-of-month", 1, 31)
_MONTH = _Type("month", 1, 12)
_DAY_OF_WEEK = _Type("day-of-week", 1, 7)


class _Invalid(Exception):
    """Why Spring's parser throws IllegalArgumentException for the field."""


def cron_problem(expression: str) -> str | None:
    """Why Spring's CronExpression.parse refuses `expression`; None when it parses."""
    try:
        _parse(expression)
    except _Invalid as error:
        return str(error)
    return None


def never_fires(expression: str) -> str | None:
    """Why a parsed expression can never fire (a day of the month that none of its months
    has, such as 30 February), or None. `CronExpression.next` then answers null and the
    scheduler never starts the workflow. Only the plain day-of-month forms are judged."""
    try:
        fields = _parse(expression)
    except _Invalid:
        return None
    days, months = fields[3], fields[4]
    if days is None or months is None:
        return None
    longest = max(_DAYS_IN_MONTH[month - 1] for month in months)
    if min(days) > longest:
        return (
            f"day-of-month {min(days)} never comes in the months it selects (at most "
            f"{longest} days): the schedule never fires"
        )
    return None


def _parse(expression: str) -> list[frozenset[int] | None]:
    """The values each field selects (None for the Quartz forms), as CronExpression.parse."""
    if not expression:
        raise _Invalid("the expression is empty")
    resolved = _MACROS.get(_java_trim(expression).lower(), expression)
    # StringUtils.tokenizeToStringArray(expression, " "): split on spaces only, tokens trimmed,
    # empty ones dropped.
    fields = [t for t in (_java_trim(token) for token in resolved.split(" ")) if t]
    if len(fields) != 6:
        raise _Invalid(
            f"a cron expression has 6 fields (second minute hour day-of-month month "
            f"day-of-week), found {len(fields)}: {expression!r}"
        )
    seconds, minutes, hours, days, months, weekdays = fields
    return [
        _bits(seconds, _SECOND),
        _bits(minutes, _MINUTE),
        _bits(hours, _HOUR),
        _days_of_month(days),
        _bits(_ordinals(months, _MONTHS), _MONTH),
        _days_of_week(weekdays),
    ]


def _java_trim(text: str) -> str:
    """String.trim(): strips every character up to U+0020, not only whitespace."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def _ordinals(value: str, names: tuple[str, ...]) -> str:
    """CronField.replaceOrdinals: upper-cased, then each name replaced by its position."""
    value = value.upper()
    for position, name in enumerate(names, start=1):
        value = value.replace(name, str(position))
    return value


def _days_of_month(value: str) -> frozenset[int] | None:
    """CronField.parseDaysOfMonth: the Quartz forms when the field holds `L` or `W`."""
    if "L" not in value and "W" not in value:
        return _bits("*" if value == "?" else value, _DAY_OF_MONTH)
    for part in value.split(","):
        if "L" in part or "W" in part:
            _quartz_day_of_month(part)
        else:
            _bits("*" if part == "?" else part, _DAY_OF_MONTH)
    return None


def _quartz_day_of_month(value: str) -> None:
    """QuartzCronField.parseDaysOfMonth: `L`, `LW`, `L-n`, `nW`."""
    if "L" in value:
        if value.rindex("L") != 0:
            raise _Invalid(f"day-of-month {value!r}: characters before 'L'")
        if value in ("L", "LW"):
            return
        offset = _int(value[1:], f"day-of-month {value!r}")
        if offset >= 0:
            raise _Invalid(f"day-of-month {value!r}: the offset after 'L' must be negative")
        return
    position = value.rindex("W")
    if position == 0:
        raise _Invalid(f"day-of-month {value!r}: no day before 'W'")
    if position != len(value) - 1:
        raise _Invalid(f"day-of-month {value!r}: characters after 'W'")
    _check(_int(value[:position], f"day-of-month {value!r}"), _DAY_OF_MONTH, value)


def _days_of_week(value: str) -> frozenset[int] | None:
    """CronField.parseDaysOfWeek: names replaced, then the Quartz forms when it holds `L` or
    `#`; 0 is Sunday, as 7 is."""
    value = _ordinals(value, _DAYS)
    if "L" not in value and "#" not in value:
        return _weekday_bits("*" if value == "?" else value)
    for part in value.split(","):
        if "L" in part or "#" in part:
            _quartz_day_of_week(part)
        else:
            _weekday_bits("*" if part == "?" else part)
    return None


def _weekday_bits(value: str) -> frozenset[int]:
    selected = _bits(value, _DAY_OF_WEEK)
    return (selected - {0}) | {7} if 0 in selected else selected


def _quartz_day_of_week(value: str) -> None:
    """QuartzCronField.parseDaysOfWeek: `nL` (the last such day) and `n#k` (the k-th)."""
    if "L" in value:
        position = value.rindex("L")
        if position != len(value) - 1:
            raise _Invalid(f"day-of-week {value!r}: characters after 'L'")
        if position == 0:
            raise _Invalid(f"day-of-week {value!r}: no day before 'L'")
        _weekday(value[:position], value)
        return
    position = value.rindex("#")
    if position == 0:
        raise _Invalid(f"day-of-week {value!r}: no day before '#'")
    if position == len(value) - 1:
        raise _Invalid(f"day-of-week {value!r}: no ordinal after '#'")
    _weekday(value[:position], value)
    if _int(value[position + 1 :], f"day-of-week {value!r}") <= 0:
        raise _Invalid(f"day-of-week {value!r}: the ordinal after '#' must be positive")


def _weekday(text: str, field: str) -> None:
    """QuartzCronField.parseDayOfWeek: 0 (Sunday) to 7 (Sunday again)."""
    day = _int(text, f"day-of-week {field!r}")
    if not 0 <= day <= 7:
        raise _Invalid(f"day-of-week {field!r}: {day} is not a day of the week (0-7)")


def _bits(value: str, kind: _Type) -> frozenset[int]:
    """BitsCronField.parseField: a comma list of `*`, `n`, `a-b`, each with an optional
    `/step`; a step without a range runs to the field's maximum."""
    if not value:
        raise _Invalid(f"{kind.name} field is empty")
    selected: set[int] = set()
    for part in value.split(","):
        if "/" not in part:
            low, high = _range(part, kind, value)
            selected.update(range(low, high + 1))
            continue
        range_text, step_text = part.split("/", 1)
        low, high = _range(range_text, kind, value)
        if "-" not in range_text:
            high = kind.high
        step = _int(step_text, f"{kind.name} {value!r}")
        if step <= 0:
            raise _Invalid(f"{kind.name} {value!r}: the step after '/' must be 1 or more")
        selected.update(range(low, high + 1, step))
    return frozenset(selected)


def _range(text: str, kind: _Type, field: str) -> tuple[int, int]:
    """BitsCronField.parseRange: `*`, `n` or `a-b` (as a minimum, day-of-week 7 is 0)."""
    if text == "*":
        return kind.low, kind.high
    where = f"{kind.name} {field!r}"
    if "-" not in text:
        value = _check(_int(text, where), kind, field)
        return value, value
    hyphen = text.index("-")
    low = _check(_int(text[:hyphen], where), kind, field)
    high = _check(_int(text[hyphen + 1 :], where), kind, field)
    if kind is _DAY_OF_WEEK and low == 7:
        low = 0
    if low > high:
        raise _Invalid(f"{where}: the range {low}-{high} runs backwards")
    return low, high


def _check(value: int, kind: _Type, field: str) -> int:
    """CronField.Type.checkValidValue: the ChronoField's range; day-of-week also takes 0."""
    if kind is _DAY_OF_WEEK and value == 0:
        return value
    if not kind.low <= value <= kind.high:
        low = 0 if kind is _DAY_OF_WEEK else kind.low
        raise _Invalid(f"{kind.name} {field!r}: {value} is outside {low}-{kind.high}")
    return value


def _int(text: str, where: str) -> int:
    if not _INT.match(text):
        raise _Invalid(f"{where}: {text!r} is not a number")
    return int(text)

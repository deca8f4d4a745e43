"""Cron expressions as the 3.32.3 scheduler parses them (Spring's CronExpression); the same
verdicts against the running server are in tests/e2e/test_triggers.py."""

from __future__ import annotations

import pytest

from deploy_dsl.cron import cron_problem, never_fires

PARSED = [
    "0 0 2 * * *",
    "*/5 * * * * *",
    "0 0 2 * * MON-FRI",
    "0 0 2 ? * mon-fri",  # names in any case
    "0 0 2 1 jan,Jul *",
    "@daily",
    " @HOURLY ",
    "0 0 0 L * *",
    "0 0 0 L-3 * *",
    "0 0 0 LW * *",
    "0 0 0 15W * *",
    "0 0 0 L,15 * *",
    "0 0 0 ? * 5L",
    "0 0 0 ? * 5l",  # upper-cased before the Quartz forms are looked for
    "0 0 0 ? * MON#2",
    "0 0 0 * * 0",  # Sunday
    "0 0 0 * * 7",  # Sunday too
    "0 0 0 * * SUN-SAT",  # 7-6: as a minimum, 7 is 0
    "0 0/15 8-18 * * *",
    "5/20 * * * * *",
    "1,2,3 * * * * *",
    "0  0  2  *  *  *",  # several spaces
    "+5 * * * * *",  # Integer.parseInt takes a sign
]

REFUSED = {
    "": "the expression is empty",
    "0 2 * * *": "a cron expression has 6 fields (second minute hour day-of-month month "
    "day-of-week), found 5: '0 2 * * *'",
    "0 0 2 * * * *": "found 7",
    "60 * * * * *": "second '60': 60 is outside 0-59",
    "0 0 24 * * *": "hour '24': 24 is outside 0-23",
    "0 0 0 32 * *": "day-of-month '32': 32 is outside 1-31",
    "0 0 0 * 13 *": "month '13': 13 is outside 1-12",
    "0 0 0 * * 8": "day-of-week '8': 8 is outside 0-7",
    "*/0 * * * * *": "the step after '/' must be 1 or more",
    "5-1 * * * * *": "the range 5-1 runs backwards",
    "0 0 0 L3 * *": "the offset after 'L' must be negative",
    "0 0 0 W * *": "no day before 'W'",
    "0 0 0 5W3 * *": "characters after 'W'",
    "0 0 0 * * L": "no day before 'L'",
    "0 0 0 ? * MON#0": "the ordinal after '#' must be positive",
    "0 0 0 ? * MON#": "no ordinal after '#'",
    "0 0 0 ? * ?,1": "'?' is not a number",
    "0 0 0 l * *": "'l' is not a number",  # day-of-month is not upper-cased
    "0 0 0 1-2-3 * *": "'2-3' is not a number",
    "x * * * * *": "'x' is not a number",
    "0\t0 2 * * *": "found 5",  # only spaces separate fields
    "@weekly2": "found 1",
}


@pytest.mark.parametrize("expression", PARSED)
def test_what_the_scheduler_parses(expression: str) -> None:
    assert cron_problem(expression) is None


@pytest.mark.parametrize(("expression", "problem"), sorted(REFUSED.items()))
def test_what_it_refuses_and_why(expression: str, problem: str) -> None:
    found = cron_problem(expression)
    assert found is not None and problem in found, found


def test_a_day_no_selected_month_has_never_fires() -> None:
    assert never_fires("0 0 0 30 2 *") == (
        "day-of-month 30 never comes in the months it selects (at most 29 days): the schedule "
        "never fires"
    )
    assert never_fires("0 0 0 31 4,6,9,11 *") is not None
    assert never_fires("0 0 0 29 2 *") is None  # leap years
    assert never_fires("0 0 0 31 * *") is None
    assert never_fires("0 0 0 L 2 *") is None  # the Quartz forms are not judged
    assert never_fires("not cron") is None  # cron_problem says what is wrong with it

"""`history`'s query and what a search result says (pure); tests/e2e/test_operations.py runs it
against the server's index."""

from __future__ import annotations

import pytest

from deploy_dsl.client.history import BadFilter, search_query, since_millis, summary

NOW = 1_900_000_000_000


@pytest.mark.parametrize(
    ("text", "millis"),
    [
        ("30m", NOW - 30 * 60_000),
        ("2h", NOW - 2 * 3_600_000),
        ("1d 6h", NOW - 30 * 3_600_000),
        ("2030-01-31", 1_896_048_000_000),
        ("2030-01-31T08:00", 1_896_076_800_000),
        ("2030-01-31T08:00+02:00", 1_896_069_600_000),
    ],
)
def test_since_is_a_duration_back_or_a_moment(text: str, millis: int) -> None:
    assert since_millis(text, NOW) == millis


def test_since_that_is_neither_says_what_it_takes() -> None:
    with pytest.raises(BadFilter, match=r"--since 'last week' is neither a duration"):
        since_millis("last week", NOW)


def test_the_query_joins_the_filters_the_index_understands() -> None:
    query = search_query("deploy_simple_v1", ["FAILED", "TIMED_OUT"], 123, "nightly-7")
    assert query == (
        "workflowType='deploy_simple_v1' AND status IN (FAILED,TIMED_OUT) AND startTime>123 "
        "AND correlationId='nightly-7'"
    )
    assert search_query(None, [], None, None) == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((None, ["DONE"], None, None), "--status DONE: one of RUNNING, COMPLETED"),
        (("x' OR '1'='1", [], None, None), "workflow \"x' OR '1'='1\": letters"),
    ],
)
def test_a_filter_the_query_language_cannot_say_is_refused(
    args: tuple[str | None, list[str], int | None, str | None], message: str
) -> None:
    with pytest.raises(BadFilter, match=message.replace("(", r"\(")):
        search_query(*args)


# A WorkflowSummary as GET /api/workflow/search answered it on 3.32.3: the input and output as
# Java's Map.toString().
FOUND = {
    "workflowType": "rollout_v1",
    "version": 1,
    "workflowId": "0dac0226",
    "startTime": "2030-01-31T08:00:00.123Z",
    "status": "COMPLETED",
    "input": "{_scheduledTime=1, waves=[{name=prod, services=[{scope=svc-api, version=2}, "
    "{scope=svc-web, version=2}]}], _startedByScheduler=platform_nightly_rollout}",
    "output": "{outcome=rolled_back, waves=[]}",
    "executionTime": 61500,
    "correlationId": "",
}


def test_a_summary_says_when_what_how_it_ended_and_who_started_it() -> None:
    row = summary(FOUND)
    assert (row.workflow, row.version, row.status, row.seconds) == (
        "rollout_v1",
        1,
        "COMPLETED",
        61.5,
    )
    assert (row.scheduled_by, row.outcome, row.correlation_id) == (
        "platform_nightly_rollout",
        "rolled_back",
        None,
    )
    assert row.line() == (
        "2030-01-31 08:00:00Z rollout_v1 v1                    COMPLETED     61.5s  0dac0226  "
        "(outcome rolled_back; started by schedule platform_nightly_rollout)"
    )
    assert row.to_json()["startTime"] == "2030-01-31T08:00:00.123Z"


@pytest.mark.parametrize(
    ("scope", "found"), [("svc-api", True), ("svc-web", True), ("svc", False), ("api", False)]
)
def test_a_scope_matches_a_whole_value_anywhere_in_the_input(scope: str, found: bool) -> None:
    assert summary(FOUND).mentions_scope(scope) is found

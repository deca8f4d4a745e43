"""The deployments list: filters, the searches they make (SqliteIndexQueryBuilder's syntax) and
the rows read from the server's summaries."""

from __future__ import annotations

import pytest

from deploy_dsl.dashboard.listing import BadFilter, Filters, merge, queries, rows

NAMES = ["deploy_simple_v1", "rollout_v1"]
NOW = 1_800_000_000_000


def summary(workflow_id: str, status: str = "COMPLETED", **extra: object) -> dict[str, object]:
    return {
        "workflowId": workflow_id,
        "workflowType": "deploy_simple_v1",
        "version": 8,
        "status": status,
        "startTime": "2026-12-07T02:29:38.244Z",
        "endTime": "2026-12-07T02:29:40.000Z",
        "input": "{__index=0, scope=svc-a, env=staging, version=1.0.1}",
        **extra,
    }


def test_the_default_filters_ask_for_running_then_recent_top_level_executions() -> None:
    running, recent = queries(Filters(), NAMES, NOW)
    top = 'workflowType IN (deploy_simple_v1,rollout_v1) AND parentWorkflowId=""'
    assert running.query == f"{top} AND status IN (RUNNING,PAUSED)"
    assert recent.query == top
    assert running.free_text == recent.free_text == "*"


def test_each_filter_narrows_the_search() -> None:
    chosen = Filters.parse(
        {"workflow": "rollout_v1", "status": "failed", "scope": 'a"b(c)-long', "period": "1h",
         "nested": "1"},
        NAMES,
    )  # fmt: skip
    (search,) = queries(chosen, NAMES, NOW)
    assert search.query == (
        f"workflowType IN (rollout_v1) AND startTime>{NOW - 3_600_000} AND status IN (FAILED)"
    )
    # The longest piece without what the server's free text cannot match as written.
    assert search.free_text == "-long"
    assert chosen.query_string() == {
        "workflow": "rollout_v1", "status": "FAILED", "scope": 'a"b(c)-long', "period": "1h",
        "nested": "1",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"workflow": "other_v1"}, "workflow 'other_v1' is not one of the project's"),
        ({"status": "DONE"}, "status 'DONE' is not one of RUNNING"),
        ({"period": "2h"}, "period '2h' is not one of 1h, 24h, 7d, all"),
    ],
)
def test_an_unknown_filter_is_refused_naming_it(args: dict[str, str], message: str) -> None:
    with pytest.raises(BadFilter, match=message):
        Filters.parse(args, NAMES)


def test_rows_read_scopes_and_times_from_the_summaries() -> None:
    pipeline = summary(
        "p",
        "RUNNING",
        workflowType="rollout_v1",
        input="{waves=[{services=[{scope=svc-a, env=e}, {scope=<script>alert(1)</script>, env=e}]}"
        ", {services=[{scope=svc-a, env=f}]}]}",
    )
    merged, total = merge([{"totalHits": 1, "results": [pipeline]},
                           {"totalHits": 7, "results": [summary("d"), pipeline]}])  # fmt: skip
    assert total == 7
    found = rows(merged, Filters(), ["rollout_v1"])
    assert [(r.workflow_id, r.running, r.waves) for r in found] == [
        ("p", True, True), ("d", False, False)
    ]  # fmt: skip
    assert found[0].scopes == ("svc-a", "<script>alert(1)</script>")
    assert found[1].start_ms == 1796610578244
    assert found[1].end_ms is not None and found[1].end_ms - found[1].start_ms == 1756


def test_the_scope_filter_keeps_only_rows_with_that_scope() -> None:
    other = summary("o", input="{scope=svc-b, note=svc-a}")
    found = rows([summary("d"), other], Filters(scope="svc-a"), [])
    assert [r.workflow_id for r in found] == ["d"]

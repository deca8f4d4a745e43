"""`deploy-dsl status --gantt`'s chart, over recorded executions: its text, and Mermaid's own
parser on it (tests/docs/mermaid_check.py); tests/e2e/test_rollout.py draws a real rollout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mermaid_check import parse_with_node, render_in_chromium

from deploy_dsl.client.gantt import gantt
from deploy_dsl.client.tree import ExecutionNode, load_tree
from tests.executions import Recorded, execution, sub_workflow, task


def rollout() -> ExecutionNode:
    deploy = {"scope": "svc-a", "version": "1", "env": "e"}
    return load_tree(
        Recorded(
            execution(
                "root",
                "rollout_v1",
                [
                    task("prepare_wave__1", "INLINE", start=1_000, end=1_010),
                    sub_workflow("wave__1", "w1", {"label": "wave 1 (eu)"}, start=1_010, end=9_000),
                ],
                "FAILED",
            ),
            execution(
                "w1",
                "rollout_wave_v1",
                [
                    task("approve_wave", "WAIT", start=1_020, end=4_000),
                    task("deploys", "DO_WHILE", start=4_000, end=8_900),
                    sub_workflow("_deploys_fork_0__1", "d1", deploy, start=4_100, end=8_000),
                ],
            ),
            execution(
                "d1",
                "deploy_simple_v1",
                [
                    task("create_infrastructure", start=4_200, end=4_300),
                    task("swap_traffic", status="FAILED", start=4_400, end=4_500),
                    task("swap_traffic", start=4_600, end=4_700, retryCount=1),
                    sub_workflow("rollback", "r1", deploy, start=4_800, end=7_900),
                ],
            ),
            execution(
                "r1",
                "rollback_deployment_v1",
                [task("restore_previous_traffic", "HTTP", "IN_PROGRESS", start=5_000, end=None)],
            ),
        ),
        "root",
    )


def test_every_execution_is_a_section_and_every_step_a_bar() -> None:
    assert gantt(rollout(), now_ms=9_500) == (
        "gantt\n"
        "  title rollout_v1 root (FAILED)\n"
        "  dateFormat x\n"
        "  axisFormat %H:%M:%S\n"
        "  todayMarker off\n"
        "  section rollout_v1\n"
        "  wave 1 (eu) :done, t1, 1010, 9000\n"
        "  section wave 1 (eu)\n"
        "  approve_wave (wait) :done, t2, 1020, 4000\n"
        "  svc-a :done, t3, 4100, 8000\n"
        "  section wave 1 (eu) / svc-a\n"
        "  create_infrastructure :done, t4, 4200, 4300\n"
        "  swap_traffic :crit, t5, 4400, 4500\n"
        "  swap_traffic (retry 1) :done, t6, 4600, 4700\n"
        "  rollback :done, t7, 4800, 7900\n"
        "  section wave 1 (eu) / svc-a / rollback\n"
        "  restore_previous_traffic :active, t8, 5000, 9500\n"
    )


def test_mermaid_parses_and_draws_the_chart(tmp_path: Path) -> None:
    chart = gantt(rollout(), now_ms=9_500)
    # What the chart's text guards against: a line break or a colon in a label.
    broken = chart.replace("svc-a :done", "svc\na :done")
    colon = chart.replace("svc-a :done", "svc:a :done")
    parsed = parse_with_node({"chart": chart, "broken": broken})
    assert parsed["chart"] == {"ok": True, "type": "gantt"}
    assert "Parse error" in parsed["broken"]["error"]
    drawn = render_in_chromium({"chart": chart, "colon": colon}, tmp_path)
    assert drawn["chart"]["ok"], drawn["chart"]
    assert not drawn["colon"]["ok"]


def test_text_that_means_something_to_mermaid_is_neutralised() -> None:
    tricky: dict[str, Any] = {"label": "wave 1: eu; #2 at 50%% %%{init}%%\nnext"}
    tree = load_tree(
        Recorded(
            execution("root", "r:1", [sub_workflow("w", "w1", tricky, start=5, end=9)]),
            execution("w1", "wave", [task("step:one#x", start=6, end=7)]),
        ),
        "root",
    )
    chart = gantt(tree, now_ms=10)
    lines = chart.splitlines()
    # Entities, which Mermaid decodes only after parsing: the chart shows the text as it is.
    assert lines[5] == "  section r#58;1"
    assert lines[6] == (
        "  wave 1#58; eu#59; #35;2 at 50#37;#37; #37;#37;{init}#37;#37; next :done, t1, 5, 9"
    )
    assert lines[8] == "  step#58;one#35;x :done, t2, 6, 7"
    assert parse_with_node({"tricky": chart})["tricky"] == {"ok": True, "type": "gantt"}

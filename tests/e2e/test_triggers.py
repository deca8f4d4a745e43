"""Schedules and event handlers on the real server: a schedule in definitions is planned,
registered, listed, fires and is pruned; the repository's event handler approves a waiting
rollout gate when its event is published; cron verdicts agree with the server's scheduler."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from deploy_dsl.cron import cron_problem, never_fires
from deploy_dsl.workspace.loader import load_project
from tests.e2e.scratch import Scratch, scratch
from tests.e2e.support import (
    CliResult,
    Conductor,
    WorkerClient,
    progress,
    run_cli,
    started_id,
    wait_until,
)

pytestmark = pytest.mark.e2e
__all__ = ["scratch"]  # the fixture, imported for the tests below

_LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _module(s: Scratch, *, with_schedule: bool) -> str:
    schedule = (
        f'every_two = Schedule("{s.name("every2s")}", cron="*/2 * * * * *", workflow=job, '
        'input={"note": "tick"})'
        if with_schedule
        else ""
    )
    return f"""
        from pydantic import BaseModel

        from deploy_dsl.dsl import Schedule, SetVariable, Workflow


        class Tick(BaseModel):
            note: str


        job = Workflow("{s.name("tick")}", version=1, owner_email="{s.owner}", input=Tick,
                       tasks=[SetVariable("seen", inputs={{"note": "tick"}})])
        {schedule}
    """


def _scheduled_runs(s: Scratch, schedule: str) -> list[dict[str, Any]] | None:
    found = run_cli("history", s.name("tick"), "--json", "--limit", "5")
    assert found.returncode == 0, str(found)
    runs = [r for r in json.loads(found.stdout) if r["scheduledBy"] == schedule]
    return runs or None


def test_a_schedule_is_planned_registered_listed_fires_and_is_pruned(
    scratch: Scratch, conductor: Conductor
) -> None:
    schedule = scratch.name("every2s")
    try:
        scratch.write(_module(scratch, with_schedule=True))
        plan = scratch.cli("plan", "--detailed-exitcode")
        assert plan.returncode == 2, str(plan)
        assert f"+ schedule {schedule}" in plan.stdout
        registered = scratch.cli("register")
        assert registered.returncode == 0, str(registered)
        assert f"schedule {schedule}" in registered.stdout
        assert scratch.cli("plan", "--detailed-exitcode").returncode == 0

        listed = scratch.cli("list", "--kind", "schedule", "--json")
        assert listed.returncode == 0, str(listed)
        (row,) = json.loads(listed.stdout)["definitions"]
        assert (row["name"], row["cron"], row["paused"]) == (schedule, "*/2 * * * * *", False)
        assert row["starts"] == f"{scratch.name('tick')} v1"

        # The server's scheduler starts it within seconds (every 2 s, after its first poll).
        (run, *_) = wait_until(
            lambda: _scheduled_runs(scratch, schedule), timeout=60, what="a scheduled run"
        )
        assert run["status"] in ("COMPLETED", "RUNNING")

        scratch.write(_module(scratch, with_schedule=False))
        stale = scratch.cli("plan", "--prune", "--detailed-exitcode")
        assert stale.returncode == 2, str(stale)
        assert f"- schedule {schedule}" in stale.stdout
        pruned = scratch.cli("register", "--prune", "--yes")
        assert pruned.returncode == 0, str(pruned)
        assert f"schedule {schedule}" in pruned.stdout and "deleted" in pruned.stdout
        assert schedule not in {s["name"] for s in conductor.api.schedules() or []}
        assert json.loads(scratch.cli("list", "--json").stdout)["definitions"] != []
    finally:
        if schedule in {s["name"] for s in conductor.api.schedules() or []}:
            conductor.api.delete_schedule(schedule)


# The repository's event handler (definitions/triggers.py) and what publishes to it: an EVENT
# task in a workflow named `approval_bot` with sink `conductor:rollout_approvals`.
PUBLISHER = "approval_bot"


def _publisher(owner: str) -> dict[str, Any]:
    return {
        "name": PUBLISHER,
        "version": 1,
        "ownerEmail": owner,
        "schemaVersion": 2,
        "inputParameters": ["workflowId", "by", "reason"],
        "tasks": [
            {
                "name": "publish",
                "taskReferenceName": "publish",
                "type": "EVENT",
                "sink": "conductor:rollout_approvals",
                "inputParameters": {
                    "workflowId": "${workflow.input.workflowId}",
                    "by": "${workflow.input.by}",
                    "reason": "${workflow.input.reason}",
                },
            }
        ],
    }


def test_the_event_handler_in_code_approves_a_waiting_gate(
    registered: CliResult, conductor: Conductor, worker: WorkerClient, unique: str, tmp_path: Path
) -> None:
    (handler,) = load_project().event_handlers
    assert handler.event == f"conductor:{PUBLISHER}:rollout_approvals"
    scope = f"svc-evt-{unique}"
    rollout = tmp_path / "rollout.json"
    services = [{"scope": scope, "version": "1", "env": "e2e"}]
    waves = [{"name": "prod", "services": services, "approval": {}}]
    rollout.write_text(json.dumps({"waves": waves}), encoding="utf-8")
    started = run_cli("run", "rollout_v1", "--input", str(rollout))
    workflow_id = started_id(started, "rollout_v1")
    conductor.api.put_workflows([_publisher(f"e2e-{unique}@example.com")])
    try:

        def gate() -> str | None:
            running = conductor.execution(workflow_id)
            for task in running.get("tasks") or []:
                if task.get("taskType") == "SUB_WORKFLOW" and task.get("subWorkflowId"):
                    wave = conductor.execution(task["subWorkflowId"])
                    waits = [t for t in wave.get("tasks") or [] if t["taskType"] == "WAIT"]
                    if waits and waits[-1]["status"] == "IN_PROGRESS":
                        return str(task["subWorkflowId"])
            return None

        wave_id = wait_until(gate, timeout=120, what="the wave's gate to wait")
        published = conductor.api.start(
            PUBLISHER, 1, {"workflowId": wave_id, "by": "release-bot", "reason": "green build"}
        )
        progress(f"published the approval ({published}); the handler's queue may take a minute")
        # The server listens on a new handler's queue at its next refresh (every 60 s,
        # DefaultEventQueueManager.refreshEventQueues); the message waits in the queue.
        done = conductor.finished(workflow_id, timeout=150)
        assert done["status"] == "COMPLETED", done.get("reasonForIncompletion")
        verdict = done["output"]["waves"][0]["approval"]
        assert verdict["approved"] is True
        assert verdict["message"] == "approved by release-bot: green build"
        assert worker.scope_history(scope)
    finally:
        if conductor.execution(workflow_id)["status"] == "RUNNING":
            run_cli("terminate", workflow_id)
        conductor.delete(f"metadata/workflow/{PUBLISHER}/1")


# Valid and invalid six-field expressions, macros, names and Quartz forms, and the five-field
# Unix form Spring refuses.
CRONS = (
    "0 0 2 * * *", "*/5 * * * * *", "0 0 2 * * MON-FRI", "0 0 2 ? * mon-fri", "@daily",
    "@HOURLY", "0 0 0 L * *", "0 0 0 L-3 * *", "0 0 0 LW * *", "0 0 0 15W * *",
    "0 0 0 ? * 5L", "0 0 0 ? * MON#2", "0 0 0 * JAN-MAR SUN", "0 0 0 * * 0", "0 0 0 * * 7",
    "0 0 0 * * SUN-SAT", "0 0 0 * * 7-1", "0 0/15 8-18 * * *", "0 5 * * * *", "1,2,3 * * * * *",
    "0 0 2 * *", "0 0 2 * * * *", "60 * * * * *", "0 0 24 * * *", "0 0 0 32 * *",
    "0 0 0 * 13 *", "0 0 0 * * 8", "0 0 0 L3 * *", "0 0 0 W * *", "0 0 0 * * L",
    "0 0 0 * * MON#0", "*/0 * * * * *", "5-1 * * * * *", "0 0 0 ? * ?,1", "@weekly2", "",
    "0 0 0 l * *", "0 0 0 * * 5l", "x * * * * *", "0 0 0 1-2-3 * *", "0 0 0 30 2 *",
    "0 0 0 31 4,6 *", "0 0 0 29 2 *", "+5 * * * * *", "0\t0 2 * * *", "0 0 0 L,15 * *",
    "0 0 0 5W3 * *", "0 0 0 ? * MON#", "0 0 2 1 jan,Jul *", "0  0  2  *  *  *",
)  # fmt: skip


def _next_fire_times(conductor: Conductor, expression: str) -> list[int] | None:
    """GET /api/scheduler/nextFewSchedules, which parses with the scheduler's own
    CronExpression: the next times, or None for its 500 "Invalid cron expression"."""
    query = urllib.parse.urlencode({"cronExpression": expression, "limit": 1})
    url = f"{conductor.url}/scheduler/nextFewSchedules?{query}"
    try:
        with _LOOPBACK.open(url, timeout=10) as response:
            return list(json.loads(response.read()))
    except urllib.error.HTTPError as error:
        if error.code == 500 and b"Invalid cron expression" in error.read():
            return None
        raise


def test_cron_verdicts_agree_with_the_servers_scheduler(conductor: Conductor) -> None:
    disagree = []
    for expression in CRONS:
        times = _next_fire_times(conductor, expression)
        ours = cron_problem(expression) or never_fires(expression)
        if (times is None or times == []) != (ours is not None):
            disagree.append((expression, times, ours))
    assert not disagree, disagree

"""The operations commands on the real server: list, show, diff, history, pause, resume,
restart, rerun, delete, run of a workflow only the server has, and the exit codes of `status`
and `run --wait` for COMPLETED, RUNNING, FAILED and rolled back."""

from __future__ import annotations

import json

import pytest

from tests.e2e.scratch import Scratch, scratch
from tests.e2e.support import CliResult, Conductor, run_cli, started_id, wait_until

pytestmark = pytest.mark.e2e
__all__ = ["scratch"]  # the fixture, imported for the tests below


def _module(s: Scratch, *, note: str = "first") -> str:
    """Four small workflows: one that completes, one that rolls back (its declared outcome),
    one that fails, one that waits for a signal."""
    return f"""
        from deploy_dsl.dsl import SetVariable, Terminate, Wait, Workflow

        OWNER = "{s.owner}"
        done = Workflow("{s.name("done")}", version=1, owner_email=OWNER,
                        description="{note}", tasks=[SetVariable("note", inputs={{"a": 1}})])
        back = Workflow("{s.name("back")}", version=1, owner_email=OWNER,
                        tasks=[SetVariable("note", inputs={{"a": 1}})],
                        output={{"outcome": "rolled_back"}})
        fail = Workflow("{s.name("fail")}", version=1, owner_email=OWNER,
                        tasks=[Terminate("stop", status="FAILED", reason="line one\\nline two")])
        hold = Workflow("{s.name("hold")}", version=1, owner_email=OWNER,
                        tasks=[Wait.for_signal("until_signalled"),
                               SetVariable("after", inputs={{"b": 2}})])
    """


@pytest.fixture
def registered_scratch(scratch: Scratch) -> Scratch:
    scratch.write(_module(scratch))
    result = scratch.cli("register")
    assert result.returncode == 0, str(result)
    return scratch


def test_run_wait_and_status_exit_codes(registered_scratch: Scratch, conductor: Conductor) -> None:
    s = registered_scratch
    completed = s.cli("run", s.name("done"), "--wait")
    assert completed.returncode == 0, str(completed)
    assert run_cli("status", started_id(completed, s.name("done"))).returncode == 0

    rolled_back = s.cli("run", s.name("back"), "--wait")
    assert rolled_back.returncode == 3, str(rolled_back)
    assert "its outcome is rolled_back" in rolled_back.stderr
    back_id = started_id(rolled_back, s.name("back"))
    assert run_cli("status", back_id).returncode == 3
    assert run_cli("status", back_id, "--rolled-back-ok").returncode == 0
    assert s.cli("run", s.name("back"), "--wait", "--rolled-back-ok").returncode == 0

    failed = s.cli("run", s.name("fail"), "--wait")
    assert failed.returncode == 1, str(failed)
    status = run_cli("status", started_id(failed, s.name("fail")))
    assert status.returncode == 1, str(status)
    # The reason, whole: both of its lines.
    assert "reason: line one\n" in status.stdout and "line two" in status.stdout

    running = s.cli("run", s.name("hold"), "--wait", "--timeout", "1")
    assert running.returncode == 2, str(running)
    assert "still RUNNING after 1s" in running.stderr
    hold_id = started_id(running, s.name("hold"))
    try:
        assert run_cli("status", hold_id).returncode == 2
    finally:
        run_cli("terminate", hold_id)


def test_pause_resume_restart_and_rerun(registered_scratch: Scratch, conductor: Conductor) -> None:
    s = registered_scratch
    hold_id = started_id(s.cli("run", s.name("hold")), s.name("hold"))
    try:
        paused = run_cli("pause", hold_id, "--json")
        assert paused.returncode == 0, str(paused)
        assert json.loads(paused.stdout)["status"] == "PAUSED"
        assert run_cli("status", hold_id).returncode == 2  # not ended
        again = run_cli("pause", hold_id)
        assert again.returncode == 1 and "only a RUNNING execution" in again.stderr, str(again)
        resumed = run_cli("resume", hold_id)
        assert resumed.returncode == 0, str(resumed)
        assert resumed.stdout == f"resumed {s.name('hold')} {hold_id}: now RUNNING\n"
        refused = run_cli("restart", hold_id)
        assert refused.returncode == 1 and "only a COMPLETED" in refused.stderr, str(refused)
    finally:
        run_cli("terminate", hold_id)

    done_id = started_id(s.cli("run", s.name("done"), "--wait"), s.name("done"))
    first = conductor.execution(done_id)["tasks"][0]["taskId"]
    restarted = run_cli("restart", done_id)
    assert restarted.returncode == 0, str(restarted)
    execution = conductor.finished(done_id)
    assert execution["status"] == "COMPLETED" and execution["tasks"][0]["taskId"] != first

    rerun = run_cli("rerun", done_id, "--from-task", "note")
    assert rerun.returncode == 0, str(rerun)
    assert conductor.finished(done_id)["status"] == "COMPLETED"
    missing = run_cli("rerun", done_id, "--from-task", "nope")
    assert missing.returncode == 1 and "has no task 'nope'" in missing.stderr, str(missing)


def test_list_show_and_diff_of_two_versions(registered_scratch: Scratch) -> None:
    s = registered_scratch
    listed = s.cli("list", "--json")
    assert listed.returncode == 0, str(listed)
    names = {d["name"] for d in json.loads(listed.stdout)["definitions"]}
    assert {s.name(k) for k in ("done", "back", "fail", "hold")} <= names
    # Another team's definitions (not this owner) are left out unless --all.
    assert all(s.unique in name for name in names if name.startswith("e2e_"))

    shown = s.cli("show", s.name("done"))
    assert shown.returncode == 0, str(shown)
    assert shown.stderr == f"workflow {s.name('done')} v1 on {s.conductor.url}\n"
    definition = json.loads(shown.stdout)
    assert definition["description"] == "first" and "createTime" not in definition
    unknown = s.cli("show", s.name("nothing"))
    assert unknown.returncode == 1 and "nothing named" in unknown.stderr, str(unknown)

    s.write(_module(s, note="second").replace("version=1", "version=2", 1))
    assert s.cli("register").returncode == 0
    same = run_cli("diff", f"{s.name('done')}:1", f"{s.name('done')}:1")
    assert same.returncode == 0 and "no differences" in same.stdout, str(same)
    different = run_cli("diff", f"{s.name('done')}:1", f"{s.name('done')}:2", "--json")
    assert different.returncode == 2, str(different)
    (change,) = json.loads(different.stdout)["changes"]
    assert (change["path"], change["from"], change["to"]) == ("description", "first", "second")


def test_run_a_workflow_only_the_server_has_and_delete_a_version(
    registered_scratch: Scratch, conductor: Conductor
) -> None:
    s = registered_scratch
    hold = s.name("hold")
    s.write(_module(s).replace(f'"{hold}"', f'"{s.name("renamed")}"'))  # the code lost `hold`
    started = s.cli("run", hold)
    assert started.returncode == 0, str(started)
    assert f"note: {hold} is not in the definitions: v1 starts as registered" in started.stderr
    hold_id = started_id(started, hold)
    try:
        refused = run_cli("delete", f"{hold}:1")
        assert refused.returncode == 1, str(refused)
        assert f"not deleting workflow {hold} v1: 1 execution(s) of it run ({hold_id})" in (
            refused.stderr
        )
        assert conductor.api.workflow_def(hold, 1) is not None
    finally:
        run_cli("terminate", hold_id)
    wait_until(lambda: not conductor.api.running(hold, 1), timeout=30, what="no running hold")
    deleted = run_cli("delete", f"{hold}:1", "--json")
    assert deleted.returncode == 0, str(deleted)
    assert json.loads(deleted.stdout)["deleted"] == {"name": hold, "version": 1}
    assert conductor.api.workflow_def(hold, 1) is None
    assert run_cli("delete", hold).returncode == 2  # no version: a usage error


def test_history_filters_by_workflow_status_scope_and_time(
    registered_scratch: Scratch, registered: CliResult
) -> None:
    s = registered_scratch
    scope = f"svc-hist-{s.unique}"
    done = s.cli("run", s.name("done"), "--wait")
    failed = s.cli("run", s.name("fail"), "--wait")
    ids = {started_id(done, s.name("done")), started_id(failed, s.name("fail"))}
    deploy = {"scope": scope, "version": "1", "env": "e2e"}
    start = run_cli("run", "deploy_simple_v1", "--input", "-", "--wait", stdin=json.dumps(deploy))
    assert start.returncode == 0, str(start)

    def rows(*args: str) -> list[dict[str, object]]:
        found = run_cli("history", *args, "--json", "--since", "10m")
        assert found.returncode == 0, str(found)
        return list(json.loads(found.stdout))

    failures = wait_until(
        lambda: (
            [r for r in rows(s.name("fail"), "--status", "FAILED") if r["workflowId"] in ids]
            or None
        ),
        timeout=30,
        what="the failed run in the index",
    )
    assert [r["status"] for r in failures] == ["FAILED"]
    assert rows(s.name("done"), "--status", "FAILED") == []
    deploys = rows("deploy_simple_v1", "--scope", scope)
    assert [r["workflowId"] for r in deploys] == [started_id(start, "deploy_simple_v1")]
    assert deploys[0]["outcome"] == "finalized"
    text = run_cli("history", "deploy_simple_v1", "--scope", scope)
    assert text.returncode == 0 and "(outcome finalized)" in text.stdout, str(text)
    bad = run_cli("history", "--since", "yesterday-ish")
    assert bad.returncode == 2 and "--since 'yesterday-ish'" in bad.stderr, str(bad)

"""`deploy-dsl record` and `deploy-dsl replay` on the real server: real deploys and a pipeline
run through the worker, then replay the same against the definitions; with the deploy's SWITCH
reading the health check's `reason` instead of its `status` (in a copy of definitions/), the
finalized ones diverge at decide_outcome and the rolled-back ones still match. `plan --replay`
shows the same beside the plan."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from deploy_dsl.client.recording import parse_recording
from deploy_dsl.workspace.loader import load_project
from tests.e2e.support import REPO_ROOT, CliResult, Conductor, run_cli, tasks_of

pytestmark = pytest.mark.e2e

DEPLOY = "deploy_simple_v1"
PIPELINE = "pipeline_simple_v1"
STOPPED_AT_ROLLBACK = (
    "stopped at deploy_simple_v1 > rollback > restore_previous_traffic, a task the recording "
    "never ran (no recorded answer)"
)


def service(scope: str) -> dict[str, str]:
    return {"scope": scope, "version": "2.0.0", "env": "e2e"}


def changed_definitions(root: Path, version: int) -> Path:
    """definitions/ copied, with the deploy's SWITCH on the health check's `reason` (free text,
    never `success`) instead of its `status`, and the deploy's version (`version` now) bumped,
    built to check it compiles: a change that builds (a case key the typed status can never
    give would not: DSL092) and still changes the path, which is what replay is for."""
    copy = root / "definitions"
    shutil.copytree(REPO_ROOT / "definitions", copy, ignore=shutil.ignore_patterns("__pycache__"))
    status = "value=check.output.response.body.status,"
    (switch,) = [m for m in copy.glob("*.py") if status in m.read_text(encoding="utf-8")]
    source = switch.read_text(encoding="utf-8")
    assert source.count(status) == 1 and '"decide_outcome"' in source
    switch.write_text(source.replace(status, status.replace("status", "reason")), "utf-8")
    deploy = copy / "deploy_simple.py"
    source = deploy.read_text(encoding="utf-8")
    assert source.count(f"version={version},") == 1
    bumped = source.replace(f"version={version},", f"version={version + 1},")
    deploy.write_text(bumped, encoding="utf-8")
    build = run_cli("build", "--definitions", str(copy), "--out", str(root / "build"))
    assert build.returncode == 0, str(build)
    return copy


def replayed(result: CliResult) -> dict[str, Any]:
    assert result.stdout.startswith("{"), str(result)
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_real_deploys_replay_the_same_until_the_switch_changes(
    registered: CliResult, conductor: Conductor, unique: str, tmp_path: Path
) -> None:
    project = load_project("definitions")
    deploy, pipeline = project.workflow(DEPLOY), project.workflow(PIPELINE)
    scopes = [f"svc-replay-{unique}-{i}" for i in range(5)]
    scopes += [f"replay-{unique}-{i}" for i in range(5)]
    started = [conductor.api.start(DEPLOY, deploy.version, service(scope)) for scope in scopes]
    waves = [{"services": [service(f"svc-replay-{unique}-p"), service(f"replay-{unique}-p")]}]
    pipeline_id = conductor.api.start(
        PIPELINE, pipeline.version, {"waves": waves, "halt_on_rollback": False}
    )
    for workflow_id in [*started, pipeline_id]:
        assert conductor.finished(workflow_id, timeout=180)["status"] == "COMPLETED"
    forked = [
        str(task["subWorkflowId"])
        for task in tasks_of(conductor.execution(pipeline_id), "SUB_WORKFLOW")
    ]
    ours = {*started, *forked}
    outcomes = {
        workflow_id: conductor.execution(workflow_id)["output"]["outcome"] for workflow_id in ours
    }

    same = replayed(run_cli("replay", DEPLOY, "--last", "10", "--json", timeout=300))

    assert same["summary"] == {"same": 10, "diverged": 0, "errors": 0}, same
    assert {e["workflowId"] for e in same["executions"]} <= ours
    assert {outcomes[e["workflowId"]] for e in same["executions"]} == {"finalized", "rolled_back"}

    definitions = changed_definitions(tmp_path, deploy.version)
    text = run_cli("replay", DEPLOY, "--last", "10", "--definitions", str(definitions), timeout=300)
    assert text.returncode == 2, str(text)
    assert "decide_outcome took case 'success', then finalize" in text.stdout
    assert "decide_outcome takes the default case, then rollback" in text.stdout

    changed = replayed(
        run_cli("replay", DEPLOY, "--last", "10", "--definitions", str(definitions), "--json")
    )
    for execution in changed["executions"]:
        if outcomes[execution["workflowId"]] == "rolled_back":
            assert execution["matches"], execution
            continue
        assert not execution["matches"]
        assert execution["divergence"] == {
            "at": "deploy_simple_v1 > decide_outcome",
            "recording": "decide_outcome took case 'success', then finalize",
            "newDefinition": "decide_outcome takes the default case, then rollback",
            "unrecordedTask": None,
        }
        assert execution["recorded"] == {
            "status": "COMPLETED",
            "outcome": "finalized",
            "stopped": None,
        }
        assert execution["replayed"] == {
            "status": None,
            "outcome": None,
            "stopped": STOPPED_AT_ROLLBACK,
        }
    summary = changed["summary"]
    assert summary["diverged"] == sum(
        1 for e in changed["executions"] if outcomes[e["workflowId"]] == "finalized"
    )
    assert summary["diverged"] > 0 and summary["same"] > 0 and summary["errors"] == 0

    plan = run_cli("plan", "--definitions", str(definitions), "--replay", "3", "--json")
    assert plan.returncode == 0, str(plan)
    entries = {(d["name"], d["version"]): d for d in json.loads(plan.stdout)["definitions"]}
    new_deploy = entries[(DEPLOY, deploy.version + 1)]
    assert new_deploy["action"] == "create"
    assert len(new_deploy["replay"]["executions"]) == 3
    assert "replay" not in entries[("finalize_deployment_v1", 1)], "unchanged: not replayed"


def test_a_recording_file_replays_and_bad_input_is_one_line(
    registered: CliResult, conductor: Conductor, unique: str, tmp_path: Path
) -> None:
    deploy = load_project("definitions").workflow(DEPLOY)
    workflow_id = conductor.api.start(DEPLOY, deploy.version, service(f"svc-record-{unique}"))
    assert conductor.finished(workflow_id, timeout=120)["status"] == "COMPLETED"
    out = tmp_path / "recordings" / "deploy.json"

    saved = run_cli("record", workflow_id, "--out", str(out))

    assert saved.returncode == 0, str(saved)
    assert saved.stdout.startswith(
        f"recorded deploy_simple_v1 v{deploy.version} {workflow_id}: COMPLETED, "
    )
    recording = parse_recording(out.read_text("utf-8"), str(out))
    assert [e.workflow for e in recording.walk()] == [DEPLOY, "finalize_deployment_v1"]
    to_stdout = run_cli("record", workflow_id)
    assert to_stdout.stdout == out.read_text("utf-8"), "the same bytes either way"

    again = run_cli("replay", DEPLOY, str(out))
    assert again.returncode == 0, str(again)
    assert f"  same      {workflow_id}  v{deploy.version}  svc-record-{unique}  " in again.stdout

    newest = replayed(run_cli("replay", DEPLOY, "--since", "10m", "--last", "1", "--json"))
    assert [e["workflowId"] for e in newest["executions"]] == [workflow_id]
    assert newest["summary"] == {"same": 1, "diverged": 0, "errors": 0}

    other = run_cli("replay", PIPELINE, str(out))
    assert other.returncode == 1, str(other)
    assert f"recording {workflow_id} is of {DEPLOY}, not {PIPELINE}" in other.stdout

    both = run_cli("replay", DEPLOY, str(out), "--last", "3")
    assert (both.returncode, both.stderr) == (
        1,
        "Error: give recording FILES, or --last / --since, not both\n",
    )
    unknown = run_cli("replay", "no_such_workflow", "--last", "1")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("Error: no workflow named 'no_such_workflow' in the project")

    held = conductor.api.start(DEPLOY, deploy.version, service(f"svc-record-{unique}-held"))
    conductor.api.terminate(held, "recorded while running")
    refused = run_cli("record", held)
    assert refused.returncode == 1
    assert refused.stderr == (
        f"Error: deploy_simple_v1 {held} is TERMINATED: it was stopped from outside, which no "
        "replay reproduces; only COMPLETED, FAILED, TIMED_OUT executions are recorded\n"
    )

"""`register` on the real server: idempotent, and a refusal reported in the server's words."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from deploy_dsl.workspace.loader import load_project
from tests.e2e.support import CliResult, Conductor, run_cli

pytestmark = pytest.mark.e2e


def test_registering_again_sends_nothing(registered: CliResult, conductor: Conductor) -> None:
    project = load_project()
    versions = [(w.name, w.version) for w in project.workflows]
    taskdefs = [t.name for t in project.taskdefs]
    triggers = [s.name for s in project.schedules] + [h.name for h in project.event_handlers]
    names = [name for name, _ in versions] + taskdefs
    before = conductor.metadata_times(versions, taskdefs)
    assert len(before) == len(names), before

    result = run_cli("register")
    assert result.returncode == 0, str(result)
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("  ")]
    assert len(rows) == len(names) + len(triggers)
    assert {row[-1] for row in rows} == {"unchanged"}, result.stdout
    # Four reads (workflows, task definitions, schedules, event handlers) and no write ...
    unchanged = len(names) + len(triggers)
    summary = f"registered (0 created, 0 updated, {unchanged} unchanged) in 4 request(s)"
    assert summary in result.stdout
    # ... which the server confirms: any write would have moved a createTime or updateTime.
    assert conductor.metadata_times(versions, taskdefs) == before


# Accepted by our validator, refused by the server: a string longer than the server's JSON
# reader takes (Jackson's StreamReadConstraints.maxStringLength, 20,000,000 characters in the
# 3.32.3 jar). This test's refusal was a `javascript` SWITCH that does not parse until the
# build parsed scripts as the server does (DSL090); of what else the server refuses at
# registration, what was tried is refused by the build first, so a limit of the server's JSON
# reader shows a refusal in the server's own words.
REFUSED_MODULE = """
from deploy_dsl.dsl import SetVariable, TaskDef, Workflow

OWNER = "e2e@example.com"
probe = TaskDef("{taskdef}", owner_email=OWNER)
accepted = Workflow(
    "{accepted}", version=1, owner_email=OWNER, tasks=[SetVariable("note", inputs={{"a": 1}})]
)
refused = Workflow(
    "{refused}",
    version=1,
    owner_email=OWNER,
    tasks=[SetVariable("big", inputs={{"blob": "x" * 20_000_001}})],
)
"""


def test_a_refused_definition_fails_with_the_servers_message(
    registered: CliResult, conductor: Conductor, tmp_path: Path, unique: str
) -> None:
    taskdef, accepted, refused = (f"e2e_{kind}_{unique}" for kind in ("probe", "ok", "refused"))
    module = REFUSED_MODULE.format(taskdef=taskdef, accepted=accepted, refused=refused)
    (tmp_path / f"e2e_refusal_{unique}.py").write_text(textwrap.dedent(module))
    try:
        result = run_cli("register", "--definitions", str(tmp_path))
        assert result.returncode == 1, str(result)
        assert "Traceback" not in result.stderr
        assert f"taskdef {taskdef}" in result.stdout and "created" in result.stdout
        assert "exceeds the maximum allowed" in result.stderr  # the server's words
        assert f"registered: taskdef {taskdef}\n" in result.stderr
        (not_registered,) = [
            line for line in result.stderr.splitlines() if line.startswith("not registered: ")
        ]
        assert f"workflow {refused} v1" in not_registered
        # One bulk request: the server took neither workflow of it.
        assert f"workflow {accepted} v1" in not_registered
        held = conductor.metadata_times([(accepted, 1), (refused, 1)], [taskdef])
        assert list(held) == [f"taskdef {taskdef}"]
    finally:
        conductor.delete(f"metadata/taskdefs/{taskdef}")
        for name in (accepted, refused):
            conductor.delete(f"metadata/workflow/{name}/1")

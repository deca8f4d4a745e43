"""`plan` and `register` on the real server: the diff, the refusals, versions, prune.

Every test registers scratch definitions of its own (tests/e2e/scratch.py) and deletes them.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from deploy_dsl.client.diff import workflow_changes
from tests.conftest import REPO_ROOT
from tests.e2e.scratch import Scratch, scratch
from tests.e2e.support import Conductor, wait_until

pytestmark = pytest.mark.e2e
__all__ = ["scratch"]  # the fixture, imported for the tests below

MEASURED = json.loads((REPO_ROOT / "tests/data/conductor_3.32.3_defaults.json").read_text())


def _module(
    s: Scratch, *, description: str = "first words", version: int = 1, parent_version: int = 1
) -> str:
    """A task definition, a child workflow and a parent that calls it."""
    return f"""
        from deploy_dsl.dsl import RetryPolicy, SetVariable, SubWorkflow, TaskDef, Workflow

        OWNER = "{s.owner}"
        probe = TaskDef("{s.name("probe")}", owner_email=OWNER, retry=RetryPolicy(count=1))
        child = Workflow(
            "{s.name("child")}",
            version={version},
            owner_email=OWNER,
            description="{description}",
            tasks=[SetVariable("note", inputs={{"a": 1}})],
        )
        parent = Workflow(
            "{s.name("parent")}",
            version={parent_version},
            owner_email=OWNER,
            tasks=[SubWorkflow("call", workflow=child)],
        )
    """


def _plan_json(s: Scratch, *args: str) -> Any:
    result = s.cli("plan", "--json", *args)
    assert result.returncode in (0, 2), str(result)
    return json.loads(result.stdout)


def test_plan_right_after_register_has_no_changes(scratch: Scratch, conductor: Conductor) -> None:
    scratch.write(_module(scratch))
    first = scratch.cli("plan", "--detailed-exitcode")
    assert first.returncode == 2, str(first)
    assert f"+ workflow {scratch.name('child')} v1" in first.stdout

    registered = scratch.cli("register")
    assert registered.returncode == 0, str(registered)
    result = scratch.cli("plan", "--detailed-exitcode")
    assert result.returncode == 0, str(result)
    assert result.stdout.splitlines()[0] == f"plan against {conductor.url}"
    assert "plan: 0 to create, 0 to update, 3 unchanged" in result.stdout
    assert "(4 request(s))" in result.stdout
    plan = _plan_json(scratch)
    assert plan["changes"] is False and plan["requests"] == 4
    assert plan["server"] == conductor.url


def test_a_changed_description_exits_2_naming_the_workflow_and_field(scratch: Scratch) -> None:
    scratch.write(_module(scratch))
    assert scratch.cli("register").returncode == 0
    scratch.write(_module(scratch, description="second words"))
    result = scratch.cli("plan", "--detailed-exitcode")
    assert result.returncode == 2, str(result)
    child = scratch.name("child")
    assert f"~ workflow {child} v1" in result.stdout
    assert 'description: "first words" -> "second words"' in result.stdout
    assert "bump the version to 2, or --allow-overwrite" in result.stdout
    (entry,) = [d for d in _plan_json(scratch)["definitions"] if d["action"] == "update"]
    assert (entry["name"], entry["changes"]) == (
        child,
        [{"path": "description", "from": "first words", "to": "second words", "drift": False}],
    )


def test_a_field_changed_on_the_server_shows_as_drift(
    scratch: Scratch, conductor: Conductor
) -> None:
    scratch.write(_module(scratch))
    assert scratch.cli("register").returncode == 0
    probe = scratch.name("probe")
    (held,) = [t for t in conductor.api.task_defs() if t["name"] == probe]
    conductor.api.post_taskdefs([{**held, "pollTimeoutSeconds": 15}])  # a hand edit
    result = scratch.cli("plan", "--detailed-exitcode")
    assert result.returncode == 2, str(result)
    assert f"~ taskdef {probe}" in result.stdout
    assert "pollTimeoutSeconds: 15 -> (unset)  [drift: set on the server]" in result.stdout
    # Task definitions are not versioned: register puts the definition back.
    assert scratch.cli("register").returncode == 0
    assert scratch.cli("plan", "--detailed-exitcode").returncode == 0


def test_an_unbumped_change_is_refused_and_the_server_is_unchanged(scratch: Scratch) -> None:
    scratch.write(_module(scratch))
    assert scratch.cli("register").returncode == 0
    before = scratch.held()
    scratch.write(_module(scratch, description="second words"))
    result = scratch.cli("register")
    assert result.returncode == 1, str(result)
    child = scratch.name("child")
    assert (
        f"refused: workflow {child} v1 is registered with other content (1 field(s) differ): "
        "bump the version to 2, or pass --allow-overwrite"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert scratch.held() == before  # no createTime or updateTime moved: nothing written

    forced = scratch.cli("register", "--allow-overwrite")
    assert forced.returncode == 0, str(forced)
    assert f"workflow {child} v1" in forced.stdout and "updated" in forced.stdout
    assert scratch.held()[f"workflow {child} v1"] != before[f"workflow {child} v1"]


def test_a_bumped_version_is_added_beside_the_old_one(
    scratch: Scratch, conductor: Conductor
) -> None:
    scratch.write(_module(scratch))
    assert scratch.cli("register").returncode == 0
    child, parent = scratch.name("child"), scratch.name("parent")
    # The parent calls the child by version: bumping only the child changes the parent's v1.
    scratch.write(_module(scratch, description="second words", version=2))
    caller_changed = scratch.cli("register")
    assert caller_changed.returncode == 1, str(caller_changed)
    assert f"refused: workflow {parent} v1 is registered with other content" in (
        caller_changed.stderr
    )
    assert "tasks[call].subWorkflowParam.version: 1 -> 2" in scratch.cli("plan").stdout

    scratch.write(_module(scratch, description="second words", version=2, parent_version=2))
    result = scratch.cli("register")
    assert result.returncode == 0, str(result)
    assert f"workflow {child} v2" in result.stdout and f"workflow {parent} v2" in result.stdout
    old, new = conductor.api.workflow_def(child, 1), conductor.api.workflow_def(child, 2)
    assert old is not None and old["description"] == "first words"
    assert new is not None and new["description"] == "second words"
    assert conductor.api.workflow_def(parent, 1) is not None
    after = scratch.cli("plan", "--detailed-exitcode")
    assert after.returncode == 0, str(after)
    assert f"· workflow {child} v1" in after.stdout and "other version" in after.stdout


def test_prune_deletes_only_owned_definitions(scratch: Scratch, conductor: Conductor) -> None:
    prefix = f"e2e_owned_{scratch.unique}_"
    (scratch.root / "pyproject.toml").write_text(
        f'[tool.deploy-dsl]\nowner-email = "{scratch.owner}"\nname-prefix = "{prefix}"\n'
    )
    foreign_owner = f"someone-else-{scratch.unique}@example.com"
    scratch.write(
        f"""
        from deploy_dsl.dsl import SetVariable, TaskDef, Workflow

        def note(name, owner):
            return Workflow(name, version=1, owner_email=owner,
                            tasks=[SetVariable("note", inputs={{"a": 1}})])

        theirs = note("{scratch.name("theirs")}", "{foreign_owner}")
        by_prefix = note("{prefix}legacy", "{foreign_owner}")
        """,
        directory="others",
    )
    assert scratch.cli("register", directory="others").returncode == 0
    keep, gone, gone_taskdef = scratch.name("keep"), scratch.name("gone"), scratch.name("old")
    ours = textwrap.dedent(
        f"""
        from deploy_dsl.dsl import SetVariable, TaskDef, Workflow

        OWNER = "{scratch.owner}"
        keep = Workflow("{keep}", version=1, owner_email=OWNER,
                        tasks=[SetVariable("note", inputs={{"a": 1}})])
        """
    )
    dropped = textwrap.dedent(
        f"""
        gone = Workflow("{gone}", version=1, owner_email=OWNER,
                        tasks=[SetVariable("note", inputs={{"a": 1}})])
        old = TaskDef("{gone_taskdef}", owner_email=OWNER)
        """
    )
    scratch.write(ours + dropped)
    assert scratch.cli("register").returncode == 0
    scratch.write(ours)
    before = scratch.held()

    plan = scratch.cli("plan", "--prune", "--detailed-exitcode")
    assert plan.returncode == 2, str(plan)
    for label in (f"workflow {gone} v1", f"workflow {prefix}legacy v1", f"taskdef {gone_taskdef}"):
        assert f"- {label}" in plan.stdout
    assert scratch.name("theirs") not in plan.stdout

    refused = scratch.cli("register", "--prune")  # stdin is a pipe: nobody to ask
    assert refused.returncode == 1, str(refused)
    assert "pass --yes" in refused.stderr
    assert scratch.held() == before

    pruned = scratch.cli("register", "--prune", "--yes")
    assert pruned.returncode == 0, str(pruned)
    assert "--prune deletes 3 definition(s)" in pruned.stdout
    held = set(scratch.held())
    assert held == {f"workflow {keep} v1", f"workflow {scratch.name('theirs')} v1"}
    assert "3 deleted" in pruned.stdout


def test_a_missing_external_is_refused_before_anything_is_written(scratch: Scratch) -> None:
    missing, job = scratch.name("missing"), scratch.name("job")
    scratch.write(
        f"""
        from deploy_dsl.dsl import ExternalWorkflow, Simple, SubWorkflow, TaskDef, Workflow

        OWNER = "{scratch.owner}"
        elsewhere = ExternalWorkflow("{missing}", version=3)
        probe = TaskDef("{scratch.name("probe")}", owner_email=OWNER)
        caller = Workflow(
            "{scratch.name("caller")}",
            version=1,
            owner_email=OWNER,
            tasks=[SubWorkflow("call", workflow=elsewhere), Simple("work", name="{job}")],
        )
        """
    )
    result = scratch.cli("register")
    assert result.returncode == 1, str(result)
    assert (
        f"refused: ExternalWorkflow {missing} v3 is neither registered on the server nor "
        "defined in the definitions"
    ) in result.stderr
    assert job not in result.stderr  # a SIMPLE task needs no TaskDef: see the test below
    assert scratch.held() == {}  # not even the task definition
    plan = scratch.cli("plan", "--detailed-exitcode")
    assert plan.returncode == 1, str(plan)
    assert f"error: ExternalWorkflow {missing} v3" in plan.stderr


def test_a_simple_task_nobody_defined_registers_and_runs_with_the_servers_defaults(
    scratch: Scratch, conductor: Conductor
) -> None:
    # MetadataMapperService.populateWorkflowTaskWithDefinition gives it an ad hoc TaskDef, so
    # neither plan nor register refuses it.
    job, name = scratch.name("job"), scratch.name("lonely")
    scratch.write(
        f"""
        from deploy_dsl.dsl import Simple, Workflow

        lonely = Workflow(
            "{name}", version=1, owner_email="{scratch.owner}", tasks=[Simple("work", name="{job}")]
        )
        """
    )
    registered = scratch.cli("register")
    assert registered.returncode == 0, str(registered)
    workflow_id = conductor.api.start(name, 1, {})

    def scheduled() -> dict[str, Any] | None:
        tasks = conductor.execution(workflow_id).get("tasks") or []
        return tasks[0] if tasks and tasks[0].get("status") == "SCHEDULED" else None

    task = wait_until(scheduled, timeout=30, what=f"{job} to be scheduled")
    assert task["retryCount"] == 0 and task["taskDefName"] == job
    conductor.api.complete_task(workflow_id, task["taskId"], {"done": True})
    assert conductor.finished(workflow_id)["status"] == "COMPLETED"


def test_the_defaults_table_matches_the_running_server(
    scratch: Scratch, conductor: Conductor
) -> None:
    """The measured minimal definitions (tests/data), registered again under scratch names:
    what the server reads back differs from what was sent in nothing but its defaults."""
    sent = json.loads(
        json.dumps(MEASURED["workflow"]["sent"]).replace("probe_min_", scratch.name(""))
    )
    callee = {
        **sent,
        "name": sent["tasks"][4]["subWorkflowParam"]["name"],
        "tasks": sent["tasks"][:1],
    }
    conductor.api.put_workflows([callee, sent])
    read_back = conductor.api.workflow_def(sent["name"], 1)
    assert read_back is not None
    assert workflow_changes(sent, read_back) == []


def test_register_lenient_as_build_lenient(scratch: Scratch) -> None:
    scratch.write(
        f"""
        from deploy_dsl.dsl import SetVariable, Workflow

        lone = Workflow("{scratch.name("lone")}", version=1, owner_email="{scratch.owner}",
                        tasks=[SetVariable("note", inputs={{"a": "${{workflow.input.free}}"}})])
        """
    )  # an undeclared input: an error for code, a warning for imported JSON
    strict = scratch.cli("register", "--dry-run")
    assert strict.returncode == 1 and "DSL015" in strict.stdout, str(strict)
    lenient = scratch.cli("register", "--lenient", "--dry-run")
    assert lenient.returncode == 0, str(lenient)
    assert f"+ workflow {scratch.name('lone')} v1" in lenient.stdout
    assert scratch.held() == {}  # --dry-run writes nothing

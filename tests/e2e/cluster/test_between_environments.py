"""`promote` between two environments: the single local server (staging) and the local
cluster (production). Scratch definitions, not the project's, so the cluster's registered
definitions stay as its other tests want them. This module runs before test_cluster.py (file
order), whose last tests kill node 1 and stop the cluster."""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.inventory import stripped
from deploy_dsl.client.settings import load_settings
from tests.e2e.cluster.support import Cluster, isolated_cli
from tests.e2e.support import CliResult, Stack

pytestmark = pytest.mark.e2e

NODE = 2


class Environments:
    """Staging and production env files, scratch definitions, and both servers' APIs."""

    def __init__(self, stack: Stack, cluster: Cluster, root: Path) -> None:
        self.unique = uuid.uuid4().hex[:8]
        self.root = root
        self.staging = root / "staging.env"
        self.staging.write_text(
            f"CONDUCTOR_BASE_URL={stack.conductor_url}\nWORKER_BASE_URL={stack.worker_url}\n",
            encoding="utf-8",
        )
        self.production = cluster.env_file(NODE)
        self.apis = {
            "staging": ConductorApi(load_settings(self.staging).connection()),
            "production": cluster.api(NODE),
        }

    def name(self, kind: str) -> str:
        return f"e2e_promo_{kind}_{self.unique}"

    def write(self, description: str) -> None:
        folder = self.root / "defs"
        folder.mkdir(exist_ok=True)
        owner = f"e2e-{self.unique}@example.com"
        source = f"""
            from deploy_dsl.dsl import RetryPolicy, Schedule, SetVariable, TaskDef, Workflow

            OWNER = "{owner}"
            step = TaskDef("{self.name("step")}", owner_email=OWNER, retry=RetryPolicy(count=1))
            job = Workflow("{self.name("job")}", version=1, owner_email=OWNER,
                           description="{description}",
                           tasks=[SetVariable("note", inputs={{"a": 1}})])
            nightly = Schedule("{self.name("nightly")}", cron="0 0 3 * * *", workflow=job,
                               paused=True)
        """
        (folder / f"promo_{self.unique}.py").write_text(textwrap.dedent(source), encoding="utf-8")

    def cli(self, *args: str) -> CliResult:
        return isolated_cli(*args, "--definitions", str(self.root / "defs"))

    def cleanup(self) -> None:
        for api in self.apis.values():
            for schedule in api.schedules() or []:
                if self.unique in schedule["name"]:
                    api.delete_schedule(schedule["name"])
            for workflow in api.workflow_defs():
                if self.unique in workflow["name"]:
                    api.delete_workflow_def(workflow["name"], workflow["version"])
            for taskdef in api.task_defs():
                if self.unique in taskdef["name"]:
                    api.delete_taskdef(taskdef["name"])


@pytest.fixture
def environments(stack: Stack, cluster: Cluster, tmp_path: Path) -> Iterator[Environments]:
    here = Environments(stack, cluster, tmp_path)
    try:
        yield here
    finally:
        here.cleanup()


def test_promote_carries_the_staging_bytes_and_diff_then_finds_none(
    environments: Environments,
) -> None:
    env = environments
    staging, production = str(env.staging), str(env.production)
    env.write("as reviewed")
    assert env.cli("register", "--env-file", staging).returncode == 0

    # Staging holds what the code compiles to: promote, after production's plan.
    promoted = env.cli("promote", "--from", staging, "--to", production)
    assert promoted.returncode == 0, str(promoted)
    assert promoted.stdout.startswith(
        f"promote from {env.apis['staging'].url} to {env.apis['production'].url}\n"
    )
    assert f"+ workflow {env.name('job')} v1" in promoted.stdout
    assert "promoted 3 definition(s)" in promoted.stdout and "3 created" in promoted.stdout

    # The same bytes on both: what staging holds is what production holds.
    copies = [api.workflow_def(env.name("job"), 1) for api in env.apis.values()]
    assert copies[0] is not None and stripped(copies[0]) == stripped(copies[1] or {})
    clean = env.cli("diff", "--env-file", staging, "--against", production, "--json")
    assert clean.returncode == 0, str(clean)
    report = json.loads(clean.stdout)
    assert report["differences"] == [] and report["same"] >= 3

    # Staging changed by hand (not what the code says): refused, nothing written.
    staging_api = env.apis["staging"]
    held = staging_api.workflow_def(env.name("job"), 1)
    assert held is not None
    staging_api.put_workflows([{**held, "description": "edited on staging"}])
    refused = env.cli("promote", "--from", staging, "--to", production)
    assert refused.returncode == 1, str(refused)
    assert f"the source's workflow {env.name('job')} v1 differs from the code (description)" in (
        refused.stderr
    )
    differs = env.cli("diff", "--env-file", staging, "--against", production)
    assert differs.returncode == 2, str(differs)
    assert 'description: "edited on staging" -> "as reviewed"' in differs.stdout
    # Told to, it still never rewrites production's registered version.
    forced = env.cli("promote", "--from", staging, "--to", production, "--allow-drift")
    assert forced.returncode == 1, str(forced)
    assert "bump the version to 2, or pass --allow-overwrite" in forced.stderr


def test_promote_refuses_one_server_named_twice(environments: Environments) -> None:
    staging = str(environments.staging)
    environments.write("x")
    result = environments.cli("promote", "--from", staging, "--to", staging)
    assert result.returncode == 1, str(result)
    assert "--from and --to both name" in result.stderr

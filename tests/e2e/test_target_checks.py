"""Checks that depend on the server a command talks to, against the local Conductor OSS and
the Orkes-style gateway (tests/e2e/orkes_style_gateway.py, a test aid that imitates Orkes's
token contract, not Orkes).

Conductor OSS 3.32 passes `${workflow.secrets.*}` on as text (measured on the local server:
the task's input holds `Bearer ${workflow.secrets.smoke_token}`); Orkes resolves it. So
`plan`, `register` and `run` refuse a workflow that reads one on OSS, naming the task, and
let it through where the server mints tokens.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.orkes_style_gateway import OrkesStyleGateway
from tests.e2e.support import Stack, run_cli

pytestmark = pytest.mark.e2e

KEY_ID = "e2e-target-key"
_MODULE = """
from deploy_dsl.dsl import Http, RetryPolicy, TaskDef, Workflow

smoke = Http(
    "smoke",
    uri="https://smoke.example/check",
    method="GET",
    headers={{"Authorization": "Bearer ${{workflow.secrets.smoke_token}}"}},
)
taskdef = TaskDef("smoke", owner_email="o@example.com", retry=RetryPolicy(count=1))
workflow = Workflow("{name}", version=1, owner_email="o@example.com", tasks=[smoke])
"""


@pytest.fixture
def reads_a_secret(tmp_path: Path) -> tuple[Path, str]:
    name = f"dd_secret_{uuid.uuid4().hex[:6]}"
    directory = tmp_path / "definitions"
    directory.mkdir()
    (directory / "smoke.py").write_text(_MODULE.format(name=name), encoding="utf-8")
    return directory, name


@pytest.fixture
def gateway(stack: Stack) -> Iterator[tuple[OrkesStyleGateway, str]]:
    secret = f"e2e-secret-{uuid.uuid4().hex}"
    with OrkesStyleGateway(stack.conductor_url, KEY_ID, secret, ttl=60) as here:
        yield here, secret


def test_plan_register_and_run_refuse_a_secret_on_conductor_oss(
    stack: Stack, reads_a_secret: tuple[Path, str]
) -> None:
    directory, name = reads_a_secret
    for args in (("plan",), ("register",), ("run", name)):
        result = run_cli(*args, "--definitions", str(directory))
        assert result.returncode == 1, str(result)
        assert f"DSL096 [{name}/smoke] ${{workflow.secrets.smoke_token}}" in result.stdout, str(
            result
        )
        assert "`${workflow.input.smoke_token}`" in result.stdout
        assert "Traceback" not in result.stderr
    listed = run_cli("plan", "--json")
    assert name not in listed.stdout  # nothing was registered


def test_a_secret_passes_where_the_server_mints_tokens(
    gateway: tuple[OrkesStyleGateway, str], reads_a_secret: tuple[Path, str]
) -> None:
    here, secret = gateway
    directory, name = reads_a_secret
    env: dict[str, str | None] = {
        "ORKES_BASE_URL": here.url,
        "ORKES_KEY": KEY_ID,
        "ORKES_SECRET": secret,
        "CONDUCTOR_AUTH_KEY": None,
        "CONDUCTOR_AUTH_SECRET": None,
        "CONDUCTOR_SERVER_URL": None,
    }
    result = run_cli("plan", "--definitions", str(directory), env=env)
    assert result.returncode == 0, str(result)
    assert "DSL096" not in result.stdout
    assert f"+ workflow {name} v1" in result.stdout, result.stdout  # to create


def test_a_settings_value_holding_an_expression_stops_plan(tmp_path: Path) -> None:
    env_file = tmp_path / "expression.env"
    env_file.write_text("WORKER_BASE_URL=http://h/${workflow.input.scope}\n", encoding="utf-8")
    result = run_cli("plan", "--env-file", str(env_file), env={"WORKER_BASE_URL": None})
    assert result.returncode == 1, str(result)
    assert "WORKER_BASE_URL: 'http://h/${workflow.input.scope}' holds an expression" in (
        result.stderr
    )

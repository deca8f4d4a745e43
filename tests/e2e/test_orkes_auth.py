"""The Orkes path (ORKES_BASE_URL, ORKES_KEY, ORKES_SECRET) against a token check: the CLI
through tests/e2e/orkes_style_gateway.py (a test aid, not Orkes) in front of the real local
server. Tokens live TOKEN_TTL seconds, so `run --wait` outlives several of them and the SDK's
renewal (a 401 EXPIRED_TOKEN, a new token, the call again) is what keeps it going.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.orkes_style_gateway import OrkesStyleGateway
from tests.e2e.support import REPO_ROOT, CliResult, Conductor, Stack, run_cli, started_id

pytestmark = pytest.mark.e2e

DEPLOY = "deploy_simple_v1"
KEY_ID = "e2e-key-id"
TOKEN_TTL = 1.0


@pytest.fixture
def secret() -> str:
    # Distinctive, so that a grep for it cannot match anything else.
    return f"e2e-secret-{uuid.uuid4().hex}"


@pytest.fixture
def gateway(stack: Stack, secret: str) -> Iterator[OrkesStyleGateway]:
    with OrkesStyleGateway(stack.conductor_url, KEY_ID, secret, ttl=TOKEN_TTL) as here:
        yield here


def orkes(gateway: OrkesStyleGateway, key: str | None, secret: str | None) -> dict[str, str | None]:
    """The environment of a CLI that talks to the gateway with this key and secret (the SDK's
    own names unset, so that only ORKES_* count)."""
    return {
        "ORKES_BASE_URL": gateway.url,
        "ORKES_KEY": key,
        "ORKES_SECRET": secret,
        "CONDUCTOR_AUTH_KEY": None,
        "CONDUCTOR_AUTH_SECRET": None,
        "CONDUCTOR_SERVER_URL": None,
    }


def error_lines(result: CliResult) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def files_holding(root: Path, needle: bytes) -> list[str]:
    return [
        str(path.relative_to(REPO_ROOT))
        for path in sorted(root.rglob("*"))
        if path.is_file() and needle in path.read_bytes()
    ]


def test_register_plan_run_and_status_through_the_token_check(
    stack: Stack, conductor: Conductor, gateway: OrkesStyleGateway, secret: str, unique: str
) -> None:
    env = orkes(gateway, KEY_ID, secret)
    results = [run_cli("register", env=env), run_cli("plan", env=env)]
    assert [r.returncode for r in results] == [0, 0], "\n".join(map(str, results))
    assert f"{gateway.url}/api" in results[1].stdout  # plan names the server it read

    gateway.forget()
    inputs = json.dumps({"scope": f"svc-auth-{unique}", "version": "1.0.0", "env": "e2e"})
    run = run_cli("run", DEPLOY, "--input", "-", "--wait", stdin=inputs, env=env)
    results.append(run)
    assert run.returncode == 0, str(run)
    workflow_id = started_id(run, DEPLOY)
    during_run = gateway.verdicts()
    # Outliving its token, the run renewed it: the gateway refused an expired token, issued a
    # new one, and the call went through again. No call ever went out without a token.
    assert during_run["expired"] >= 1, during_run
    assert during_run["token-issued"] >= 2, during_run
    assert during_run["missing"] == during_run["unknown"] == during_run["token-refused"] == 0
    assert "token" not in run.stderr.lower(), run.stderr  # renewals are silent

    status = run_cli("status", workflow_id, env=env)
    results.append(status)
    assert status.returncode == 0, str(status)
    assert f"{DEPLOY} {workflow_id}: COMPLETED" in status.stdout
    assert conductor.execution(workflow_id)["status"] == "COMPLETED"  # the real server's view

    # The secret is in no output, no log and no state file.
    for result in results:
        assert secret not in result.stdout + result.stderr, str(result)
    for root in (REPO_ROOT / ".state", REPO_ROOT / "build"):
        assert files_holding(root, secret.encode()) == [], root


def test_a_wrong_secret_fails_in_one_line_saying_authentication_failed(
    gateway: OrkesStyleGateway, secret: str
) -> None:
    wrong = secret[::-1]
    for args in (("status", "00000000-0000-0000-0000-000000000000"), ("register",)):
        result = run_cli(*args, env=orkes(gateway, KEY_ID, wrong))
        assert result.returncode == 1, str(result)
        lines = [
            line for line in error_lines(result) if not line.startswith("Conductor: ")
        ]  # register names the server it goes to first
        assert len(lines) == 1, str(result)
        assert lines[0].startswith(f"Error: authentication failed: {gateway.url}/api/token: 401"), (
            lines[0]
        )
        assert "check ORKES_KEY and ORKES_SECRET" in lines[0]
        assert wrong not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr
    # The token was refused, and nothing was sent on without one.
    assert set(gateway.verdicts()) == {"token-refused"}, gateway.verdicts()


@pytest.mark.parametrize("empty", ["key", "secret"])
def test_an_empty_key_or_secret_is_a_settings_error(
    gateway: OrkesStyleGateway, secret: str, empty: str
) -> None:
    key, value = ("", secret) if empty == "key" else (KEY_ID, "")
    result = run_cli(
        "status", "00000000-0000-0000-0000-000000000000", env=orkes(gateway, key, value)
    )
    assert result.returncode == 1, str(result)
    assert error_lines(result) == [
        f"Error: invalid settings: ORKES_{empty.upper()}: is set but empty (here or as "
        f"CONDUCTOR_AUTH_{empty.upper()})"
    ]
    assert gateway.seen() == []  # refused before any request

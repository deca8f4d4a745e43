"""No credential is shown, whatever the server sends back (issue 26, item 6): a token endpoint
that answers 400, 401 or 500 with the request body it received used to make every command
print `... bad credentials request: {"keyId": "...", "keySecret": "..."}`; an endpoint that
echoes the request headers, the `X-Authorization` token.

Through tests/e2e/orkes_style_gateway.py in its echoing modes (a test aid; nothing upstream is
reached: the echoes answer first).
"""

from __future__ import annotations

import json
import uuid

import pytest

from deploy_dsl.client.credentials import MASK, hold, redact
from tests.e2e.orkes_style_gateway import OrkesStyleGateway
from tests.e2e.support import CliResult, run_cli

KEY_ID = "key-id-for-echo-tests"
NOWHERE = "http://127.0.0.1:9"  # never called: every answer below is the gateway's own
INPUT = json.dumps({"scope": "svc-echo", "version": "1.0.0", "env": "test"})
COMMANDS: list[tuple[str, ...]] = [
    ("status", "00000000-0000-0000-0000-000000000000"),
    ("register",),
    ("plan",),
    ("run", "deploy_simple_v1", "--input", "-"),
]


@pytest.fixture
def secret() -> str:
    # Characters a server escapes when it echoes JSON, so the escaped forms are checked too.
    return f's3cr3t-"q"\\é/{uuid.uuid4().hex}'


def _env(gateway: OrkesStyleGateway, secret: str) -> dict[str, str | None]:
    return {
        "ORKES_BASE_URL": gateway.url,
        "ORKES_KEY": KEY_ID,
        "ORKES_SECRET": secret,
        "CONDUCTOR_AUTH_KEY": None,
        "CONDUCTOR_AUTH_SECRET": None,
        "CONDUCTOR_SERVER_URL": None,
    }


def _shown(result: CliResult) -> str:
    return result.stdout + result.stderr


def _assert_hidden(result: CliResult, *values: str) -> None:
    for value in values:
        for form in (value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]):
            assert form not in _shown(result), str(result)


@pytest.mark.parametrize(
    ("status", "command"),
    list(zip([400, 401, 500, 400], COMMANDS, strict=True)),
    ids=lambda value: str(value[0]) if isinstance(value, tuple) else str(value),
)
def test_a_token_endpoint_echoing_the_request_body_shows_no_key_or_secret(
    secret: str, status: int, command: tuple[str, ...]
) -> None:
    with OrkesStyleGateway(
        NOWHERE, KEY_ID, secret, ttl=60, echo="body", echo_status=status
    ) as gateway:
        result = run_cli(*command, env=_env(gateway, secret), stdin=INPUT)
    assert result.returncode == 1, str(result)
    assert "bad credentials request" in result.stderr, str(result)  # the echo reached the CLI
    assert MASK in result.stderr, str(result)
    _assert_hidden(result, secret, KEY_ID)
    assert "Traceback" not in result.stderr


def test_an_endpoint_echoing_the_request_headers_shows_no_token(secret: str) -> None:
    with OrkesStyleGateway(
        NOWHERE, KEY_ID, secret, ttl=60, echo="headers", echo_status=500
    ) as gateway:
        results = [
            run_cli(*command, env=_env(gateway, secret), stdin=INPUT) for command in COMMANDS
        ]
        tokens = gateway.tokens()
    assert tokens, "the token endpoint issued tokens"
    for result in results:
        assert result.returncode == 1, str(result)
        assert "request headers" in result.stderr, str(result)
        assert "X-Authorization" in result.stderr, str(result)
        _assert_hidden(result, secret, KEY_ID, *tokens)


def test_redact_hides_every_form_a_server_echoes() -> None:
    value = f'k"\\é&/ {uuid.uuid4().hex}'
    hold(value)
    escaped = [json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]]
    text = " | ".join([value, *escaped, value.replace(" ", "+"), "plain"])
    shown = redact(text)
    assert value not in shown and "plain" in shown
    assert shown.count(MASK) >= 3

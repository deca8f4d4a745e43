"""What the CLI does when Conductor is out of reach or the input is wrong."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator

import pytest

from deploy_dsl.workspace.loader import load_project
from tests.e2e.support import run_cli

pytestmark = pytest.mark.e2e

DEPLOY = "deploy_simple_v1"
SAMPLE = "samples/deploy_input.json"


def only_conductor(url: str) -> dict[str, str | None]:
    """Environment that points the CLI at `url` and at nothing else (no Orkes, no SDK URL), with
    CONDUCTOR_PORT agreeing with it whatever the environment or `.env` says."""
    unset = ("CONDUCTOR_SERVER_URL", "ORKES_BASE_URL", "ORKES_KEY", "ORKES_SECRET")
    cleared: dict[str, str | None] = dict.fromkeys(
        (*unset, "CONDUCTOR_AUTH_KEY", "CONDUCTOR_AUTH_SECRET")
    )
    port = str(urllib.parse.urlsplit(url).port)
    return {**cleared, "CONDUCTOR_BASE_URL": url, "CONDUCTOR_PORT": port}


@pytest.fixture
def closed_port() -> Iterator[int]:
    # Bound but not listening: connections are refused, and nothing else can take the port.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize(
    "args",
    [
        ("register",),
        ("run", DEPLOY, "--input", SAMPLE, "--wait"),
        ("approve", "an-execution"),
        ("status", "an-execution", "--gantt"),
    ],
    ids=["register", "run", "approve", "gantt"],
)
def test_unreachable_conductor_fails_fast_in_one_line(
    args: tuple[str, ...], closed_port: int
) -> None:
    url = f"http://127.0.0.1:{closed_port}"
    result = run_cli(*args, env=only_conductor(url), timeout=60)
    assert result.returncode == 1, str(result)
    assert result.seconds < 10, str(result)
    assert "Traceback" not in result.stdout + result.stderr
    # `register` says where it is going first; beyond that, one line says what failed.
    lines = [
        line
        for line in result.stderr.splitlines()
        if line.strip() and line != f"Conductor: {url}/api"
    ]
    assert len(lines) == 1, str(result)
    assert lines[0].startswith(f"Error: cannot reach Conductor at {url}/api"), lines[0]
    assert result.stdout == ""


@pytest.fixture
def recording_server() -> Iterator[tuple[str, list[str]]]:
    """A stand-in Conductor that notes every request and refuses it (400)."""
    seen: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def _refuse(self) -> None:
            seen.append(f"{self.command} {self.path}")
            body = json.dumps({"status": 400, "message": "recorded, not run"}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = _refuse

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest's output clean

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_run_rejects_an_invalid_input_before_sending_anything(
    recording_server: tuple[str, list[str]],
) -> None:
    url, seen = recording_server
    no_scope = {"version": "1.0.0", "env": "staging"}
    result = run_cli(
        "run", DEPLOY, "--input", "-", stdin=json.dumps(no_scope), env=only_conductor(url)
    )
    assert result.returncode != 0, str(result)
    assert f"input for {DEPLOY}" in result.stderr
    assert "scope: Field required" in result.stderr
    assert seen == []

    # The control: the same command with a valid input does reach the stand-in.
    valid = run_cli(
        "run",
        DEPLOY,
        "--input",
        "-",
        stdin=json.dumps({**no_scope, "scope": "svc-x"}),
        env=only_conductor(url),
    )
    assert valid.returncode != 0
    assert "recorded, not run" in valid.stderr
    # `run` reads the registered version first, to warn if it differs from the definitions;
    # a refused read is a warning, not a reason not to start.
    version = load_project().workflow(DEPLOY).version
    assert seen == [f"GET /api/metadata/workflow/{DEPLOY}?version={version}", "POST /api/workflow"]
    assert f"warning: could not compare {DEPLOY} v{version} with the server's copy" in valid.stderr

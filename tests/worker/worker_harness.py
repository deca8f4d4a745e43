"""Test harness: the worker under real gunicorn on a free loopback port, and a small client."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
PROVISION_DELAY = 0.3
STARTUP_TIMEOUT = 30.0


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def json(self) -> Any:
        assert self.headers.get_content_type() == "application/json", self.text
        return json.loads(self.text)


@dataclass(frozen=True)
class Worker:
    port: int
    log_path: Path

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=15)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            text = response.read().decode()
            return Reply(response.status, response.headers, text)
        finally:
            connection.close()

    def post(self, step: str, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        all_headers = {"Content-Type": "application/json"} | (headers or {})
        return self.request("POST", f"/{step}", json.dumps(payload).encode(), all_headers)

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def log_records(self) -> list[dict[str, Any]]:
        lines = self.log_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def wait_ready(self, payload: dict[str, str]) -> Reply:
        """Poll wait_infrastructure_created as Conductor's retries would, until it answers 200."""
        deadline = time.monotonic() + 10
        while True:
            reply = self.post("wait_infrastructure_created", payload)
            if reply.status != 503 or time.monotonic() > deadline:
                return reply
            time.sleep(reply.json["retryAfterSeconds"])

    def provisioned(self, payload: dict[str, str]) -> str:
        """Create the deployment's infrastructure and wait until it is ready; its id."""
        created = self.post("create_infrastructure", payload)
        assert created.status == 200, created.text
        assert self.wait_ready(payload).status == 200
        infrastructure_id: str = created.json["infrastructureId"]
        return infrastructure_id


def read_reply(sock: socket.socket) -> Reply:
    """One HTTP answer read from a raw socket (the connection may stay open)."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    text = response.read().decode()
    return Reply(response.status, response.headers, text)


def unanswered(sock: socket.socket) -> bool:
    """True when `sock` is still open and nothing has been answered on it yet."""
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)  # something arrived, or b"": closed
        return False
    except BlockingIOError:
        return True
    finally:
        sock.settimeout(timeout)


def raw_request(port: int, data: bytes, timeout: float = 15) -> Reply:
    """Sends `data` as it is on a new connection and reads the answer: for the requests that
    http.client will not send (bad chunk sizes, half bodies)."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_reply(sock)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def worker_env(state_dir: Path, port: int, **overrides: str) -> dict[str, str]:
    # A developer's own WORKER_* settings must not leak into the worker under test.
    env = {key: value for key, value in os.environ.items() if not key.startswith("WORKER_")}
    return (
        env
        | {
            "WORKER_PORT": str(port),
            "WORKER_STATE_DIR": str(state_dir),
            "WORKER_PROCESSES": "2",
            "WORKER_PROVISION_DELAY_SECONDS": str(PROVISION_DELAY),
        }
        | overrides
    )


def gunicorn_command() -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "worker/gunicorn.conf.py",
        "worker.app:create_app()",
    ]


@contextmanager
def running_worker(state_dir: Path, **overrides: str) -> Iterator[Worker]:
    port = free_port()
    log_path = state_dir / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            gunicorn_command(),
            cwd=REPO_ROOT,
            env=worker_env(state_dir, port, **overrides),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(port, log_path)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                if worker.get("/health").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"worker not healthy in {STARTUP_TIMEOUT} s:\n{log_path.read_text()}")
            time.sleep(0.05)
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

"""A TEST AID, not Orkes: a small reverse proxy that puts an Orkes-style token check in front of
a real Conductor OSS server, so that the Orkes path (ORKES_BASE_URL, ORKES_KEY, ORKES_SECRET)
is exercised against something that checks a token.

It imitates only the contract conductor-python 2.0.0 relies on (see the SDK's
`conductor/client/http/api_client.py` and `rest.py`):

- `POST /api/token` with JSON `{"keyId", "keySecret"}` and no `X-Authorization` answers
  `200 {"token": "<opaque>"}` for the right key and secret, else
  `401 {"error": "INVALID_CREDENTIALS"}`. Never EXPIRED_TOKEN or INVALID_TOKEN there: the SDK
  would answer those by asking /token again, recursively.
- Every other `/api/...` call needs `X-Authorization: <token>` (no `Bearer`): a missing or
  unknown token gets `401 {"error": "INVALID_TOKEN"}`, an expired one
  `401 {"error": "EXPIRED_TOKEN"}`. Those two codes are what makes the SDK mint a new token
  and retry the call once (AuthorizationException.token_expired / invalid_token). With a
  valid token the call is forwarded to the real server and its answer passed back as it is.
- Tokens expire `ttl` seconds after they were issued; the test chooses the TTL.
- `/health` stays open.
- With `echo="body"`, `/api/token` answers `echo_status` (400, 401, 500) with the request body
  it received inside its error message, as a careless server or proxy does; with
  `echo="headers"`, every other `/api/...` call with a valid token answers `echo_status` with
  the request headers (`X-Authorization` included) in its message. No real server is known to
  do either: they are what a CLI must survive without showing its credentials.

Real Orkes Cloud's own answers (for a missing header, for permissions, its token lifetime) were
not available to compare with. The gateway records, per request, the path and whether a token
was sent, valid or expired, never a token or secret value.
"""

from __future__ import annotations

import http.server
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

__all__ = ["OrkesStyleGateway", "Seen"]

# Loopback only: a proxy from the environment must not see (or break) these calls.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"}


@dataclass(frozen=True)
class Seen:
    """One request as the gateway judged it: `verdict` is token-issued, token-refused,
    forwarded, missing, unknown, expired or open."""

    method: str
    path: str
    verdict: str


@dataclass
class _State:
    key_id: str
    key_secret: str
    ttl: float
    upstream: str
    echo: str | None = None
    echo_status: int = 400
    tokens: dict[str, float] = field(default_factory=dict)  # token -> issued (monotonic)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is `seen`, which holds no token

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?", 1)[0]
        if path == "/api/token" and self.command == "POST":
            self._token(state, body)
        elif path.startswith("/api/"):
            verdict = self._check(state, self.headers.get("X-Authorization"))
            self._note(state, verdict)
            if verdict != "forwarded":
                code = "EXPIRED_TOKEN" if verdict == "expired" else "INVALID_TOKEN"
                self._json(401, {"error": code, "message": f"token {verdict}"})
            elif state.echo == "headers":
                shown = json.dumps(dict(self.headers.items()))
                self._json(state.echo_status, {"message": f"request headers: {shown}"})
            else:
                self._forward(state, body)
        else:
            self._note(state, "open")
            self._forward(state, body)

    def _token(self, state: _State, body: bytes) -> None:
        if state.echo == "body":
            self._note(state, "token-refused")
            echoed = body.decode("utf-8", "replace")
            self._json(state.echo_status, {"message": f"bad credentials request: {echoed}"})
            return
        try:
            asked = json.loads(body or b"{}")
        except ValueError:
            asked = {}
        right = isinstance(asked, dict) and (
            _same(asked.get("keyId"), state.key_id)
            and _same(asked.get("keySecret"), state.key_secret)
        )
        if not right:
            self._note(state, "token-refused")
            self._json(401, {"error": "INVALID_CREDENTIALS", "message": "unknown key or secret"})
            return
        token = secrets.token_urlsafe(24)
        with state.lock:
            state.tokens[token] = time.monotonic()
        self._note(state, "token-issued")
        self._json(200, {"token": token})

    @staticmethod
    def _check(state: _State, token: str | None) -> str:
        if not token:
            return "missing"
        with state.lock:
            issued = state.tokens.get(token)
        if issued is None:
            return "unknown"
        return "expired" if time.monotonic() - issued > state.ttl else "forwarded"

    def _forward(self, state: _State, body: bytes) -> None:
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() not in {"host", "x-authorization", *_HOP_BY_HOP}
        }
        request = urllib.request.Request(
            state.upstream + self.path, data=body or None, headers=headers, method=self.command
        )
        try:
            with _OPENER.open(request, timeout=60) as answer:
                self._reply(answer.status, dict(answer.headers.items()), answer.read())
        except urllib.error.HTTPError as answer:
            self._reply(answer.code, dict(answer.headers.items()), answer.read())

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, answer: dict[str, str]) -> None:
        self._reply(status, {"Content-Type": "application/json"}, json.dumps(answer).encode())

    def _note(self, state: _State, verdict: str) -> None:
        with state.lock:
            state.seen.append(Seen(self.command, self.path.split("?", 1)[0], verdict))


def _same(given: Any, expected: str) -> bool:
    """compare_digest on the UTF-8 bytes (it refuses non-ASCII str)."""
    return secrets.compare_digest(str(given or "").encode(), expected.encode())


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, state: _State) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = state


class OrkesStyleGateway:
    """`with OrkesStyleGateway(upstream, key_id, key_secret, ttl=2) as gateway:` serves on
    `gateway.url` (port 0: any free one) until the block ends."""

    def __init__(
        self,
        upstream: str,
        key_id: str,
        key_secret: str,
        *,
        ttl: float,
        port: int = 0,
        echo: str | None = None,
        echo_status: int = 400,
    ) -> None:
        self._state = _State(key_id, key_secret, ttl, upstream.rstrip("/"), echo, echo_status)
        self._server = _Server(port, self._state)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> OrkesStyleGateway:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def seen(self) -> list[Seen]:
        with self._state.lock:
            return list(self._state.seen)

    def verdicts(self) -> Counter[str]:
        return Counter(s.verdict for s in self.seen())

    def tokens(self) -> list[str]:
        """Every token issued so far (for a test that checks none was shown)."""
        with self._state.lock:
            return list(self._state.tokens)

    def forget(self) -> None:
        """Clear the request log (tokens stay valid)."""
        with self._state.lock:
            self._state.seen.clear()

"""Fuzz: random methods, paths, headers and bodies against the worker under real gunicorn.

What must hold for every request (issue 17, item 8): no 500, and every answer of the app is
JSON. gunicorn answers the requests it cannot parse itself (a bad request line or header) with
its own short HTML page before the app sees them; those are allowed, but only as the 4xx or
501 statuses its parser gives. Each request is sent on a raw socket whose write side is then
shut, so a body shorter than it claims ends at once instead of waiting for the body timeout.

Bounded for CI: FUZZ_WORKER_EXAMPLES examples (default 1000, a few seconds).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.fuzz.strategies import json_values, mostly
from tests.worker.worker_harness import HOST, Worker, running_worker
from worker.steps import STEP_NAMES

EXAMPLES = int(os.environ.get("FUZZ_WORKER_EXAMPLES", "1000"))
# gunicorn's own answers to what it cannot parse (gunicorn.workers.base.Worker.handle_error).
GUNICORN_STATUSES = frozenset({400, 403, 414, 417, 431, 501})

_TOKEN_CHARACTERS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TOKEN = st.text(alphabet=_TOKEN_CHARACTERS, min_size=1, max_size=12)
_HEADER_VALUE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)
# Any text at all (non-ASCII, control characters): what gunicorn's parser must refuse.
_ANY_TEXT = st.text(max_size=20)


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    # gunicorn's parser errors are written raw (gunicorn.util.write_error, which
    # worker/serving.py makes write JSON), without the Server header that every answer passed
    # through its Response (the app's) carries.
    from_app: bool


@pytest.fixture(scope="module")
def fuzzed_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    with running_worker(
        tmp_path_factory.mktemp("fuzzed-worker"),
        WORKER_PROVISION_DELAY_SECONDS="0",
        WORKER_BODY_TIMEOUT_SECONDS="2",
    ) as running:
        yield running


def _paths() -> st.SearchStrategy[str]:
    known = st.sampled_from(
        [f"/{step}" for step in STEP_NAMES]
        + [
            "/health",
            "/history",
            "/history?scope=svc-a",
            "/deployments/x",
            "/deployments/x/history",
        ]
    )
    segment = st.text(alphabet="abcdefgh-_.~%20/?=&#", max_size=15)
    odd = st.sampled_from(["*", "", "//", "/" + "a" * 5000, "/%00", "/..%2f..%2fetc"])
    return st.one_of(
        known,
        known,
        st.builds(lambda a, b: a + b, known, segment),
        st.builds(lambda s: "/" + s, segment),
        st.builds(lambda s: "/deployments/" + s, _ANY_TEXT),
        odd,
    )


def _step_bodies() -> st.SearchStrategy[bytes]:
    """Bodies shaped like a step call: mostly values from a small pool, so that calls meet the
    same deployments again (created, provisioned, conflicting), and now and then anything."""

    def field(pool: list[str]) -> st.SearchStrategy[object]:
        return mostly(st.sampled_from(pool), st.one_of(st.text(max_size=300), json_values))

    body = st.fixed_dictionaries(
        {
            "scope": field(["svc-a", "svc-b", "app-c", ""]),
            "version": field(["1.0.0", "2.0.0"]),
            "env": field(["test", "prod"]),
        },
        optional={
            "deploymentId": field(["fuzz-1", "fuzz-2", "fuzz-3"]),
            "infrastructureId": field(["infra-000000000000"]),
            "extra": json_values,
        },
    )
    return body.map(lambda value: json.dumps(value).encode())


def _bodies() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.just(b""),
        st.binary(max_size=200),
        _step_bodies(),
        json_values.map(lambda value: json.dumps(value).encode()),
        st.just(b"[" * 3000 + b"]" * 3000),
        st.just(b'{"scope": "' + b"x" * 70_000 + b'"}'),
    )


def _headers() -> st.SearchStrategy[list[tuple[str, str]]]:
    fault = st.one_of(
        st.tuples(
            st.just("X-Fault-Fail"), st.one_of(_HEADER_VALUE, st.integers(-5, 2000).map(str))
        ),
        # Small delays only: the fuzz must stay quick.
        st.tuples(
            st.just("X-Fault-Delay"), st.sampled_from(["0", "0.01", "nan", "inf", "-1", "x"])
        ),
    )
    framing = st.tuples(
        st.sampled_from(["Content-Length", "Transfer-Encoding", "Content-Type", "Expect"]),
        st.one_of(
            st.sampled_from(["0", "5", "-1", "1e3", "chunked", "gzip", "application/json"]),
            _HEADER_VALUE,
        ),
    )
    anything = st.tuples(_TOKEN, st.one_of(_HEADER_VALUE, _HEADER_VALUE, _ANY_TEXT))
    return st.lists(st.one_of(fault, anything, anything, framing), max_size=4)


def _encode_chunked(body: bytes, sizes: list[str]) -> bytes:
    """`body` in chunks, each announced by the next of `sizes` (any text: the point)."""
    out, rest = b"", body
    for size in sizes:
        piece, rest = rest[:7], rest[7:]
        out += size.encode("latin-1", "replace") + b"\r\n" + piece + b"\r\n"
    return out + b"%x\r\n%s\r\n0\r\n\r\n" % (len(rest), rest)


def _send(
    port: int, method: str, path: str, headers: list[tuple[str, str]], body: bytes
) -> Answer | None:
    """The answer, or None when the server closed the connection without a whole one: it
    may, after refusing a request whose rest it did not read (the kernel then resets)."""
    head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers)
    with socket.create_connection((HOST, port), timeout=30) as sock:
        try:
            sock.sendall(head.encode("utf-8", "surrogateescape") + b"\r\n" + body)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # refused mid-request: read what was answered, if anything
        try:
            response = http.client.HTTPResponse(sock, method=method)
            response.begin()
            content = response.read()
        except (OSError, http.client.HTTPException):
            return None
        headers_in = response.headers
        return Answer(
            response.status, headers_in.get_content_type(), content, "Server" in headers_in
        )


def _assert_answer(answer: Answer, method: str) -> None:
    if not answer.from_app:
        # gunicorn's answer to a request it could not parse (the app never saw it): the app's
        # JSON error all the same (worker/serving.py).
        assert answer.status in GUNICORN_STATUSES, answer
    assert answer.status != 500, answer.body
    assert answer.content_type == "application/json", answer
    if method != "HEAD":
        payload = json.loads(answer.body)
        assert isinstance(payload, dict)
        if answer.status >= 400:
            assert isinstance(payload.get("error"), str), payload
        assert "Traceback" not in answer.body.decode()


def _label(answer: Answer | None) -> str:
    """How the answers spread, in `pytest --hypothesis-show-statistics`."""
    if answer is None:
        return "no answer"
    return f"{answer.status} from {'the app' if answer.from_app else 'gunicorn'}"


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "BREW"]),
    path=_paths(),
    headers=_headers(),
    body=_bodies(),
    chunk_sizes=st.none() | st.lists(st.sampled_from(["7", "zz", "-1", "", "7;x", "ffffffff"])),
)
def test_any_request_gets_no_500_and_json_from_the_app(
    fuzzed_worker: Worker,
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    body: bytes,
    chunk_sizes: list[str] | None,
) -> None:
    if chunk_sizes is None:
        headers = [*headers, ("Content-Length", str(len(body)))]
    else:
        headers = [*headers, ("Transfer-Encoding", "chunked")]
        body = _encode_chunked(body, chunk_sizes)
    answer = _send(fuzzed_worker.port, method, path, headers, body)
    event(_label(answer))
    if answer is not None:
        _assert_answer(answer, method)


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(
    step=st.sampled_from(STEP_NAMES),
    body=st.one_of(_step_bodies(), _step_bodies(), _step_bodies(), _bodies()),
    faults=st.lists(
        st.one_of(
            st.tuples(
                st.just("X-Fault-Fail"),
                st.sampled_from(["0", "1", "2", "1000", "1001", "-1", "1.5", "", "x"]),
            ),
            # Short delays only, the fuzz must stay quick; and values that are no delay at all.
            st.tuples(
                st.just("X-Fault-Delay"),
                st.sampled_from(["0", "0.001", "-1", "nan", "inf", "1e400", "11", ""]),
            ),
        ),
        max_size=1,
    ),
    chunked=st.booleans(),
)
def test_any_step_call_gets_no_500_and_json(
    fuzzed_worker: Worker,
    step: str,
    body: bytes,
    faults: list[tuple[str, str]],
    chunked: bool,
) -> None:
    """Well-framed step calls with any body: what reaches the app's validation and steps."""
    headers = [("Content-Type", "application/json"), *faults]
    if chunked:
        headers.append(("Transfer-Encoding", "chunked"))
        body = _encode_chunked(body, [])
    else:
        headers.append(("Content-Length", str(len(body))))
    answer = _send(fuzzed_worker.port, "POST", f"/{step}", headers, body)
    assert answer is not None, "a well-framed request was answered"
    event(_label(answer))
    assert answer.from_app, answer
    _assert_answer(answer, "POST")
    assert answer.status in {200, 400, 409, 413, 422, 503}, answer


def test_the_fuzzing_reached_no_internal_error(fuzzed_worker: Worker) -> None:
    # Runs last in this module: the worker's log has no traceback and no error line.
    log = fuzzed_worker.log_path.read_text()
    assert "Traceback" not in log
    assert '"level": "error"' not in log
    assert "WORKER TIMEOUT" not in log

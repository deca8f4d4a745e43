"""Slow and broken request bodies under real gunicorn, over raw sockets (issue 17, item 4).

Finding 4: two clients that sent `Content-Length: 100` and then 4 bytes tied up both sync
processes; `/health` took 30.5 s and the two clients got gunicorn's HTML 500 when the worker
timeout killed the processes. Finding 7: a malformed chunked body (chunk size `zz` or `-1`, a
bad trailer line) was a 500, raised by gunicorn's reader from inside the app.

No test here asserts a duration: "not blocked" is shown by order, `/health` answering while
the slow clients still wait for theirs.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from worker_harness import (
    HOST,
    Reply,
    Worker,
    raw_request,
    read_reply,
    running_worker,
    unanswered,
)

BODY_TIMEOUT = 2.0
BODY = json.dumps({"scope": "svc-bodies", "version": "1.0.0", "env": "test"}).encode()


@pytest.fixture(scope="module")
def timed_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """Two processes, as by default, with a short body timeout so the tests stay quick."""
    with running_worker(
        tmp_path_factory.mktemp("timed-worker"),
        WORKER_BODY_TIMEOUT_SECONDS=str(BODY_TIMEOUT),
        WORKER_PROVISION_DELAY_SECONDS="0",
    ) as running:
        yield running


def _head(path: str, **headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {HOST}", "Content-Type: application/json"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _slow_client(worker: Worker) -> socket.socket:
    """Announces 100 bytes of body and sends 4."""
    sock = socket.create_connection((HOST, worker.port), timeout=30)
    sock.sendall(_head("/create_infrastructure", Content_Length="100") + BODY[:4])
    return sock


def _assert_json_error(reply: Reply, status: int, error: str) -> None:
    assert reply.status == status, reply.text
    payload = reply.json  # asserts application/json
    assert payload["error"] == error
    assert "Traceback" not in reply.text


def test_slow_bodies_do_not_block_other_requests(timed_worker: Worker) -> None:
    # More slow clients than the worker has processes: with sync workers these blocked all.
    slow = [_slow_client(timed_worker) for _ in range(4)]
    try:
        time.sleep(0.3)  # let each reach a thread and block on its body
        health = timed_worker.get("/health")
        assert health.status == 200 and health.json["status"] == "UP"
        served = timed_worker.post("create_infrastructure", json.loads(BODY))
        assert served.status == 200, served.text
        assert all(unanswered(sock) for sock in slow), "answered before /health was"
        # Then each slow client gets a JSON 408 of the app, not gunicorn's HTML.
        for sock in slow:
            reply = read_reply(sock)
            _assert_json_error(reply, 408, "request body not received in time")
            assert reply.json["detail"] == {"timeoutSeconds": BODY_TIMEOUT, "contentLength": 100}
    finally:
        for sock in slow:
            sock.close()


def test_a_body_that_arrives_in_pieces_in_time_is_read(timed_worker: Worker) -> None:
    with socket.create_connection((HOST, timed_worker.port), timeout=30) as sock:
        sock.sendall(_head("/create_infrastructure", Content_Length=str(len(BODY))) + BODY[:10])
        time.sleep(BODY_TIMEOUT / 4)
        sock.sendall(BODY[10:])
        reply = read_reply(sock)
    assert reply.status == 200, reply.text
    assert reply.json["scope"] == "svc-bodies"


def test_a_body_cut_short_is_a_400(timed_worker: Worker) -> None:
    with socket.create_connection((HOST, timed_worker.port), timeout=30) as sock:
        sock.sendall(_head("/create_infrastructure", Content_Length="100") + BODY[:4])
        sock.shutdown(socket.SHUT_WR)
        reply = read_reply(sock)
    _assert_json_error(reply, 400, "request body shorter than its Content-Length")


def _chunked(*chunks: bytes, trailer: bytes = b"") -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
    head = _head("/create_infrastructure", Transfer_Encoding="chunked")
    return head + body + b"0\r\n" + trailer + b"\r\n"


@pytest.mark.parametrize(
    ("wire", "problem"),
    [
        (b"zz\r\n" + BODY + b"\r\n0\r\n\r\n", "InvalidChunkSize"),
        (b"-1\r\n" + BODY + b"\r\n0\r\n\r\n", "InvalidChunkSize"),
        (b"%x\r\n%sXX0\r\n\r\n" % (len(BODY), BODY), "ChunkMissingTerminator"),
        (b'%x;a="b\r\n%s\r\n0\r\n\r\n' % (len(BODY), BODY), "InvalidChunkExtension"),
        (b"%x\r\n%s\r\n0\r\nnot a trailer line\r\n\r\n" % (len(BODY), BODY), "InvalidHeader"),
    ],
    ids=["size-zz", "size-minus-1", "no-terminator", "bad-extension", "bad-trailer"],
)
def test_a_malformed_chunked_body_is_a_400(timed_worker: Worker, wire: bytes, problem: str) -> None:
    head = _head("/create_infrastructure", Transfer_Encoding="chunked")
    reply = raw_request(timed_worker.port, head + wire)
    _assert_json_error(reply, 400, "malformed request body")
    assert reply.json["detail"].startswith(f"{problem}: ")


def test_a_well_formed_chunked_body_with_a_trailer_is_read(timed_worker: Worker) -> None:
    reply = raw_request(timed_worker.port, _chunked(BODY[:7], BODY[7:], trailer=b"X-Sum: 1\r\n"))
    assert reply.status == 200, reply.text
    assert reply.json["scope"] == "svc-bodies"


def test_a_chunked_body_over_the_limit_is_a_413(timed_worker: Worker) -> None:
    reply = raw_request(timed_worker.port, _chunked(*[b" " * 16384] * 5))
    _assert_json_error(reply, 413, "request body too large")


def test_a_chunked_body_that_stops_is_a_408(timed_worker: Worker) -> None:
    head = _head("/create_infrastructure", Transfer_Encoding="chunked")
    reply = raw_request(timed_worker.port, head + b"64\r\n" + BODY[:4], timeout=30)
    _assert_json_error(reply, 408, "request body not received in time")


def test_no_body_reached_the_internal_error_handler(timed_worker: Worker) -> None:
    # Runs last in this module: none of the above went down the 500 path.
    log = Path(timed_worker.log_path).read_text()
    assert "Traceback" not in log
    assert '"level": "error"' not in log
    assert "WORKER TIMEOUT" not in log

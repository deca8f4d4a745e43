"""Slow, idle and malformed clients against the worker under gunicorn (issue 26, items 2 and 10).

Under gthread (2 processes x 8 threads), 64 connections that sent a request line and one
header made /health time out for as long as they stayed open, and never got a 408; gunicorn
answered malformed requests with HTML. The latency figure itself is `python -m bench worker`'s.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from worker_harness import HOST, Worker, raw_request, read_reply, running_worker, unanswered

from bench.slow_clients import health_latency, slow_connections
from worker.contract import ErrorAnswer

SLOW_CLIENTS = 1000
STALLED = b"POST /create_infrastructure HTTP/1.1\r\nHost: slow\r\n"


@pytest.fixture(scope="module")
def crowded_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    with running_worker(tmp_path_factory.mktemp("crowded")) as running:
        yield running


def test_health_answers_while_a_thousand_slow_and_idle_clients_hold_connections(
    crowded_worker: Worker,
) -> None:
    with slow_connections(crowded_worker.port, SLOW_CLIENTS) as held:
        time.sleep(1.0)  # the kernel queued them all; let the worker take them in
        latency = health_latency(crowded_worker.port, probes=10, timeout=5.0)
        assert latency.failed == 0, latency
        # Still open: nothing was answered or closed meanwhile (the deadlines are longer).
        assert unanswered(held[0]) and unanswered(held[1])


@pytest.fixture(scope="module")
def impatient_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    with running_worker(
        tmp_path_factory.mktemp("impatient"), WORKER_HEADER_TIMEOUT_SECONDS="1"
    ) as running:
        yield running


def test_a_request_whose_headers_stall_gets_a_408_in_json(impatient_worker: Worker) -> None:
    with socket.create_connection((HOST, impatient_worker.port), timeout=10) as sock:
        sock.sendall(STALLED)
        started = time.monotonic()
        reply = read_reply(sock)
        waited = time.monotonic() - started
    assert reply.status == 408
    answer = ErrorAnswer.model_validate(reply.json)
    assert answer.error == "request headers not received in time"
    assert answer.detail == {"timeoutSeconds": 1, "receivedBytes": len(STALLED)}
    assert 0.5 < waited < 8, waited


def test_an_idle_connection_is_closed_without_an_answer(impatient_worker: Worker) -> None:
    with socket.create_connection((HOST, impatient_worker.port), timeout=10) as sock:
        assert sock.recv(1024) == b""  # closed, and nothing sent that a client could misread


def test_a_kept_alive_connection_is_closed_quietly_after_its_answer(
    impatient_worker: Worker,
) -> None:
    with socket.create_connection((HOST, impatient_worker.port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_reply(sock).status == 200
        assert sock.recv(1024) == b""


@pytest.mark.parametrize(
    ("request_bytes", "status", "error"),
    [
        (b"GARBAGE\r\n\r\n", 400, "bad request"),
        (b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n", 400, "bad request"),
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "request-uri too long"),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n", 400, "bad request"),
        (
            b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"a" * 9000 + b"\r\n\r\n",
            431,
            "request header fields too large",
        ),
        (
            b"GET /health HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: y\r\n" % number for number in range(120))
            + b"\r\n",
            431,
            "request header fields too large",
        ),
        (
            b"POST /create_infrastructure HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: br\r\n\r\n",
            501,
            "not implemented",
        ),
    ],
    ids=["request-line", "http-version", "uri-too-long", "header-name", "header-size",
         "header-count", "transfer-coding"],
)  # fmt: skip
def test_what_gunicorn_refuses_itself_is_answered_in_json(
    worker: Worker, request_bytes: bytes, status: int, error: str
) -> None:
    reply = raw_request(worker.port, request_bytes)
    assert reply.status == status, reply.text
    assert reply.headers.get_content_type() == "application/json", reply.text
    answer = ErrorAnswer.model_validate(reply.json)
    assert answer.error == error
    assert "<html>" not in reply.text

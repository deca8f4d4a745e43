"""The worker's gunicorn worker class: gevent, a deadline for each request's headers, and JSON
for every error gunicorn answers itself.

Why gevent (measured with bench/slow_clients.py, 1,000 connections a third each slow-header,
idle and slow-body, 2 processes, on this project's 2-core machine): gthread with 8 threads
answered no /health at all (20 of 20 probes timed out at 5 s), since each slow-header
connection holds a thread for as long as it stays open; gthread with 1,100 threads answered
(p50 2.8 ms) but failed 8 of 20 probes at 3,000 connections, each thread ~100 KB more; gevent
answered every probe at 1,000 (p50 5.5 ms, worst 28 ms) and at 3,000 (worst 97 ms), one
greenlet per connection.

- A connection waits for its next request (line and headers) at most `keepalive` seconds
  (WORKER_HEADER_TIMEOUT_SECONDS, gunicorn's async loop puts that deadline around the whole
  parse): then one that had sent part of a request gets a 408, an idle one is closed without
  an answer, as a keep-alive connection is (an unasked answer would be read by the client as
  the answer to its next request).
- The body has its own deadline (worker/body.py).
- gunicorn answers malformed requests (400, 414, 431, 501, ...) before the app sees them, with
  an HTML page (`gunicorn.util.write_error`, its only writer of error pages): that function is
  replaced in each worker process by one that writes the app's JSON error.
"""

from __future__ import annotations

import contextlib
import http
import socket
from typing import Any

import gevent
from gunicorn import util
from gunicorn.workers.ggevent import GeventWorker

from worker.contract import ErrorAnswer

__all__ = ["JsonGeventWorker", "RequestTimeout", "json_error_bytes"]


class RequestTimeout(Exception):
    """No complete request line and headers within the deadline."""


class _Watched:
    """The client socket, counting the bytes of the request being read: a deadline with none
    is an idle keep-alive connection, one with some a request that stalled."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.received = 0

    def recv(self, size: int, *flags: int) -> bytes:
        data = self._sock.recv(size, *flags)
        self.received += len(data)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def json_error_bytes(status: int, error: str, detail: Any = None) -> bytes:
    """A whole HTTP answer with the app's JSON error body; the connection closes after it."""
    body = ErrorAnswer(error=error, detail=detail).model_dump_json(exclude_unset=True).encode()
    phrase = http.HTTPStatus(status).phrase
    head = (
        f"HTTP/1.1 {status} {phrase}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def _write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """`gunicorn.util.write_error`'s signature; the reason phrase comes from the status (gunicorn
    says "Bad Request" for its 501)."""
    error = http.HTTPStatus(status_int).phrase.lower()
    util.write_nonblock(sock, json_error_bytes(status_int, error, mesg or None))


class JsonGeventWorker(GeventWorker):  # type: ignore[misc]  # gunicorn ships no types
    def init_process(self) -> None:
        util.write_error = _write_json_error
        super().init_process()

    # pyright reads typeshed's gunicorn stubs, which say GeventWorker.timeout_ctx returns None;
    # gunicorn's own returns a gevent.Timeout, as this one does.
    def timeout_ctx(self) -> gevent.Timeout:  # pyright: ignore[reportIncompatibleMethodOverride]
        return gevent.Timeout(self.cfg.keepalive, RequestTimeout)

    def handle(self, listener: Any, client: socket.socket, addr: Any) -> None:
        # _Watched stands in for the socket (it forwards every attribute but recv).
        super().handle(listener, _Watched(client), addr)  # pyright: ignore[reportArgumentType]

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> Any:
        try:
            return super().handle_request(listener_name, req, sock, addr)
        finally:
            sock.received = 0  # the next request starts from nothing

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if not isinstance(exc, RequestTimeout):
            super().handle_error(req, client, addr, exc)
        elif client.received:
            detail = {"timeoutSeconds": self.cfg.keepalive, "receivedBytes": client.received}
            with contextlib.suppress(OSError):  # the client may have gone meanwhile
                util.write_nonblock(
                    client, json_error_bytes(408, "request headers not received in time", detail)
                )

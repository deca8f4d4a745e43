"""Slow and idle clients, and how long `/health` takes while they hold their connections.

Three kinds, a third each: a request line and one header and then nothing (slow headers), a
connection that sends nothing (idle), and full headers announcing a body of 100 bytes of which
4 are sent (slow body). Used by `python -m bench worker` (the figure) and by
tests/worker/test_slow_clients.py (the worker must answer at all while they are open).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["KINDS", "Latency", "health_latency", "slow_connections"]

HOST = "127.0.0.1"
KINDS = ("slow-header", "idle", "slow-body")
_FIRST_BYTES = {
    "slow-header": b"POST /create_infrastructure HTTP/1.1\r\nHost: slow\r\n",
    "idle": b"",
    "slow-body": (
        b"POST /create_infrastructure HTTP/1.1\r\nHost: slow\r\n"
        b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sc'
    ),
}


@dataclass(frozen=True)
class Latency:
    """`/health` answer times in ms; `failed` counts probes that got no 200 within the
    client's timeout."""

    samples: list[float]
    failed: int

    @property
    def p50(self) -> float:
        return statistics.median(self.samples) if self.samples else float("inf")

    @property
    def worst(self) -> float:
        return max(self.samples) if self.samples else float("inf")


@contextlib.contextmanager
def slow_connections(port: int, count: int) -> Iterator[list[socket.socket]]:
    """`count` connections, the kinds in turn, each left as its kind leaves it; all closed on
    exit. Connecting never waits on the server's accept: the kernel completes the handshake."""
    opened: list[socket.socket] = []
    try:
        for number in range(count):
            sock = socket.create_connection((HOST, port), timeout=10)
            opened.append(sock)
            first = _FIRST_BYTES[KINDS[number % len(KINDS)]]
            if first:
                sock.sendall(first)
        yield opened
    finally:
        for sock in opened:
            with contextlib.suppress(OSError):
                sock.close()


def health_latency(port: int, probes: int, timeout: float = 5.0, pause: float = 0.05) -> Latency:
    """`probes` GET /health, each on a new connection, one after another."""
    samples: list[float] = []
    failed = 0
    for _ in range(probes):
        started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
        try:
            connection.request("GET", "/health")
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                samples.append((time.perf_counter() - started) * 1000)
            else:
                failed += 1
        except OSError:
            failed += 1
        finally:
            connection.close()
        time.sleep(pause)
    return Latency(samples, failed)

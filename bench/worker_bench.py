"""Benchmark: the mock worker against a bare Flask app, both under ``worker/gunicorn.conf.py``.

Called as ``worker_bench.main()`` from ``python -m bench``. Both servers run on free loopback
ports; each is warmed up, then loaded with 32 concurrent connections in alternating rounds of
:data:`ROUND_SECONDS` (:data:`ROUNDS` each): the worker with POST ``/effective_status`` (a valid
body, a created deployment), the bare app with the same request answered by a constant JSON.
Alternating rounds and keeping each app's best one make the comparison fair on a machine shared
with other work. Load comes from ``wrk`` when it is on PATH (a separate process, as required);
otherwise from a Python multiprocess generator, which competes with the servers for CPU and so
understates both. Prints requests/s, p50 and p99 latency for each, and the throughput ratio
(best against best, and the spread of the round-by-round ratios).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

from flask import Flask

from bench import report
from bench.slow_clients import KINDS, health_latency, slow_connections

__all__ = ["create_bare_app", "main"]

REPO_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = REPO_ROOT / "worker" / "gunicorn.conf.py"
HOST = "127.0.0.1"
CONNECTIONS = 32
ROUNDS = 3
ROUND_SECONDS = 5
WARMUP_SECONDS = 2
PATH = "/effective_status"
BODY = json.dumps({"scope": "svc-bench", "version": "1.0.0", "env": "bench"})
TARGET_RATIO = 0.8  # issue 13
TARGET_P99_MS = 20.0
# Issue 26: /health while this many slow-header, idle and slow-body connections are open.
SLOW_CLIENTS = 1000
HEALTH_PROBES = 50
TARGET_HEALTH_MS = 100.0

_WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = '%s'
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50_us\\": %%d, \\"p99_us\\": %%d,"
    .. " \\"errors\\": %%d, \\"non_2xx\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def create_bare_app() -> Flask:
    """The baseline: Flask under the same gunicorn settings, doing no work."""
    app = Flask(__name__)

    @app.route(PATH, methods=["GET", "POST"])
    def constant() -> dict[str, object]:
        return {"status": "success", "healthy": True}

    return app


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


Loader = Callable[[str, int, int], Result]  # (name, port, seconds) -> Result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _post(port: int, path: str, body: str) -> int:
    request = urllib.request.Request(
        f"http://{HOST}:{port}{path}",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        status: int = response.status
        return status


class _Server:
    """One gunicorn instance under the worker's config, stopped on exit."""

    def __init__(self, app: str, state_dir: Path) -> None:
        self.port = _free_port()
        state_dir.mkdir()
        env = os.environ | {
            "WORKER_PORT": str(self.port),
            "WORKER_STATE_DIR": str(state_dir),
            "WORKER_PROVISION_DELAY_SECONDS": "0",
            "WORKER_FAULTS": "",
        }
        self._log = (state_dir / f"gunicorn-{self.port}.log").open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), app],
            cwd=REPO_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def __enter__(self) -> _Server:
        deadline = time.monotonic() + 15
        while self._process.poll() is None and time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not start on port {self.port}, see {self._log.name}")

    def __exit__(self, *exc: object) -> None:
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()


def _wrk(wrk: str, port: int, seconds: int, script: Path) -> dict[str, int]:
    completed = subprocess.run(
        [
            wrk,
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "-s",
            str(script),
            f"http://{HOST}:{port}{PATH}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in completed.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            result: dict[str, int] = json.loads(line.removeprefix("WRK_RESULT "))
            return result
    raise RuntimeError(f"no result from wrk:\n{completed.stdout}{completed.stderr}")


def _wrk_loader(wrk: str, scratch: Path) -> Loader:
    script = scratch / "post.lua"
    script.write_text(_WRK_SCRIPT % BODY)

    def load(name: str, port: int, seconds: int) -> Result:
        raw = _wrk(wrk, port, seconds, script)
        return Result(
            name=name,
            requests=raw["requests"],
            seconds=raw["duration_us"] / 1e6,
            p50_ms=raw["p50_us"] / 1000,
            p99_ms=raw["p99_us"] / 1000,
            failures=raw["errors"] + raw["non_2xx"],
        )

    return load


def _client_thread(port: int, deadline: float, latencies: list[float], failures: list[int]) -> None:
    headers = {"Content-Type": "application/json"}
    while (started := time.perf_counter()) < deadline:
        # A connection per request: the same for both apps, and simple (wrk keeps them alive).
        connection = HTTPConnection(HOST, port, timeout=10)
        try:
            connection.request("POST", PATH, body=BODY, headers=headers)
            response = connection.getresponse()
            response.read()
            ok = 200 <= response.status < 300
        except OSError:
            ok = False
        finally:
            connection.close()
        latencies.append(time.perf_counter() - started)
        if not ok:
            failures.append(1)


def _client_process(port: int, threads: int, seconds: float) -> tuple[list[float], int]:
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    failures: list[int] = []
    workers = [
        threading.Thread(target=_client_thread, args=(port, deadline, latencies, failures))
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return latencies, len(failures)


def _load_with_python(name: str, port: int, seconds: int) -> Result:
    processes = 2
    threads = CONNECTIONS // processes
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        runs = pool.starmap(_client_process, [(port, threads, seconds)] * processes)
    latencies = sorted(latency for run_latencies, _ in runs for latency in run_latencies)
    return Result(
        name=name,
        requests=len(latencies),
        seconds=seconds,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99)] * 1000,
        failures=sum(failed for _, failed in runs),
    )


def main() -> None:
    wrk = shutil.which("wrk")
    generator = "wrk" if wrk else "python multiprocess generator (client-bound: install wrk)"
    print(
        f"worker bench: {CONNECTIONS} connections, best of {ROUNDS} alternating rounds of"
        f" {ROUND_SECONDS} s, load: {generator}"
    )
    with tempfile.TemporaryDirectory(prefix="worker-bench-") as tmp:
        scratch = Path(tmp)
        load = _wrk_loader(wrk, scratch) if wrk else _load_with_python
        apps = {"worker": "worker.app:create_app()", "bare": "bench.worker_bench:create_bare_app()"}
        with contextlib.ExitStack() as stack:
            ports = {
                name: stack.enter_context(_Server(app, scratch / name)).port
                for name, app in apps.items()
            }
            # The worker answers effective_status only for a deployment that exists.
            _post(ports["worker"], "/create_infrastructure", BODY)
            for name, port in ports.items():
                load(name, port, WARMUP_SECONDS)
            rounds: dict[str, list[Result]] = {name: [] for name in apps}
            for _ in range(ROUNDS):
                for name, port in ports.items():
                    rounds[name].append(load(name, port, ROUND_SECONDS))
    best = {name: max(results, key=lambda r: r.rps) for name, results in rounds.items()}
    for name, result in best.items():
        spread = ", ".join(f"{r.rps:.0f}" for r in rounds[name])
        print(
            f"  {name:<7} {result.rps:6.0f} req/s  p50 {result.p50_ms:6.2f} ms"
            f"  p99 {result.p99_ms:6.2f} ms  failed {sum(r.failures for r in rounds[name])}"
            f"  (rounds: {spread} req/s)"
        )
    ratio = best["worker"].rps / best["bare"].rps
    # Each worker round ran right before its bare round, so their ratio shares the machine's
    # load of the moment: the spread of these says how much the best-of ratio can be trusted.
    paired = sorted(w.rps / b.rps for w, b in zip(rounds["worker"], rounds["bare"], strict=True))
    report.at_least("worker vs bare, best rounds", ratio, "x", TARGET_RATIO)
    report.record("worker vs bare, median of paired rounds", statistics.median(paired), "x")
    report.at_most("worker p99", best["worker"].p99_ms, "ms", TARGET_P99_MS)
    for name, result in best.items():
        report.record(f"{name} requests/s", result.rps, "req/s")
        report.record(f"{name} p50", result.p50_ms, "ms")
    print(
        f"  ratio   {ratio:.2f}x bare (target >= {TARGET_RATIO}x);"
        f" round by round {paired[0]:.2f}..{paired[-1]:.2f}, median {statistics.median(paired):.2f}"
    )
    print(f"  worker p99 {best['worker'].p99_ms:.2f} ms (target < {TARGET_P99_MS:g} ms)")
    with tempfile.TemporaryDirectory(prefix="worker-bench-slow-") as tmp:
        _slow_clients(Path(tmp))


def _slow_clients(scratch: Path) -> None:
    """/health on an idle worker, then while SLOW_CLIENTS connections stall (a third each of
    KINDS): each probe a new connection, one after another."""
    with _Server("worker.app:create_app()", scratch / "worker") as server:
        health_latency(server.port, 5)  # warm up
        idle = health_latency(server.port, HEALTH_PROBES)
        with slow_connections(server.port, SLOW_CLIENTS):
            time.sleep(1.0)  # accepted by now: measure the worker holding them, not the queue
            crowded = health_latency(server.port, HEALTH_PROBES)
    print(
        f"  /health, {HEALTH_PROBES} probes: idle p50 {idle.p50:.1f} ms, worst {idle.worst:.1f} ms;"
        f" with {SLOW_CLIENTS} slow clients ({', '.join(KINDS)}) open: p50 {crowded.p50:.1f} ms,"
        f" worst {crowded.worst:.1f} ms, unanswered {crowded.failed}"
        f" (target worst < {TARGET_HEALTH_MS:g} ms)"
    )
    report.record("health p50, idle worker", idle.p50, "ms")
    report.record(f"health p50, {SLOW_CLIENTS} slow clients", crowded.p50, "ms")
    report.at_most(
        f"health worst, {SLOW_CLIENTS} slow clients", crowded.worst, "ms", TARGET_HEALTH_MS
    )
    report.at_most(f"health unanswered, {SLOW_CLIENTS} slow clients", crowded.failed, "", 0)


if __name__ == "__main__":
    main()

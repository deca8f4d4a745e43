"""`python -m bench dashboard`: the dashboard's deployments page with 1,000 executions of the
project's workflows on the local server, beside the raw Conductor searches the page makes.

The executions are `finalize_deployment_v1` runs (three worker calls each: short) of
deployments created at the worker first (finalizing needs one), started only as many as the
server lacks, so a second run reuses them. Each round of the page is cold
(the dashboard's one-second cache has expired: the page pays for the searches) and is then
asked again at once (answered from the cache, as every other open page is within that second).
Target (issue 24): the cold page answers in under 300 ms.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.parse
import urllib.request
from collections.abc import Callable

from bench import report
from bench.server_bench import _register_project, workflow_version
from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.settings import load_settings
from deploy_dsl.dashboard.build_dir import BuildDir
from deploy_dsl.dashboard.listing import Filters, queries
from deploy_dsl.local import stack
from deploy_dsl.local.layout import Layout

EXECUTIONS = 1000
ROUNDS = 15
PAGE_TARGET_MS = 300.0
SHORT = "finalize_deployment_v1"
_LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str | urllib.request.Request) -> bytes:
    with _LOOPBACK.open(url, timeout=60) as answer:
        return bytes(answer.read())


def _median_ms(run: Callable[[], object], rounds: int, pause: float = 0.0) -> float:
    times = []
    for _ in range(rounds):
        if pause:
            time.sleep(pause)
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _post(url: str, body: dict[str, str]) -> dict[str, str]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    answer: dict[str, str] = json.loads(_get(request))
    return answer


def _fill(api: ConductorApi, names: list[str], worker_url: str) -> int:
    """Starts short executions until the project's workflows have EXECUTIONS on the server;
    waits until none of those short ones runs. Returns how many there are."""
    every = f"workflowType IN ({','.join(names)})"
    have = int(api.search(every, size=1).get("totalHits") or 0)
    missing = max(0, EXECUTIONS - have)
    if missing:
        print(f"    starting {missing} {SHORT} executions ({have} on the server)", flush=True)
        version = workflow_version(SHORT)
        for number in range(missing):
            scope = f"bench-dashboard-{number}"
            inputs = {"scope": scope, "version": "1.0.0", "env": "bench", "deploymentId": scope}
            created = _post(f"{worker_url}/create_infrastructure", inputs)
            api.start(SHORT, version, {**inputs, "infrastructureId": created["infrastructureId"]})
    deadline = time.monotonic() + 900
    while True:
        answer = api.search(f"workflowType IN ({SHORT}) AND status IN (RUNNING)", size=1)
        running = int(answer.get("totalHits") or 0)
        if not running:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"bench dashboard: {running} executions still running after 900 s")
        print(f"    waiting for {running} running executions", flush=True)
        time.sleep(5)
    return int(api.search(every, size=1).get("totalHits") or 0)


def main() -> None:
    settings = load_settings()
    layout = Layout.of_project()
    ports = stack.Ports(
        settings.local_conductor_port, settings.local_worker_port, settings.dashboard_port
    )
    configured = settings.dashboard_token
    token = configured.get_secret_value() if configured else None
    progress = lambda line: print(f"    {line}", flush=True)  # noqa: E731
    with stack.started_for(ports, progress=progress, dashboard_token=token) as urls:
        api = ConductorApi(settings.connection())
        _register_project(api, settings)
        names = BuildDir(layout.build_dir).workflow_names()
        assert urls.worker is not None, "this repository's worker, from its pyproject.toml"
        total = _fill(api, names, urls.worker)
        assert urls.dashboard is not None
        searches = queries(Filters(), names, int(time.time() * 1000))
        search_urls = [
            f"{settings.conductor_url}/api/workflow/search?"
            + urllib.parse.urlencode(
                {
                    "start": 0,
                    "size": s.size,
                    "sort": "startTime:DESC",
                    "freeText": s.free_text,
                    "query": s.query,
                }
            )
            for s in searches
        ]
        page = f"{urls.dashboard}/"
        shown = json.loads(_get(f"{urls.dashboard}/live/"))["html"].count("<tr ")

        def raw() -> None:
            for url in search_urls:
                _get(url)

        raw_ms = _median_ms(raw, ROUNDS)
        # A pause longer than the cache's second: each round asks the server again.
        cold_ms = _median_ms(lambda: _get(page), ROUNDS, pause=1.1)
        warm_ms = _median_ms(lambda: _get(page), ROUNDS)

    print(f"  executions of the project's workflows on the server: {total}")
    print(f"  deployments page: {shown} rows (running first, then the 50 most recent)")
    print(f"  {len(search_urls)} raw Conductor searches the page makes: {raw_ms:7.1f} ms (median)")
    print(f"  deployments page, cold (cache expired):     {cold_ms:7.1f} ms (median)")
    print(f"  deployments page, within the cache's second: {warm_ms:6.1f} ms (median)")
    print(f"  cold page / raw searches: {cold_ms / raw_ms:.2f}x")
    report.record("executions on the server", total, "count")
    report.record("raw searches", raw_ms, "ms")
    met = report.at_most("deployments page, cold", cold_ms, "ms", PAGE_TARGET_MS)
    report.record("deployments page, cached", warm_ms, "ms")
    report.record("cold page / raw searches", cold_ms / raw_ms, "x")
    print(f"  target: cold page <= {PAGE_TARGET_MS:g} ms: {'met' if met else 'NOT met'}")

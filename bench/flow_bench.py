"""Flow tests (deploy_dsl.testing: the real engine, mocked steps) beside the same scenarios run
end to end through the worker.

(a) The flow-test module (`pytest -m flow tests/flows`), RUNS times, each run its own process:
    the median seconds per flow test (junit times) and the module's total, and whether every
    run gave the same results (`--flow-results`: what each test's runs did, ids normalised).
    `python -m bench.flow_bench --runs 20` is the determinism check the issue asks for.
(b) The scenarios the worker can produce on demand, end to end on the registered definitions
    (start to terminal, 50 ms polls, median of E2E_RUNS), beside the flow test of the same
    scenario (its median junit time over the runs of (a)). Scenarios only a mock can produce
    are listed with the least time they would take end to end (their TaskDef delays).

Uses the running local stack at the settings' URLs, or starts it and stops what it started.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import report
from bench.server_bench import _register_project, local_stack
from bench.timing import ratio
from definitions.deploy_simple import deploy_simple_v1
from definitions.pipeline_simple import pipeline_simple_v1
from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.settings import load_settings
from deploy_dsl.client.timeline import TERMINAL_STATUSES
from deploy_dsl.local.stack import healthy
from tests.flows import test_deploy_flow as deploy_tests
from tests.flows import test_pipeline_flow as pipeline_tests

__all__ = ["conductor_up", "main", "node"]

RUNS = 3
E2E_RUNS = 3
TARGET_PER_TEST_S = 0.5
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Scenario:
    label: str
    test: str  # the flow test's node id under tests/flows/
    workflow: str
    version: int
    expected: str  # the end-to-end run's final status
    waves: tuple[tuple[str, ...], ...] = ()  # scopes; a `bad-` scope rolls back (worker rule)
    halt: bool = True


DEPLOY = (deploy_simple_v1.name, deploy_simple_v1.version)
PIPELINE = (pipeline_simple_v1.name, pipeline_simple_v1.version)


def node(test: Callable[..., object]) -> str:
    """A flow test's node id under tests/flows/, from the function itself: a renamed test is an
    import error here (and a mypy error), never a KeyError after minutes of measuring."""
    return f"{test.__module__.rsplit('.', 1)[-1]}.py::{test.__name__}"


PAIRED = (
    Scenario(
        "deploy finalizes",
        node(deploy_tests.test_a_healthy_deploy_finalizes_and_finalize_sees_its_ids),
        *DEPLOY,
        "COMPLETED",
        (("svc",),),
    ),
    Scenario(
        "deploy rolls back",
        node(deploy_tests.test_a_failed_check_rolls_back),
        *DEPLOY,
        "COMPLETED",
        (("bad",),),
    ),
    Scenario(
        "pipeline, 1 wave of 2",
        node(pipeline_tests.test_one_wave_deploys_its_services_in_parallel),
        *PIPELINE,
        "COMPLETED",
        (("svc", "svc"),),
    ),
    Scenario(
        "pipeline, 3 waves",
        node(pipeline_tests.test_three_waves_run_in_order),
        *PIPELINE,
        "COMPLETED",
        (("svc",), ("svc", "svc"), ("svc",)),
    ),
    Scenario(
        "pipeline, wave 2 rolls back, halting",
        node(pipeline_tests.test_a_rollback_in_wave_two_halts_the_pipeline_naming_the_services),
        *PIPELINE,
        "FAILED",
        (("svc",), ("svc", "bad", "bad"), ("svc",)),
    ),
    Scenario(
        "pipeline, wave 2 rolls back, not halting",
        node(pipeline_tests.test_a_rollback_in_wave_two_without_halting_runs_every_wave),
        *PIPELINE,
        "COMPLETED",
        (("svc",), ("svc", "bad"), ("svc",)),
        halt=False,
    ),
)


def _only_mocked() -> list[tuple[str, str, str]]:
    """(label, flow test, the least end-to-end time and why), from the TaskDefs."""
    from definitions.taskdefs import PROVISIONING_WAIT, STEP_TASKDEFS

    (swap,) = [t for t in STEP_TASKDEFS if t.name == "swap_traffic"]
    assert swap.retry is not None and PROVISIONING_WAIT.timeout_seconds is not None
    count, delay = swap.retry.count or 0, swap.retry.delay_seconds or 0
    retries = f">= {count * delay} s ({count} retries, {delay} s apart)"
    timeout = f">= {PROVISIONING_WAIT.timeout_seconds} s (the TaskDef's timeout)"
    return [
        (
            "a step failing within its retry count",
            node(deploy_tests.test_a_step_failing_within_its_retry_count_still_completes),
            retries,
        ),
        (
            "a step failing beyond its retry count",
            node(deploy_tests.test_a_step_failing_beyond_its_retry_count_fails_the_deploy),
            retries,
        ),
        (
            "provisioning never ready",
            node(
                deploy_tests.test_provisioning_that_never_becomes_ready_fails_the_deploy_per_its_taskdef
            ),
            timeout,
        ),
        (
            "a status neither success nor failure",
            node(deploy_tests.test_a_status_neither_success_nor_failure_rolls_back),
            "the worker never answers one",
        ),
    ]


# --- (a) the flow-test module ----------------------------------------------------------------


@dataclass(frozen=True)
class ModuleRun:
    seconds: dict[str, float]  # flow test node id (under tests/flows/) -> junit time
    results: str  # the --flow-results file's text
    outcome: str  # pytest's summary line
    failed: tuple[str, ...]  # the node ids of failed tests


def _module_run(scratch: Path, number: int) -> ModuleRun:
    junit, results = scratch / f"junit-{number}.xml", scratch / f"results-{number}.json"
    command = [sys.executable, "-m", "pytest", "tests/flows", "-m", "flow", "-q"]
    command += ["-p", "no:cacheprovider", f"--junitxml={junit}", f"--flow-results={results}"]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    failed = [line.split()[1] for line in lines if line.startswith(("FAILED ", "ERROR "))]
    if done.returncode != 0 and not failed:
        raise SystemExit(f"the flow tests did not run (run {number}):\n{done.stdout[-3000:]}")
    seconds = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        module = str(case.get("classname", "")).rsplit(".", 1)[-1]
        seconds[f"{module}.py::{case.get('name')}"] = float(case.get("time", 0))
    outcome = lines[-1] if lines else ""
    return ModuleRun(seconds, results.read_text(encoding="utf-8"), outcome, tuple(failed))


def _flow_tests(runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as folder:
        done = []
        for number in range(runs):
            started = time.perf_counter()
            done.append(_module_run(Path(folder), number))
            wall = time.perf_counter() - started
            print(
                f"    run {number + 1}/{runs}: {done[-1].outcome} ({wall:.1f} s wall)", flush=True
            )
    per_test: dict[str, list[float]] = defaultdict(list)
    for run in done:
        for test, seconds in run.seconds.items():
            per_test[test].append(seconds)
    medians = {test: statistics.median(times) for test, times in per_test.items()}
    per_test_median = statistics.median(medians.values())
    total = statistics.median(sum(run.seconds.values()) for run in done)
    met = report.at_most("flow test, median per test", per_test_median, "s", TARGET_PER_TEST_S)
    verdict = "met" if met else "MISSED"
    print(
        f"    {len(medians)} flow tests: median {per_test_median:.2f} s per test (target < "
        f"{TARGET_PER_TEST_S} s: {verdict}); total {total:.1f} s per run (median)"
    )
    slowest = sorted(medians.items(), key=lambda item: -item[1])[:3]
    shown = ", ".join(f"{test.split('::')[1]} {seconds:.2f} s" for test, seconds in slowest)
    print(f"    slowest: {shown}")
    passed = sum(1 for run in done if not run.failed)
    distinct = {run.results for run in done}
    # Issue 29: the same flows give the same results, run after run (20 runs: --runs 20).
    report.at_most(f"distinct result sets in {runs} runs", len(distinct), "sets", 1)
    print(
        f"    {passed} of {runs} runs passed; {len(distinct)} distinct result set(s) in {runs} "
        "runs (what each test's runs did, ids normalised)"
    )
    for run in done:
        for test in run.failed:
            print(f"      failed: {test}")
    if len(distinct) > 1:
        _show_difference([json.loads(run.results) for run in done])
    return medians


def _show_difference(results: list[dict[str, Any]]) -> None:
    first = results[0]
    for number, other in enumerate(results[1:], start=2):
        for test in sorted(set(first) | set(other)):
            if first.get(test) != other.get(test):
                where, mine, theirs = _first_difference(first.get(test), other.get(test), "")
                print(f"      run 1 and run {number} differ in {test}, at {where}:")
                print(f"        {json.dumps(mine)[:160]}")
                print(f"        {json.dumps(theirs)[:160]}")
                break


def _first_difference(a: Any, b: Any, path: str) -> tuple[str, Any, Any]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                label = x.get("ref", index) if isinstance(x, dict) else index
                return _first_difference(x, y, f"{path}[{label}]")
    return path or "(top)", a, b


# --- (b) end to end --------------------------------------------------------------------------


def _e2e_input(scenario: Scenario) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]

    def service(kind: str, w: int, s: int) -> dict[str, str]:
        return {"scope": f"{kind}-bench-{tag}-{w}-{s}", "version": "1.0.0", "env": "bench"}

    if scenario.workflow == deploy_simple_v1.name:
        return service(scenario.waves[0][0], 0, 0)
    waves = [
        {"services": [service(kind, w, s) for s, kind in enumerate(wave)]}
        for w, wave in enumerate(scenario.waves)
    ]
    return {"waves": waves, "halt_on_rollback": scenario.halt}


def _e2e_seconds(api: ConductorApi, scenario: Scenario) -> float:
    started = time.perf_counter()
    workflow_id = api.start(scenario.workflow, scenario.version, _e2e_input(scenario))
    while True:
        execution = api.execution(workflow_id)
        if execution.get("status") in TERMINAL_STATUSES:
            break
        if time.perf_counter() - started > 300:
            raise SystemExit(f"{scenario.label}: {workflow_id} not finished after 300 s")
        time.sleep(0.05)
    if execution["status"] != scenario.expected:
        raise SystemExit(
            f"{scenario.label}: {workflow_id} ended {execution['status']}, "
            f"expected {scenario.expected}"
        )
    return time.perf_counter() - started


def _side_by_side(flow: dict[str, float]) -> None:
    with local_stack() as stack:
        api = ConductorApi(stack.settings.connection())
        _register_project(api, stack.settings)
        print(
            f"(b) the same scenarios end to end through the worker ({stack.worker_url}), "
            f"median of {E2E_RUNS}"
        )
        print(f"    {'scenario':<44}{'flow test':>10}{'end to end':>12}")
        totals = [0.0, 0.0]
        for scenario in PAIRED:
            e2e = statistics.median(_e2e_seconds(api, scenario) for _ in range(E2E_RUNS))
            mocked = flow.get(scenario.test, float("nan"))
            totals[0] += mocked
            totals[1] += e2e
            print(f"    {scenario.label:<44}{mocked:>8.2f} s{e2e:>10.2f} s  {ratio(e2e, mocked)}")
        flows, e2e = totals
        print(f"    {'total':<44}{flows:>8.2f} s{e2e:>10.2f} s  {ratio(e2e, flows)}")
    print("    only as flow tests (the worker cannot produce them on demand); end to end at least:")
    for label, test, least in _only_mocked():
        print(f"    {label:<44}{flow.get(test, float('nan')):>8.2f} s   {least}")


@contextlib.contextmanager
def conductor_up() -> Iterator[None]:
    """The flow tests' server as it is (they need no worker), or the local stack started once
    for every run when it does not answer."""
    if healthy(load_settings().conductor_url):
        yield
        return
    with local_stack():
        yield


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.flow_bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of the flow-test module")
    parser.add_argument("--no-e2e", action="store_true", help="only (a)")
    options = parser.parse_args([] if argv is None else argv)
    with conductor_up():
        print(f"(a) the flow tests, `pytest -m flow tests/flows` run {options.runs} times")
        flow = _flow_tests(options.runs)
    if not options.no_e2e:
        _side_by_side(flow)


if __name__ == "__main__":
    main(sys.argv[1:])

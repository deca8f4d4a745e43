"""The inner loop: how long pytest takes to start with the plugin, and one flow test run from a
cold `pytest -k` with the server up (each a new process, as a user types them).

(a) pytest starting with the deploy-dsl plugin, on a one-test file in a scratch directory, with
    this project's pytest options: beside pytest with no plugin at all (the floor), pytest with
    only the deploy-dsl plugin, and pytest with every installed plugin, conductor-python's
    agents plugin included (which pyproject.toml switches off: `-p no:conductor-agents-testing`).
(b) One flow test from the command line, `pytest -k NAME`: over tests/flows, and over the whole
    suite (every test module imported to find the one). The test's own time (junit) beside it:
    the rest is starting Python, collecting, and the plugin's connection to the server.

Each command ROUNDS times, the commands in turn (load hits them alike); medians of wall and
CPU time. Uses the running local server, or starts it (and stops what it started).
"""

from __future__ import annotations

import os
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from bench import report
from bench.flow_bench import conductor_up, node
from bench.timing import ProcessTime, interleaved_process_times
from tests.flows import test_deploy_flow

__all__ = ["main"]

ROUNDS = 5
TARGET_START_S = 1.5
TARGET_ONE_TEST_S = 3.0
REPO_ROOT = Path(__file__).resolve().parent.parent
FLOW_TEST = test_deploy_flow.test_a_failed_check_rolls_back
# As pyproject.toml configures pytest for this project.
PROJECT_OPTIONS = ("-p", "no:conductor-agents-testing")


def _pytest(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments]


def _environment(**changes: str) -> dict[str, str]:
    # As a user runs pytest: with bytecode cached (the first round writes it).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **changes}


def _show(times: dict[str, ProcessTime]) -> None:
    for name, measured in times.items():
        print(f"    {name:34s} {measured.wall:6.2f} s wall  {measured.cpu:6.2f} s cpu")


def _start() -> None:
    only_named = _environment(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    commands = {
        "pytest, no plugin": _pytest("test_start.py"),
        "pytest, only the deploy-dsl plugin": _pytest(
            "-p", "deploy_dsl.testing.plugin", "test_start.py"
        ),
        "as this project runs pytest": _pytest(*PROJECT_OPTIONS, "test_start.py"),
        "every installed plugin": _pytest("test_start.py"),
    }
    envs = {"pytest, no plugin": only_named, "pytest, only the deploy-dsl plugin": only_named}
    with tempfile.TemporaryDirectory(prefix="loop-bench-") as folder:
        (Path(folder) / "test_start.py").write_text("def test_nothing():\n    pass\n", "utf-8")
        times = interleaved_process_times(commands, ROUNDS, folder, _environment(), envs)
    print(f"(a) pytest start on a one-test file (median of {ROUNDS}; {report.load()})")
    _show(times)
    ours = times["as this project runs pytest"]
    met = report.at_most("pytest start with the plugin, wall", ours.wall, "s", TARGET_START_S)
    report.record("pytest start with the plugin, cpu", ours.cpu, "s")
    report.record("pytest start, no plugin, cpu", times["pytest, no plugin"].cpu, "s")
    report.record("pytest start, every plugin, cpu", times["every installed plugin"].cpu, "s")
    print(f"    target <= {TARGET_START_S:g} s wall: {'met' if met else 'MISSED'}")


def _one_test() -> None:
    name = FLOW_TEST.__name__
    with tempfile.TemporaryDirectory(prefix="loop-bench-") as folder:
        junit = Path(folder) / "junit.xml"
        commands = {
            "pytest tests/flows -k NAME": _pytest(f"--junitxml={junit}", "tests/flows", "-k", name),
            "pytest -k NAME (whole suite)": _pytest("-k", name),
        }
        times = interleaved_process_times(commands, ROUNDS, str(REPO_ROOT), _environment())
        (case,) = ElementTree.parse(junit).getroot().iter("testcase")
        own = float(case.get("time", 0))
    print(f"(b) one flow test, {node(FLOW_TEST)}, from a cold pytest (median of {ROUNDS})")
    _show(times)
    print(f"    the test itself (junit, last round): {own:.2f} s; {report.load()}")
    verdicts = []
    for label, key in (
        ("one flow test, cold pytest tests/flows -k", "pytest tests/flows -k NAME"),
        ("one flow test, cold pytest -k (whole suite)", "pytest -k NAME (whole suite)"),
    ):
        met = report.at_most(label, times[key].wall, "s", TARGET_ONE_TEST_S)
        report.record(f"{label}, cpu", times[key].cpu, "s")
        verdicts.append(f"{key.split(' (')[0]}: {'met' if met else 'MISSED'}")
    report.record("one flow test, the test itself", own, "s")
    print(f"    target <= {TARGET_ONE_TEST_S:g} s wall: {'; '.join(verdicts)}")


def main() -> None:
    _start()
    with conductor_up():
        _one_test()


if __name__ == "__main__":
    main()

"""rollout_v1 on the real server and worker: bounded parallelism, failure thresholds, the canary,
rolling back what was finalized, and approval gates decided through the CLI.

Times come from the worker's history
(GET /deployments/<id>/history), the clock of the calls themselves; the assertions compare
them, never their absolute values. Scopes starting with `svc-` finalize, others roll back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from definitions.rollout import rollout_v1
from deploy_dsl.client.approvals import gates_in
from deploy_dsl.client.tree import ExecutionNode, load_tree
from tests.docs.mermaid_check import parse_with_node, render_in_chromium
from tests.e2e.support import (
    REPO_ROOT,
    CliResult,
    Conductor,
    Stack,
    WorkerClient,
    at,
    progress,
    run_cli,
    started_id,
    wait_until,
)

pytestmark = pytest.mark.e2e

ROLLOUT = "rollout_v1"
ROLLBACK_STEP = "restore_previous_traffic"
FINALIZE_STEP = "cleanup_old_resources"
# What the gantt chart draws of a deploy that finalized: its worker steps and its finalize.
DEPLOY_BARS = ("create_infrastructure", "wait_infrastructure_created", "swap_traffic",
               "effective_status", "finalize", "finalize_deployment")  # fmt: skip
FINALIZE_BARS = ("cleanup_old_resources", "update_monitoring", "notify_success")


def service(scope: str) -> dict[str, str]:
    return {"scope": scope, "version": "2.0.0", "env": "e2e"}


def wave(*scopes: str, **controls: Any) -> dict[str, Any]:
    return {"services": [service(s) for s in scopes], **controls}


@dataclass(frozen=True)
class Span:
    """One deploy as the worker saw it: its first and last call."""

    scope: str
    deployment_id: str
    start: float
    end: float
    steps: tuple[str, ...]
    first: str  # the worker's timestamps of those calls
    last: str


@dataclass(frozen=True)
class Rollout:
    workflow_id: str
    execution: dict[str, Any]
    tree: ExecutionNode

    @property
    def status(self) -> str:
        return str(self.execution["status"])

    @property
    def reason(self) -> str:
        return str(self.execution.get("reasonForIncompletion") or "")

    def deploys(self, number: int) -> dict[str, str]:
        """Wave `number`'s deploys: scope -> deploymentId (the deploy's workflow id)."""
        waves = [child for _, child in self.tree.children]
        found = {}
        for task, deploy in waves[number - 1].children:
            scope = task["inputData"]["workflowInput"]["scope"]
            found[scope] = deploy.workflow_id
        return found

    def summary(self, number: int) -> dict[str, Any]:
        summary: dict[str, Any] = self.execution["output"]["waves"][number - 1]
        return summary


def spans(worker: WorkerClient, deploys: Mapping[str, str]) -> list[Span]:
    found = []
    for scope, deployment_id in deploys.items():
        entries = worker.history(deployment_id)
        assert entries, f"the worker saw no call of {scope}'s deploy {deployment_id}"
        times = [at(e) for e in entries]
        steps = tuple(str(e["step"]) for e in entries)
        first, last = entries[times.index(min(times))], entries[times.index(max(times))]
        found.append(
            Span(
                scope,
                deployment_id,
                min(times),
                max(times),
                steps,
                str(first["timestamp"]),
                str(last["timestamp"]),
            )
        )
    return sorted(found, key=lambda s: s.start)


def most_at_once(found: list[Span]) -> int:
    """The largest number of deploys whose [first call, last call] spans overlap."""
    events = sorted([(s.start, 1) for s in found] + [(s.end, -1) for s in found])
    running = peak = 0
    for _, step in events:  # an end sorts before a start at the same instant
        running += step
        peak = max(peak, running)
    return peak


def timeline(found: list[Span], origin: float | None = None) -> str:
    """One line per deploy: its first and last call, as the worker stamped them, and the same
    in seconds from `origin` (the first call shown, by default)."""
    zero = min(s.start for s in found) if origin is None else origin
    return "\n".join(
        f"  {s.scope:24s} {s.first} .. {s.last}  (+{s.start - zero:6.2f}s .. +{s.end - zero:6.2f}s)"
        for s in found
    )


def start(inputs: Mapping[str, Any]) -> str:
    result = run_cli("run", ROLLOUT, "--input", "-", stdin=json.dumps(inputs))
    assert result.returncode == 0, str(result)
    return started_id(result, ROLLOUT)


def finished(conductor: Conductor, workflow_id: str, timeout: float = 300) -> Rollout:
    execution = conductor.finished(workflow_id, timeout=timeout)
    return Rollout(workflow_id, execution, load_tree(conductor.execution, workflow_id))


# -- the scenarios nobody has to decide -------------------------------------------------------


def scenarios(unique: str) -> dict[str, dict[str, Any]]:
    def s(name: str) -> str:
        return f"{name}-{unique}"

    return {
        "max_parallel": {
            "waves": [
                wave(s("svc-mp1a"), s("svc-mp1b"), s("svc-mp1c"), max_parallel=2),
                wave(s("svc-mp2a"), s("svc-mp2b"), s("svc-mp2c"), max_parallel=2),
                wave(s("svc-mp3a"), s("svc-mp3b"), s("svc-mp3c"), max_parallel=2),
            ]
        },
        "tolerated": {
            "waves": [
                wave(s("svc-tol1"), s("bad-tol2"), s("svc-tol3"), max_failures=1),
                wave(s("svc-tol4")),
            ]
        },
        "exceeded": {
            "waves": [
                wave(
                    s("bad-exc1"),
                    s("bad-exc2"),
                    s("svc-exc3"),
                    s("svc-exc4"),
                    max_parallel=2,
                    max_failures="25%",
                ),
                wave(s("svc-exc5")),
            ]
        },
        "canary": {
            "canary": True,
            "waves": [wave(s("svc-can1"), s("svc-can2"), s("svc-can3")), wave(s("svc-can4"))],
        },
        "canary_fails": {
            "canary": True,
            "waves": [wave(s("bad-cf1"), s("svc-cf2"), s("svc-cf3"), max_failures=2)],
        },
        "rollback_completed": {
            "rollback_completed": True,
            "waves": [wave(s("svc-rb1"), s("svc-rb2")), wave(s("bad-rb3"), s("svc-rb4"))],
        },
        "approval_times_out": {
            "waves": [wave(s("svc-to1"), approval={"timeout": "2s"})],
        },
    }


class Scenarios:
    """Each scenario run once, when a test first asks for it, one after another. Started all
    at once they finish in about half the time (7 rollouts: 34 s against about 60 s), but on
    the local SQLite server a dozen deploys at once once failed one with SQLITE_BUSY ("Error
    scheduling tasks", before the single JDBC connection of local/conductor.py): a test of
    the rollout should not depend on how much load the server takes."""

    def __init__(self, conductor: Conductor) -> None:
        self.unique = uuid.uuid4().hex[:8]  # the suffix of every scope
        self.inputs = scenarios(self.unique)
        self.conductor = conductor
        self.runs: dict[str, Rollout] = {}

    def __getitem__(self, name: str) -> Rollout:
        if name not in self.runs:
            self.runs[name] = finished(self.conductor, start(self.inputs[name]))
        return self.runs[name]


@pytest.fixture(scope="module")
def rollouts(registered: CliResult, conductor: Conductor) -> Scenarios:
    return Scenarios(conductor)


def test_max_parallel_bounds_the_deploys_that_overlap(
    rollouts: Scenarios, worker: WorkerClient
) -> None:
    rollout = rollouts["max_parallel"]
    assert rollout.status == "COMPLETED", rollout.reason
    waves = {number: spans(worker, rollout.deploys(number)) for number in (1, 2, 3)}
    origin = min(s.start for found in waves.values() for s in found)
    shown = "\n".join(f"wave {n}:\n{timeline(found, origin)}" for n, found in waves.items())
    progress(f"rollout_v1 {rollout.workflow_id}, max_parallel 2 (worker history):\n{shown}")
    previous_end = 0.0
    for number, found in waves.items():
        assert len(found) == 3
        assert most_at_once(found) == 2, shown
        # The first batch of two ran side by side; the third deploy after both had ended.
        first, second, third = found
        assert second.start < first.end, shown
        assert third.start > max(first.end, second.end), shown
        # And the waves one after another.
        assert first.start > previous_end, shown
        previous_end = max(s.end for s in found)
        summary = rollout.summary(number)
        assert summary["batches"] == 2
        assert sorted(d["scope"] for d in summary["finalized"]) == sorted(s.scope for s in found)


def test_the_gantt_chart_of_a_rollout_parses_and_shows_every_deploy(
    rollouts: Scenarios, tmp_path: Path
) -> None:
    rollout = rollouts["max_parallel"]
    result = run_cli("status", rollout.workflow_id, "--gantt")
    assert result.returncode == 0, str(result)
    chart = result.stdout
    assert parse_with_node({"rollout": chart})["rollout"] == {"ok": True, "type": "gantt"}
    drawn = render_in_chromium({"rollout": chart}, tmp_path)["rollout"]
    assert drawn["ok"], drawn
    bars: dict[str, list[str]] = {}
    for line in chart.splitlines()[5:]:
        if line.startswith("  section "):
            section = bars.setdefault(line.removeprefix("  section "), [])
        else:
            assert ":done, t" in line, line  # every step of this rollout finished
            section.append(line.strip().split(" :", 1)[0])
    assert bars[ROLLOUT] == ["wave 1", "wave 2", "wave 3"]
    for number in (1, 2, 3):
        deploys = rollout.deploys(number)
        assert sorted(bars[f"wave {number}"]) == sorted(deploys)
        for scope in deploys:
            assert set(bars[f"wave {number} / {scope}"]) == {*DEPLOY_BARS}
            assert set(bars[f"wave {number} / {scope} / finalize"]) == {*FINALIZE_BARS}


def test_max_failures_tolerated_lets_the_rollout_go_on(
    rollouts: Scenarios, worker: WorkerClient
) -> None:
    rollout = rollouts["tolerated"]
    assert rollout.status == "COMPLETED", rollout.reason
    first = rollout.summary(1)
    (bad,) = first["rolledBack"]
    assert bad.startswith("bad-tol2")
    assert first["reasons"][bad] == "the health check failed; rolled back"
    assert first["halt"] is False
    assert len(first["finalized"]) == 2
    (later,) = rollout.deploys(2)
    assert later.startswith("svc-tol4")
    assert worker.history(rollout.deploys(2)[later])


def test_max_failures_exceeded_halts_after_the_batch(
    rollouts: Scenarios, worker: WorkerClient
) -> None:
    rollout, unique = rollouts["exceeded"], rollouts.unique
    assert rollout.status == "FAILED"
    # Two of four rolled back in the first batch of two; 25% of 4 tolerates one.
    assert rollout.reason == (
        f"wave 1 halted, 2 of 4 failed, more than max_failures 25% tolerates (1): "
        f"bad-exc1-{unique}, bad-exc2-{unique} rolled back; "
        f"svc-exc3-{unique}, svc-exc4-{unique} not started"
    )
    assert sorted(rollout.deploys(1)) == [f"bad-exc1-{unique}", f"bad-exc2-{unique}"]
    for never in ("svc-exc3", "svc-exc4", "svc-exc5"):
        assert worker.scope_history(f"{never}-{unique}") == [], never
    assert len(rollout.execution["output"]["waves"]) == 1


def test_the_canary_completes_before_the_rest_of_its_wave_starts(
    rollouts: Scenarios, worker: WorkerClient
) -> None:
    rollout = rollouts["canary"]
    assert rollout.status == "COMPLETED", rollout.reason
    found = spans(worker, rollout.deploys(1))
    canary, *rest = found
    assert canary.scope.startswith("svc-can1"), timeline(found)
    assert canary.steps[-1] == "finalize_deployment"
    assert all(other.start > canary.end for other in rest), timeline(found)
    # After the canary, the rest of the wave at once (no max_parallel): they overlap.
    assert rest[1].start < rest[0].end, timeline(found)
    assert rollout.summary(1)["batches"] == 2
    # Only the first wave has a canary.
    assert rollout.summary(2)["batches"] == 1


def test_a_canary_that_rolls_back_halts_the_wave_whatever_max_failures_says(
    rollouts: Scenarios, worker: WorkerClient
) -> None:
    rollout, unique = rollouts["canary_fails"], rollouts.unique
    assert rollout.status == "FAILED"
    assert rollout.reason == (
        f"wave 1 halted, the canary failed: bad-cf1-{unique} rolled back; "
        f"svc-cf2-{unique}, svc-cf3-{unique} not started"
    )
    assert list(rollout.deploys(1)) == [f"bad-cf1-{unique}"]
    for never in ("svc-cf2", "svc-cf3"):
        assert worker.scope_history(f"{never}-{unique}") == [], never


def test_rollback_completed_rolls_back_what_the_rollout_finalized(
    rollouts: Scenarios, worker: WorkerClient
) -> None:
    rollout = rollouts["rollback_completed"]
    assert rollout.status == "FAILED"
    finalized = {**rollout.deploys(1), **rollout.deploys(2)}
    good = sorted(scope for scope in finalized if scope.startswith("svc-"))
    assert len(good) == 3
    assert rollout.reason.startswith("wave 2 halted, 1 of 2 failed")
    assert rollout.reason.endswith(
        f"; rolling back the deploys it had finalized: {', '.join(good)}"
    )
    for scope in good:
        steps = [e["step"] for e in worker.history(finalized[scope])]
        # Finalized first, then rolled back by rollback_deployment_v1 after the halt.
        assert FINALIZE_STEP in steps and ROLLBACK_STEP in steps, (scope, steps)
        assert steps.index(ROLLBACK_STEP) > steps.index(FINALIZE_STEP)
    # The deploy that halted the wave rolled back by itself; nothing else touched it.
    (bad,) = (scope for scope in finalized if scope.startswith("bad-"))
    assert [e["step"] for e in worker.history(finalized[bad])].count(ROLLBACK_STEP) == 1
    rolled = rollout.execution["output"]["rolledBack"]
    assert sorted(d["scope"] for d in rolled) == good


def test_an_approval_timeout_counts_as_a_rejection(
    rollouts: Scenarios, worker: WorkerClient
) -> None:
    rollout = rollouts["approval_times_out"]
    assert rollout.status == "FAILED"
    summary = rollout.summary(1)
    scope = summary["notStarted"][0]["scope"]
    assert rollout.reason == (
        f"wave 1 not approved (approval timed out after 2s): {scope} not deployed"
    )
    assert summary["approval"]["timedOut"] is True
    assert worker.scope_history(scope) == []


def test_a_deploy_that_fails_counts_against_max_failures_and_fails_nothing_else(
    registered: CliResult, conductor: Conductor, worker: WorkerClient, stack: Stack, unique: str
) -> None:
    """A deploy that runs out of retries FAILS (not a rollback): the fork is optional, so the
    JOIN and the wave go on and the tally counts it (ForkJoinDynamicTaskMapper copies the
    fork's `optional` to each forked task)."""
    doomed, fine, later = f"svc-fd1-{unique}", f"svc-fd2-{unique}", f"svc-fd3-{unique}"
    scope_faults = f"{stack.worker_url}/faults/{urllib.parse.quote(doomed, safe='')}"
    _send("PUT", f"{scope_faults}/create_infrastructure", {"fail": 1000})
    try:
        rollout = finished(
            conductor,
            start({"waves": [wave(doomed, fine, max_failures=1), wave(later)]}),
        )
    finally:
        _send("DELETE", scope_faults)
    assert rollout.status == "COMPLETED", rollout.reason
    first = rollout.summary(1)
    assert first["rolledBack"] == [doomed]
    assert first["reasons"] == {doomed: "the deploy failed before traffic moved"}
    assert [d["scope"] for d in first["finalized"]] == [fine]
    ((task, deploy),) = [
        (task, child)
        for task, child in rollout.tree.children[0][1].children
        if child.label == doomed
    ]
    # An optional task that failed: COMPLETED_WITH_ERRORS, its deploy FAILED.
    assert (task["status"], deploy.execution["status"]) == ("COMPLETED_WITH_ERRORS", "FAILED")
    assert worker.scope_history(later)


def _send(method: str, url: str, body: Mapping[str, Any] | None = None) -> None:
    """A test control on the worker (PUT/DELETE /faults/<scope>): loopback, no proxy."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10):
        pass


# -- gates a person decides, through the CLI ----------------------------------------------------


def gate_waits(conductor: Conductor, workflow_id: str) -> Any:
    tree = load_tree(conductor.execution, workflow_id, running_only=True)
    return gates_in(tree) or None


@pytest.fixture
def followed(registered: CliResult) -> Iterator[list[subprocess.Popen[str]]]:
    """`run --wait` processes a test starts; stopped if the test leaves them running."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_gate_approved_through_the_cli_lets_the_wave_deploy(
    conductor: Conductor,
    worker: WorkerClient,
    unique: str,
    followed: list[subprocess.Popen[str]],
    tmp_path: Path,
) -> None:
    inputs = {
        "waves": [
            wave(f"svc-ap1-{unique}"),
            {**wave(f"svc-ap2-{unique}"), "name": "prod", "approval": {}},
        ]
    }
    given = tmp_path / "rollout.json"
    given.write_text(json.dumps(inputs), encoding="utf-8")
    run = subprocess.Popen(
        [sys.executable, "-m", "deploy_dsl", "run", ROLLOUT, "--input", str(given), "--wait"],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    followed.append(run)
    assert run.stdout is not None
    first = run.stdout.readline()
    assert first.startswith(f"started {ROLLOUT} v{rollout_v1.version}: "), first
    workflow_id = first.split()[-1]
    (gate,) = wait_until(
        lambda: gate_waits(conductor, workflow_id), timeout=120, what="the gate of wave 2"
    )
    assert gate.title == "wave 2 (prod)"
    # Wave 1 has deployed; wave 2 waits for the person.
    assert worker.scope_history(f"svc-ap1-{unique}")
    assert worker.scope_history(f"svc-ap2-{unique}") == []

    status = run_cli("status", workflow_id)
    assert status.returncode == 2, str(status)  # still running
    assert "waiting for approval: wave 2 (prod) (for " in status.stdout
    assert f"  approve: deploy-dsl approve {workflow_id}\n" in status.stdout
    assert f"  reject:  deploy-dsl reject {workflow_id} --reason TEXT\n" in status.stdout

    # A gate is named by its wave: a wave that is not waiting lists those that are.
    wrong = run_cli("approve", workflow_id, "--gate", "staging")
    assert wrong.returncode == 1, str(wrong)
    assert wrong.stderr.startswith(
        f"Error: no approval gate named 'staging' is waiting in {ROLLOUT} {workflow_id}; "
        "waiting: approve_wave (wave 2 (prod)) in rollout_wave_v1 "
    ), str(wrong)
    decided_at = time.time()
    approve = run_cli(
        "approve", workflow_id, "--gate", "prod", "--by", "e2e", "--reason", "checked"
    )
    assert approve.returncode == 0, str(approve)
    assert approve.stdout.startswith("approved wave 2 (prod) as e2e (gate approve_wave in ")

    out, err = run.communicate(timeout=180)
    assert run.returncode == 0, f"{out}\n{err}"
    # `run --wait` showed the gate, and how to decide it, while it waited.
    assert "waiting for approval: wave 2 (prod)" in out
    assert f"  approve: deploy-dsl approve {workflow_id}\n" in out
    execution = conductor.execution(workflow_id)
    verdict = execution["output"]["waves"][1]["approval"]
    assert verdict == {
        "approved": True,
        "timedOut": False,
        "by": "e2e",
        "reason": "checked",
        "message": "approved by e2e: checked",
    }
    calls = worker.scope_history(f"svc-ap2-{unique}")
    assert calls and min(at(c) for c in calls) >= decided_at - 1  # the worker's clock, same host


def test_a_gate_rejected_through_the_cli_halts_with_the_reason(
    registered: CliResult, conductor: Conductor, worker: WorkerClient, unique: str
) -> None:
    scopes = [f"svc-rj1-{unique}", f"svc-rj2-{unique}"]
    workflow_id = start({"waves": [{**wave(*scopes), "approval": {"timeout": "10m"}}]})
    wait_until(lambda: gate_waits(conductor, workflow_id), timeout=120, what="the gate")
    reject = run_cli("reject", workflow_id, "--by", "e2e", "--reason", "change freeze")
    assert reject.returncode == 0, str(reject)
    rollout = finished(conductor, workflow_id)
    assert rollout.status == "FAILED"
    assert rollout.reason == (
        f"wave 1 not approved (rejected by e2e: change freeze): {', '.join(scopes)} not deployed"
    )
    for scope in scopes:
        assert worker.scope_history(scope) == []

    # Nothing waits any more: both commands say so, in one line, and exit 1.
    for args in (["approve", workflow_id], ["reject", workflow_id, "--reason", "again"]):
        again = run_cli(*args)
        assert again.returncode == 1, str(again)
        assert again.stderr == (
            f"Error: no approval gate is waiting in {ROLLOUT} {workflow_id} (it is FAILED)\n"
        )


def test_reject_needs_a_reason(registered: CliResult) -> None:
    result = run_cli("reject", "any-id")
    assert result.returncode == 2, str(result)
    assert "Missing option '--reason'" in result.stderr


def test_approve_of_an_unknown_execution_is_one_line(registered: CliResult) -> None:
    result = run_cli("approve", "no-such-execution")
    assert result.returncode == 1, str(result)
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, str(result)
    assert "Traceback" not in result.stderr


def test_a_rollout_input_is_checked_before_it_starts(registered: CliResult) -> None:
    bad = {
        "waves": [
            {
                "services": [service("svc-x")],
                "max_parallel": 0,
                "max_failures": "120%",
                "approval": {"timeout": "soon"},
            }
        ]
    }
    result = run_cli("run", ROLLOUT, "--input", "-", stdin=json.dumps(bad))
    assert result.returncode == 1, str(result)
    assert "started" not in result.stdout
    assert "waves.0.max_parallel: Input should be greater than or equal to 1" in result.stderr
    assert (
        "waves.0.max_failures: Value error, '120%' is neither a count (0 or more) nor a "
        "percentage 0%-100%\n" in result.stderr
    )
    assert "waves.0.approval.timeout: Value error, 'soon' is not a duration Conductor" in (
        result.stderr
    )

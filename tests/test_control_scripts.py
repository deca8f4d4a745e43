"""What the controls' scripts compute, case by case, in plain JavaScript under Node.

A test aid, not the server: Conductor runs these scripts in graaljs with `$` bound to the task's
inputs; here Node runs them with `$` bound to the same inputs as JSON. For JSON-shaped data the
two agree on what these scripts use (arrays, objects, `for ... in`, `slice`, regular
expressions); where graaljs differs (inputs are Java lists and maps) tests/e2e/test_rollout.py
runs the same scripts on the real server. This file covers the arithmetic quickly: batch
boundaries, rounding of percentages, the canary, pairing results with items.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from definitions.rollout import PREPARE_SCRIPT, TALLY_SCRIPT
from definitions.rollout_wave import SUMMARY_SCRIPT
from deploy_dsl.control_scripts import BATCH_SCRIPT, VERDICT_SCRIPT, threshold_script
from tests.conftest import REPO_ROOT

# Reads [[script, inputs], ...] on stdin, prints [result, ...]: each script evaluated with `$`.
_RUNNER = """
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const results = cases.map(([script, inputs]) => new Function('$', 'return ' + script)(inputs));
process.stdout.write(JSON.stringify(results));
"""
FAILED = "output.outcome !== 'finalized'"


def evaluate(*cases: tuple[str, dict[str, Any]]) -> list[Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: install Node.js 20.19 or newer (CI installs it)")
    done = subprocess.run(
        [node, "-e", _RUNNER],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: list[Any] = json.loads(done.stdout)
    return results


def items(count: int) -> list[dict[str, str]]:
    return [{"scope": f"s{i}"} for i in range(count)]


def batches(count: int, size: int | None, *, canary: bool = False) -> list[list[str]]:
    """The batch of each iteration until one comes back empty."""
    asked = [
        (
            BATCH_SCRIPT,
            {"items": items(count), "iteration": n, "maxParallel": size, "canary": canary},
        )
        for n in range(1, count + 2)
    ]
    found = [[i["scope"] for i in batch] for batch in evaluate(*asked)]
    return found[: found.index([])] if [] in found else found


def test_batches_of_max_parallel_in_order() -> None:
    assert batches(5, 2) == [["s0", "s1"], ["s2", "s3"], ["s4"]]
    assert batches(4, 2) == [["s0", "s1"], ["s2", "s3"]]
    assert batches(3, 5) == [["s0", "s1", "s2"]]


def test_without_max_parallel_one_batch_holds_everything() -> None:
    assert batches(4, None) == [["s0", "s1", "s2", "s3"]]


def test_a_canary_batch_of_one_comes_first() -> None:
    assert batches(5, 2, canary=True) == [["s0"], ["s1", "s2"], ["s3", "s4"]]
    assert batches(4, None, canary=True) == [["s0"], ["s1", "s2", "s3"]]
    assert batches(1, 3, canary=True) == [["s0"]]


def outcome(value: str) -> dict[str, str]:
    return {"outcome": value}


def tally(results: dict[str, Any], batch: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    inputs = {"results": results, "items": batch, "maxFailures": 0, "canary": False, **extra}
    (result,) = evaluate((threshold_script(FAILED), inputs))
    return dict(result)


def test_results_pair_with_items_by_the_index_in_their_key() -> None:
    # ForkJoinDynamicTaskMapper's names: `_<fork>_<i>`, `_<fork>_<fork>_<i>` after another
    # fork, `__<n>` inside a loop; the map's order means nothing.
    results = {
        "_f_f_1__2": outcome("rolled_back"),
        "_f_f_0__2": outcome("finalized"),
    }
    found = tally(results, items(2), maxFailures=1)
    assert found["succeeded"] == [outcome("finalized")]
    assert found["failed"] == [{"item": {"scope": "s1"}, "output": outcome("rolled_back")}]
    assert (found["failures"], found["exceeded"], found["done"]) == (1, False, True)


def test_an_item_without_a_result_is_a_failure() -> None:
    found = tally({"_f_0": outcome("finalized")}, items(2), maxFailures=5)
    assert found["failed"] == [{"item": {"scope": "s1"}, "output": {}}]


@pytest.mark.parametrize(
    ("max_failures", "total", "allowed"),
    [(0, 4, 0), (1, 4, 1), ("25%", 4, 1), ("25%", 3, 0), ("50%", 3, 1), ("100%", 4, 4),
     ("12.5%", 8, 1), (None, 4, 0)],
)  # fmt: skip
def test_a_percentage_tolerates_that_share_rounded_down(
    max_failures: Any, total: int, allowed: int
) -> None:
    found = tally({}, [], outOf=items(total), maxFailures=max_failures)
    assert found["allowed"] == allowed


def test_one_failure_more_than_tolerated_exceeds_and_lists_what_never_started() -> None:
    results = {"_f_0": outcome("rolled_back"), "_f_1": outcome("rolled_back")}
    found = tally(results, items(2), outOf=items(4), maxFailures="25%")
    assert found["exceeded"] is True and found["done"] is True
    assert found["reason"] == "2 of 4 failed, more than max_failures 25% tolerates (1)"
    assert [i["scope"] for i in found["remaining"]] == ["s2", "s3"]


def test_the_tally_accumulates_across_batches() -> None:
    first = tally({"_f_0": outcome("rolled_back")}, items(1), outOf=items(3), maxFailures=1)
    assert (first["started"], first["batches"], first["done"]) == (1, 1, False)
    second = tally(
        {"_f_f_0__2": outcome("finalized"), "_f_f_1__2": outcome("rolled_back")},
        items(3)[1:],
        outOf=items(3),
        maxFailures=1,
        previous=first,
    )
    assert (second["started"], second["batches"], second["failures"]) == (3, 2, 2)
    assert second["exceeded"] is True and second["remaining"] == []
    assert [f["item"]["scope"] for f in second["failed"]] == ["s0", "s2"]


def test_a_failed_canary_exceeds_whatever_max_failures_allows() -> None:
    found = tally(
        {"_f_0": outcome("rolled_back")}, items(1), outOf=items(3), maxFailures=2, canary=True
    )
    assert found["exceeded"] is True
    assert found["reason"] == "the canary failed"
    # After the canary batch the canary rule no longer applies.
    later = tally(
        {"_f_0": outcome("rolled_back")},
        items(1),
        outOf=items(3),
        maxFailures=2,
        canary=True,
        previous={**found, "failed": [], "failures": 0},
    )
    assert later["exceeded"] is False


@pytest.mark.parametrize(
    ("decision", "timeout", "verdict"),
    [
        ({"approved": True, "by": "al", "reason": "ok"}, None, (True, False, "approved by al: ok")),
        ({"approved": "true"}, None, (True, False, "approved")),
        ({"approved": False, "by": "bo"}, "1h", (False, False, "rejected by bo")),
        ({}, "30m", (False, True, "approval timed out after 30m")),
        (None, None, (False, True, "completed without a decision")),
    ],
)
def test_the_verdict_reads_a_decision_and_a_timeout_is_a_rejection(
    decision: Any, timeout: str | None, verdict: tuple[bool, bool, str]
) -> None:
    (found,) = evaluate((VERDICT_SCRIPT, {"decision": decision, "timeout": timeout}))
    assert (found["approved"], found["timedOut"], found["message"]) == verdict


def test_only_the_first_wave_of_a_rollout_has_the_canary() -> None:
    waves = [{"name": "eu", "services": items(2)}, {"services": items(1), "max_parallel": 3}]
    first, second = evaluate(
        (PREPARE_SCRIPT, {"waves": waves, "wave": 1, "canary": True}),
        (PREPARE_SCRIPT, {"waves": waves, "wave": 2, "canary": True}),
    )
    assert (first["label"], first["canary"], first["max_failures"]) == ("wave 1 (eu)", True, 0)
    assert (second["label"], second["canary"], second["max_parallel"]) == ("wave 2", False, 3)


def test_a_wave_summary_names_the_wave_and_the_services() -> None:
    services = items(3)
    found_tally = {
        "succeeded": [{"scope": "s0", "version": "1", "env": "e", "deploymentId": "d0",
                       "outcome": "finalized", "status": "success"}],
        "failed": [{"item": services[1], "output": {"outcome": "rolled_back",
                                                     "status": "failure"}}],
        "remaining": [services[2]], "exceeded": True, "batches": 1,
        "reason": "1 of 3 failed, more than max_failures 0 tolerates (0)",
    }  # fmt: skip
    facts = {"wave": 2, "label": "wave 2 (eu)", "services": services, "approval": None}
    halted, rejected = evaluate(
        (SUMMARY_SCRIPT, {**facts, "tally": found_tally}),
        (SUMMARY_SCRIPT, {**facts, "tally": None, "approval": {"message": "rejected by bo"}}),
    )
    assert halted["reason"] == (
        "wave 2 (eu) halted, 1 of 3 failed, more than max_failures 0 tolerates (0): s1 rolled "
        "back; s2 not started"
    )
    assert halted["finalized"] == [
        {"scope": "s0", "version": "1", "env": "e", "deploymentId": "d0"}
    ]
    assert halted["reasons"] == {"s1": "the health check failed; rolled back"}
    assert (
        rejected["reason"] == "wave 2 (eu) not approved (rejected by bo): s0, s1, s2 not deployed"
    )
    assert rejected["halt"] is True and rejected["notStarted"] == services


def test_the_rollout_tally_rolls_back_only_when_asked() -> None:
    previous = {"waves": [{"wave": 1}], "finalized": [{"scope": "a"}]}
    summary = {"wave": 2, "finalized": [{"scope": "b"}], "halt": True, "reason": "wave 2 halted"}
    kept, rolled = evaluate(
        (TALLY_SCRIPT, {"previous": previous, "summary": summary, "rollbackCompleted": False}),
        (TALLY_SCRIPT, {"previous": previous, "summary": summary, "rollbackCompleted": True}),
    )
    assert kept["rollBack"] == [] and kept["reason"] == "wave 2 halted"
    assert [d["scope"] for d in rolled["rollBack"]] == ["a", "b"]
    assert rolled["reason"] == "wave 2 halted; rolling back the deploys it had finalized: a, b"
    assert rolled["haltedAt"] == 2 and len(rolled["waves"]) == 2

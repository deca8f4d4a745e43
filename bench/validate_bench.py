"""`deploy-dsl validate` of one workflow of 2,000 and of 20,000 tasks (issue 23).

The workflow repeats a block of ten tasks as definitions write them: HTTP calls each reading
the one before, a SWITCH with a task in each case, a fork with its JOIN, a DO_WHILE with a
body, an INLINE script and a SET_VARIABLE. Two figures per size: the validation itself,
in-process (CPU time, best of :data:`ROUNDS`: the machine is shared, and wall time there
swings with other load), and the whole command as a user runs it (a fresh process reading the
JSON file, its wall time, one run), whose ratio the target is on. Linear growth shows as an
in-process ratio near 10x and a command ratio below it (the process's start is the same at
both sizes); the validator once copied the set of references seen so far for every task,
which made it grow with the square (5k tasks 0.9 s, 10k 2.6 s, 20k 10.2 s).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from deploy_dsl.validation import Subject, validate
from deploy_dsl.wire import WorkflowDef

__all__ = ["main", "workflow_of"]

SIZES = (2_000, 20_000)
ROUNDS = 3
GROWTH_TARGET = 10.0  # x, for 10x the tasks
REPO_ROOT = Path(__file__).resolve().parent.parent


def _http(ref: str, previous: str | None) -> dict[str, Any]:
    body = {"previous": f"${{{previous}.output.response.body.id}}" if previous else None}
    request = {"uri": "http://worker/step", "method": "POST", "body": body}
    return {"name": "step", "taskReferenceName": ref, "type": "HTTP",
            "inputParameters": {"http_request": request}}  # fmt: skip


def _block(n: int, previous: str | None) -> tuple[list[dict[str, Any]], str]:
    """Ten tasks (nested ones counted); returns them and the reference the next block reads."""
    first, second = f"call_{n}_a", f"call_{n}_b"
    tasks = [_http(first, previous), _http(second, first)]
    tasks.append({
        "name": "decide", "taskReferenceName": f"decide_{n}", "type": "SWITCH",
        "evaluatorType": "value-param", "expression": "v",
        "inputParameters": {"v": f"${{{second}.output.response.body.status}}"},
        "decisionCases": {"ok": [_http(f"ok_{n}", second)]},
        "defaultCase": [_http(f"ko_{n}", second)],
    })  # fmt: skip
    tasks.append({
        "name": "fork", "taskReferenceName": f"fork_{n}", "type": "FORK_JOIN",
        "forkTasks": [[_http(f"left_{n}", second)], [_http(f"right_{n}", second)]],
    })  # fmt: skip
    tasks.append({"name": "join", "taskReferenceName": f"join_{n}", "type": "JOIN",
                  "joinOn": [f"left_{n}", f"right_{n}"]})  # fmt: skip
    tasks.append({
        "name": "script", "taskReferenceName": f"count_{n}", "type": "INLINE",
        "inputParameters": {"evaluatorType": "graaljs", "expression": "$.n + 1",
                            "n": f"${{{second}.output.response.body.n}}"},
    })  # fmt: skip
    tasks.append({"name": "remember", "taskReferenceName": f"remember_{n}", "type": "SET_VARIABLE",
                  "inputParameters": {"last": f"${{count_{n}.output.result}}"}})  # fmt: skip
    return tasks, second


def workflow_of(size: int) -> dict[str, Any]:
    """A workflow of `size` tasks (a multiple of ten)."""
    tasks: list[dict[str, Any]] = []
    previous = None
    for n in range(size // 10):
        block, previous = _block(n, previous)
        tasks += block
    return {"name": f"validate_{size}", "version": 1, "schemaVersion": 2,
            "ownerEmail": "b@example.com", "tasks": tasks}  # fmt: skip


def _cpu_seconds(definition: WorkflowDef) -> float:
    """The least CPU time of :data:`ROUNDS` validations of the definition."""
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.process_time()
        validate(Subject([definition], strict=False))
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    print("one workflow of N tasks: validation in-process (CPU, best of 3), the whole command")
    inside: dict[int, float] = {}
    whole: dict[int, float] = {}
    folder = Path(tempfile.mkdtemp(prefix="bench-validate-"))
    for size in SIZES:
        data = workflow_of(size)
        definition = WorkflowDef.model_validate(data)
        inside[size] = _cpu_seconds(definition)
        path = folder / f"validate_{size}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        command = [sys.executable, "-m", "deploy_dsl", "validate", str(path)]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
        whole[size] = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"bench validate: {path} has errors:\n{done.stdout[-2000:]}")
        report.record(f"validate in-process, {size:,} tasks", inside[size], "s")
        report.record(f"deploy-dsl validate, {size:,} tasks", whole[size], "s")
        print(
            f"    {size:>6,} tasks  {inside[size]:6.2f} s in-process  {whole[size]:6.2f} s command"
        )
    small, large = SIZES
    growth = inside[large] / inside[small]
    command_growth = whole[large] / whole[small]
    report.record(f"validate in-process, {large:,} / {small:,} tasks", growth, "x")
    met = command_growth < GROWTH_TARGET
    name = f"deploy-dsl validate, {large:,} / {small:,} tasks"
    report.record(name, command_growth, "x", target=f"< {GROWTH_TARGET:g}x", met=met)
    print(
        f"    {large:,} / {small:,}: {command_growth:.1f}x the command (target < "
        f"{GROWTH_TARGET:g}x: {'met' if met else 'NOT met'}), "
        f"{growth:.1f}x in-process, for 10x the tasks (linear: ~10x)"
    )

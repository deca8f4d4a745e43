"""`deploy-dsl import` of a workflow holding one long string value: 100 KB, 400 KB and 1 MB.

The value is one line of prose with quotes, backslashes, tabs and non-ASCII characters, so the
importer has to cut it into pieces and escape them: the case that once took time quadratic in
its length (issue 17: 100,000 characters 5.9 s, 400,000 characters 90.5 s). Two figures per
size: the import itself in-process (read, generate, build back and compare, best of
:data:`ROUNDS`), and the whole command as a user runs it (a fresh process, ruff formatting
included, one run). Linear growth shows as a steady time per KB, and as a 1 MB / 100 KB ratio
near 10x (quadratic would be near 100x).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.timing import best_of
from deploy_dsl.importer import import_files

__all__ = ["main", "workflow_with_text"]

SIZES = {"100 KB": 100_000, "400 KB": 400_000, "1 MB": 1_000_000}
ROUNDS = 3
REPO_ROOT = Path(__file__).resolve().parent.parent
_WORDS = ["deploy", '"blue"', "it's", "a\\b", "caf\u00e9", "\u2019green\u2019", "\t", "traffic"]


def workflow_with_text(length: int) -> dict[str, Any]:
    text = " ".join(_WORDS[i % len(_WORDS)] for i in range(length // 5 + 1))[:length]
    task = {"name": "t", "taskReferenceName": "t", "type": "SIMPLE", "inputParameters": {"x": text}}
    return {
        "name": "long_value",
        "version": 1,
        "ownerEmail": "bench@example.com",
        "schemaVersion": 2,
        "tasks": [task],
    }


def _command_seconds(source: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "deploy_dsl", "import", str(source), "--out", str(out)],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    print(
        f"import bench: one string value per workflow; in-process best of {ROUNDS}, "
        "the command (new process, ruff included) once"
    )
    in_process: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        scratch = Path(tmp)
        for label, length in SIZES.items():
            source = scratch / f"value_{length}.json"
            source.write_text(json.dumps(workflow_with_text(length)), encoding="utf-8")
            seconds = best_of(ROUNDS, functools.partial(import_files, [source]))
            command = _command_seconds(source, scratch / f"out_{length}")
            in_process[label] = seconds
            print(
                f"  {label:>6}  import {seconds * 1000:7.1f} ms"
                f"  ({seconds * 1e6 / (length / 1000):6.1f} us per KB)"
                f"  command {command:5.2f} s"
            )
    growth = in_process["1 MB"] / in_process["100 KB"]
    report.record("import 1 MB value", in_process["1 MB"] * 1000, "ms")
    report.record("import growth 1 MB / 100 KB", growth, "x")
    print(f"  1 MB / 100 KB: {growth:.1f}x for 10x the length (linear: ~10x, quadratic: ~100x)")


if __name__ == "__main__":
    main()

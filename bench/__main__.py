"""`python -m bench`: every benchmark in one run, each printing its figures and ratios.

A section that fails (a server that would not start, a run that ended otherwise than expected,
a bug) says so in one line and the next section runs; the figures of the sections that ran are
written all the same, with the failures beside them, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench import (
    canary_bench,
    cluster_bench,
    compile_bench,
    dashboard_bench,
    flow_bench,
    import_bench,
    loop_bench,
    plan_bench,
    recovery_bench,
    replay_bench,
    report,
    scale_bench,
    server_bench,
    start_bench,
    validate_bench,
    worker_bench,
)

SECTIONS = {
    "compile": compile_bench.main,
    "import": import_bench.main,
    "validate": validate_bench.main,
    "loop": loop_bench.main,
    "worker": worker_bench.main,
    "server": server_bench.main,
    "plan": plan_bench.main,
    "flows": flow_bench.main,
    "replay": replay_bench.main,
    "cluster": cluster_bench.main,
    "canary": canary_bench.main,
    "scale": scale_bench.main,
    "dashboard": dashboard_bench.main,
    # Starts servers of its own (scratch state, free ports): tuned and untuned cold starts.
    "start": start_bench.main,
    # Last: it kills and restarts the local Conductor.
    "recovery": recovery_bench.main,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks, each printing its figures and ratios measured side by side.",
    )
    parser.add_argument(
        "sections",
        nargs="*",
        metavar="SECTION",
        help=f"any of: {', '.join(SECTIONS)} (all)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="also write every recorded figure (name, value, unit, target, met) to FILE",
    )
    args = parser.parse_args()
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from: {', '.join(SECTIONS)}")
    report.clear()
    for name in args.sections or list(SECTIONS):
        print(f"== {name} ==", flush=True)
        report.reset(name)
        failure = report.run_section(SECTIONS[name])
        if failure is not None:
            print(f"bench {name} FAILED: {failure}", flush=True)
    if args.json:
        report.write_json(args.json)
        print(f"wrote {len(report.figures())} figure(s) to {args.json}")
    failed = report.failures()
    if failed:
        sys.exit(f"bench: {len(failed)} section(s) failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()

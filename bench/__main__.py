"""`python -m bench`: every benchmark in one run, each printing its figures and ratios."""

from __future__ import annotations

import sys

from bench import (
    cluster_bench,
    compile_bench,
    import_bench,
    plan_bench,
    recovery_bench,
    server_bench,
    worker_bench,
)

SECTIONS = {
    "compile": compile_bench.main,
    "import": import_bench.main,
    "worker": worker_bench.main,
    "server": server_bench.main,
    "plan": plan_bench.main,
    "cluster": cluster_bench.main,
    # Last: it kills and restarts the local Conductor.
    "recovery": recovery_bench.main,
}


def main() -> None:
    chosen = sys.argv[1:] or list(SECTIONS)
    for name in chosen:
        if name not in SECTIONS:
            sys.exit(f"unknown benchmark {name!r}; choose from: {', '.join(SECTIONS)}")
        print(f"== {name} ==", flush=True)
        SECTIONS[name]()


if __name__ == "__main__":
    main()

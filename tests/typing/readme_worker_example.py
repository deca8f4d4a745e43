"""The README's SIMPLE worker example, whole, so that `make check` type-checks it as it is written
there (tests/test_readme.py keeps the two the same); tests/e2e/test_simple_worker.py runs the
same function against the local server."""

from __future__ import annotations

from definitions.preflight import LintRequest, LintVerdict, lint
from deploy_dsl.client.workers import serve


def lint_manifest(request: LintRequest) -> LintVerdict:
    problems = [] if "image:" in request.manifest else ["the manifest names no image"]
    return LintVerdict(ok=not problems, problems=problems)


if __name__ == "__main__":
    with serve({lint: lint_manifest}):  # conductor-python's task runner, the server of .env
        input("answering lint_manifest; Enter stops\n")  # polls until the block ends

"""build/ is what the definitions compile to: a stale or hand-edited build/ fails here.

`make build` rewrites it (as does `pytest --snapshot-update tests/test_snapshot.py`).
"""

from __future__ import annotations

from typing import Any

from pytest_snapshot.plugin import Snapshot

from deploy_dsl.workspace.build import build_files
from deploy_dsl.workspace.loader import load_project
from tests.conftest import REPO_ROOT


def _nested(files: dict[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path, text in files.items():
        *folders, name = path.split("/")
        node = tree
        for folder in folders:
            node = node.setdefault(folder, {})
        node[name] = text
    return tree


def test_build_directory_matches_the_definitions(snapshot: Snapshot) -> None:
    compiled, files = build_files(load_project())
    assert not compiled.errors, "\n".join(map(str, compiled.errors))
    snapshot.snapshot_dir = REPO_ROOT
    try:
        snapshot.assert_match_dir(_nested(files), "build")
    except AssertionError as error:
        raise AssertionError(f"build/ is stale: run `make build`\n{error}") from None


def test_build_holds_the_seed_workflows_with_their_versions() -> None:
    compiled, _ = build_files(load_project())
    versions = {w.name: w.version for w in compiled.workflows}
    # The seed's names; deploy_simple_v1 (7 -> 8) and pipeline_simple_v1 (3 -> 4) were bumped
    # when a failure after the traffic swap gained its rollback (deploy_failed_v1), and
    # pipeline_simple_v1 (4 -> 5) when its input defaults became its inputTemplate.
    seed = {
        "deploy_simple_v1": 8,
        "pipeline_simple_v1": 5,
        "finalize_deployment_v1": 1,
        "rollback_deployment_v1": 1,
    }
    assert {name: versions.get(name) for name in seed} == seed

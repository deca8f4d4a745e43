"""This repository's own build output, imported, builds back to the same bytes."""

from __future__ import annotations

from pathlib import Path

from deploy_dsl.compiler import compile_project, render_files
from tests.importer.helpers import REPO_ROOT, import_package, package_dir

BUILD = REPO_ROOT / "build"


def test_importing_build_gives_code_that_builds_identical_bytes(tmp_path: Path) -> None:
    sources = [*sorted((BUILD / "workflows").glob("*.json")), BUILD / "taskdefs.json"]
    imported = import_package(sources, package_dir(tmp_path))
    assert imported.result.warnings == []
    compiled = compile_project(imported.project)
    assert compiled.findings == []
    rendered = render_files(compiled)
    expected = {str(path.relative_to(BUILD)): path.read_text() for path in sources}
    assert rendered == expected


def test_the_import_reads_like_the_definitions(tmp_path: Path) -> None:
    sources = sorted((BUILD / "workflows").glob("*.json"))
    imported = import_package(sources, package_dir(tmp_path))
    deploy = imported.text("deploy_simple_v1.json")
    assert "from .finalize_deployment_v1 import finalize_deployment_v1" in deploy
    assert 'uri=WorkerEndpoint("create_infrastructure"),' in deploy
    assert "value=effective_status.output.response.body.status," in deploy
    assert '"outcome": variables.outcome,' in deploy
    pipeline = imported.text("pipeline_simple_v1.json")
    assert 'DoWhile.iteration_of("run_waves")' in pipeline
    assert "fork_inputs=prepare_wave.output.result," in pipeline

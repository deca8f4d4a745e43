"""`deploy-dsl import` then `deploy-dsl build --lenient` reproduces each of Conductor's test
workflows that has no defect at run time, and reports the ones that have."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy_dsl.project import collect
from deploy_dsl.wire import dump
from deploy_dsl.workspace.build import build_files
from tests.conftest import CONDUCTOR_FIXTURES
from tests.importer.helpers import Imported, canonical, import_package
from tests.test_validation import BROKEN_FIXTURES

FILES = sorted(CONDUCTOR_FIXTURES.glob("*.json"))


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    out = tmp_path_factory.mktemp("lenient") / "imported_lenient_corpus"
    return import_package(FILES, out, ruff=False)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_a_fixture_builds_leniently_unless_it_has_a_defect(imported: Imported, path: Path) -> None:
    # One module per fixture, built as `build --lenient --definitions` builds a package: its
    # own workflows, and the ones it calls declared as ExternalWorkflow.
    project = collect([imported.module(path.name)])
    compiled, files = build_files(project, strict=False)
    if path.name in BROKEN_FIXTURES:
        assert compiled.errors, f"{path.name} is listed as broken but builds"
        return
    assert not compiled.errors, "\n".join(map(str, compiled.errors))
    source = json.loads(path.read_text(encoding="utf-8"))
    expected = source if isinstance(source, list) else [source]
    built = {w.name: dump(w) for w in compiled.workflows}
    for workflow in expected:
        assert canonical(built[workflow["name"]]) == canonical(workflow)
    assert files

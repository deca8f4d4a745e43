"""Paths shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# Vendored from Conductor's repository (see tests/data/conductor/README.md): the suite reads
# nothing outside the repository.
CONDUCTOR_DATA = REPO_ROOT / "tests" / "data" / "conductor"
CONDUCTOR_FIXTURES = CONDUCTOR_DATA / "fixtures"
CONDUCTOR_SCHEMAS = CONDUCTOR_DATA / "schemas"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT

"""Paths shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
CONDUCTOR_FIXTURES = SHARED / "conductor" / "fixtures"
CONDUCTOR_SCHEMAS = SHARED / "conductor" / "schemas"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT

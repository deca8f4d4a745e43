"""Paths shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
# Vendored from Conductor's repository (see tests/data/conductor/README.md): the suite reads
# nothing outside the repository.
CONDUCTOR_DATA = REPO_ROOT / "tests" / "data" / "conductor"
CONDUCTOR_FIXTURES = CONDUCTOR_DATA / "fixtures"
CONDUCTOR_SCHEMAS = CONDUCTOR_DATA / "schemas"

# Hypothesis (tests/fuzz/, property tests): its caches in the ignored .cache/, not a new
# .hypothesis/ in the working tree; no example database; no per-example deadline (a timing
# assertion on a shared machine); in CI the same examples every run, so a red CI reproduces.
set_hypothesis_home_dir(REPO_ROOT / ".cache" / "hypothesis")
settings.register_profile(
    "deploy-dsl", database=None, deadline=None, derandomize=bool(os.environ.get("CI"))
)
settings.load_profile("deploy-dsl")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT

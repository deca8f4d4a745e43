"""Headless Chromium for the dashboard's tests: the system's /usr/bin/chromium (installed by
tools/system-deps.sh), driven by Playwright. Playwright's own browser downloads are never used:
it launches the executable it is given."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.docs.mermaid_check import CHROMIUM_FLAGS

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "chromium"]

CHROMIUM = Path("/usr/bin/chromium")
# The flags tests/docs/mermaid_check.py runs it with, less those for dumping a page's DOM
# (Playwright sets headless itself and drives the page).
_DUMP_ONLY = ("--headless", "--dump-dom")
CHROMIUM_ARGS = [
    flag
    for flag in CHROMIUM_FLAGS
    if flag not in _DUMP_ONLY and not flag.startswith("--virtual-time-budget")
]


@contextmanager
def chromium() -> Iterator[Browser]:
    executable = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if executable is None:
        pytest.fail("no chromium: run `make install` (tools/system-deps.sh installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()

"""Every importer test loads generated packages; leave the interpreter as it was found."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.importer.helpers import restore_interpreter


@pytest.fixture(autouse=True, scope="module")
def _clean_interpreter() -> Iterator[None]:
    yield from restore_interpreter()

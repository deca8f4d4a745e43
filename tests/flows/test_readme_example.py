"""The README's flow-test example runs, as written, as a flow test."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from deploy_dsl.testing import Flow
from tests.conftest import REPO_ROOT

MARKER = "<!-- flow-test-example -->"


def example_tests() -> dict[str, Callable[..., Any]]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    after = readme.split(MARKER, 1)[1]
    found = re.match(r"\s*```python\n(.*?)\n```", after, re.DOTALL)
    assert found, f"README.md: no python block after {MARKER}"
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(found.group(1), "README.md (flow-test example)", "exec"), namespace)
    return {name: value for name, value in namespace.items() if name.startswith("test_")}


def test_the_readme_example_passes(flow: Flow) -> None:
    tests = example_tests()
    assert tests, "the README's example defines no test"
    for test in tests.values():
        test(flow)

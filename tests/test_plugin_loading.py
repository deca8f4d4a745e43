"""The pytest plugin loads in every pytest session of a project that installs deploy-dsl, so it
imports nothing a session without flow tests does not need (the runner, the SDK, the builders),
and `deploy_dsl.testing` still offers every name it lists."""

from __future__ import annotations

import json
import subprocess
import sys

import deploy_dsl.testing
from tests.conftest import REPO_ROOT

# Each pulls in seconds' worth of imports on a busy machine; none is needed to load the plugin.
HEAVY = ("conductor", "deploy_dsl.kinds", "deploy_dsl.testing.runner", "deploy_dsl.client.api")


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    probe = (
        "import json, sys; import deploy_dsl.testing.plugin; print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout)
    heavy = [m for m in loaded if m.startswith(HEAVY)]
    assert heavy == []


def test_every_listed_name_of_the_testing_package_resolves() -> None:
    for name in deploy_dsl.testing.__all__:
        value = getattr(deploy_dsl.testing, name)
        assert getattr(value, "__name__", name) == name


def test_a_name_the_package_does_not_have_is_an_attribute_error() -> None:
    try:
        deploy_dsl.testing.respnds  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "respnds" in str(error)
    else:
        raise AssertionError("a misspelt name resolved")

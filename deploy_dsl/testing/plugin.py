"""The pytest plugin (the `pytest11` entry point `deploy_dsl`): the `flow` fixture.

    def test_rolls_back(flow: Flow) -> None:
        result = flow.run(deploy_simple_v1, {...}, mocks={swap_traffic: responds({...}), ...})
        assert result.status == "COMPLETED"

    def test_a_recorded_deploy_replays_the_same(flow: Flow) -> None:
        replay = flow.replay("tests/recordings/deploy_finalized.json")
        assert replay.matches, "\n".join(replay.explain())

Tests that use `flow` are marked `flow` (`pytest -m flow`). The project's TaskDefs (its retries
and timeouts) come from its definitions, found as every command finds them: `definitions` in
`[tool.deploy-dsl]` of the pyproject.toml around pytest's root directory. `--flow-results FILE`
writes what every flow test's runs did (the server's ids and clock readings replaced by what
they stand for) to FILE, so that two sessions can be compared for determinism.

Loading the plugin imports pytest and nothing heavy: the runner, the SDK and the definitions
are imported by the `flow_runner` fixture, so sessions that run no flow test never pay for them.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from deploy_dsl.client.outcome import OUTCOME_FIELD

if TYPE_CHECKING:
    from pydantic import BaseModel

    from deploy_dsl.project import Project
    from deploy_dsl.task import Task
    from deploy_dsl.testing.plan import Mocks
    from deploy_dsl.testing.replaying import Replay
    from deploy_dsl.testing.result import FlowResult, TaskRun
    from deploy_dsl.testing.runner import FlowRunner
    from deploy_dsl.workflow import AnyWorkflow

__all__ = ["Flow", "flow", "flow_runner"]

_RESULTS = pytest.StashKey[dict[str, list[Any]]]()
_RUNNER = pytest.StashKey["FlowRunner"]()
_PROJECT = pytest.StashKey["Project"]()


class Flow:
    """What the `flow` fixture gives a test: FlowRunner's run and run_task, and replays of
    recordings, recorded."""

    def __init__(
        self, runner: FlowRunner, record: list[Any], project: Project | None = None
    ) -> None:
        self.runner = runner
        self._record = record
        self._project = project

    def run(
        self,
        workflow: AnyWorkflow,
        input: BaseModel | Mapping[str, Any] | None = None,
        mocks: Mocks | None = None,
        *,
        budget_seconds: float | None = None,
    ) -> FlowResult:
        """See FlowRunner.run."""
        result = self.runner.run(workflow, input, mocks, budget_seconds=budget_seconds)
        self._record.append(result.fingerprint())
        return result

    def run_task(self, task: Task, inputs: Mapping[str, Any]) -> TaskRun:
        """See FlowRunner.run_task."""
        run = self.runner.run_task(task, inputs)
        self._record.append({"task": run.ref, "status": run.status, "output": run.output})
        return run

    def replay(
        self,
        path: str | Path,
        workflow: AnyWorkflow | None = None,
        *,
        outcome_key: str = OUTCOME_FIELD,
    ) -> Replay:
        """Replays a recording file (`deploy-dsl record`) against the definition of its
        workflow, the project's (`definitions` in `[tool.deploy-dsl]`) unless `workflow` is
        given: the same path and outcome (`replay.matches`), or where the path diverges and the
        outcome each reaches (`replay.explain()`). See deploy_dsl.testing.replaying."""
        from deploy_dsl.client.recording import parse_recording
        from deploy_dsl.testing.errors import FlowTestError
        from deploy_dsl.testing.replaying import replay

        source = Path(path)
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as error:
            raise FlowTestError(f"cannot read recording {source}: {error.strerror}") from None
        recording = parse_recording(text, str(source))
        if workflow is None:
            if self._project is None:
                raise FlowTestError("replay(): give the workflow (this Flow has no project)")
            workflow = self._project.workflow(recording.workflow)
        result = replay(self.runner, workflow, recording, outcome_key=outcome_key)
        self._record.append({"replay": source.name, **result.to_json()})
        return result


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("deploy-dsl flow tests")
    group.addoption(
        "--flow-results",
        metavar="FILE",
        help="write what each flow test's runs did (ids normalised) to FILE as JSON",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "flow: runs workflows on the Conductor server with mocked tasks (no worker)"
    )
    config.stash[_RESULTS] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "flow" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.flow)


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = session.config.getoption("--flow-results")
    if target:
        results = dict(sorted(session.config.stash[_RESULTS].items()))
        path = Path(target)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", "utf-8")
        temporary.replace(path)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    runner = config.stash.get(_RUNNER, None)
    if runner is not None and runner.runs:
        terminalreporter.write_line(
            f"flow tests: {runner.runs} runs on {runner.connection.server_url}; "
            f"{runner.decided} execution(s) the server left undecided were decided"
        )


@pytest.fixture(scope="session")
def flow_runner(pytestconfig: pytest.Config) -> FlowRunner:
    """One FlowRunner for the session, on the server of the project's settings."""
    from deploy_dsl.local.layout import Layout
    from deploy_dsl.testing.plan import project_taskdefs
    from deploy_dsl.testing.runner import FlowRunner
    from deploy_dsl.testing.server import flow_server
    from deploy_dsl.workspace.config import load_config
    from deploy_dsl.workspace.loader import load_project

    config = load_config(pytestconfig.rootpath)
    project = pytestconfig.stash[_PROJECT] = load_project(config.definitions)
    layout = Layout.of_project(pytestconfig.rootpath)
    connection = flow_server(_say(pytestconfig), layout)
    runner = pytestconfig.stash[_RUNNER] = FlowRunner(connection, project_taskdefs(project))
    return runner


def _say(config: pytest.Config) -> Callable[[str], None]:
    """Prints a line on the terminal even while pytest captures the output: a server being
    started must never look like a test that hangs."""
    # pytest's capture manager (not public API: reached by name, absent when -p no:capture).
    capture = config.pluginmanager.getplugin("capturemanager")
    disabled = getattr(capture, "global_and_fixture_disabled", None)

    def say(line: str) -> None:
        with disabled() if disabled is not None else contextlib.nullcontext():
            print(f"[flow] {line}", file=sys.stderr, flush=True)

    return say


@pytest.fixture
def flow(flow_runner: FlowRunner, request: pytest.FixtureRequest) -> Flow:
    """Runs workflows on the real engine with mocked tasks; see deploy_dsl.testing."""
    record = request.config.stash[_RESULTS].setdefault(request.node.nodeid, [])
    return Flow(flow_runner, record, request.config.stash[_PROJECT])

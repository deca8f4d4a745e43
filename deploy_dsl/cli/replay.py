"""`deploy-dsl record` and `deploy-dsl replay`: real executions as recordings, and the current
definitions replayed on them (deploy_dsl.client.recording, deploy_dsl.testing.replaying)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deploy_dsl.cli.common import (
    DEFINITIONS_OPTION,
    ENV_FILE_OPTION,
    connect,
    load_definitions,
    one_line,
    settings,
    shown,
)
from deploy_dsl.client.outcome import OUTCOME_FIELD
from deploy_dsl.errors import DeployDslError

if TYPE_CHECKING:
    from deploy_dsl.client.api import ConductorApi
    from deploy_dsl.client.recording import RecordedExecution
    from deploy_dsl.client.settings import Settings
    from deploy_dsl.project import Project
    from deploy_dsl.testing.replaying import Load, Replay, ReplayFailed
    from deploy_dsl.workflow import AnyWorkflow

__all__ = [
    "Replayed",
    "counts",
    "echo_replays",
    "record",
    "replay",
    "replay_last",
    "replays_json",
]

_EXIT_ERROR, _EXIT_DIVERGED = 1, 2
_DEFAULT_LAST = 10
# A line on stderr at most this often while replays run.
_PROGRESS_SECONDS = 3.0


@click.command()
@click.argument("workflow_id")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the recording to FILE (its folder is created) instead of standard output.",
)
@ENV_FILE_OPTION
def record(workflow_id: str, out: Path | None, env_file: Path | None) -> None:
    """Save the finished execution WORKFLOW_ID as a recording, for `deploy-dsl replay` and
    `flow.replay()` in tests.

    The recording holds the execution and every one it started (sub-workflows, a dynamic
    fork's children, the failure workflow the server started), each task in the order it ran
    with its reference, iteration, retry count, status and output. Values under keys that name
    a secret (password, token, Authorization, api_key, ...) and the Orkes key and secret are
    replaced by "(hidden)"; HTTP response headers are left out. Canonical JSON, small enough
    to commit. A running or TERMINATED execution is refused (exit 1).
    """
    from deploy_dsl.client.credentials import redact as hide_credentials
    from deploy_dsl.client.recording import record as read_recording

    active = settings(env_file)
    api = connect(active)
    try:
        recording = read_recording(api.execution, workflow_id, _secrets(active))
    except DeployDslError as error:
        raise one_line(error) from None
    text = recording.to_json()
    executions = list(recording.walk())
    what = (
        f"{recording.workflow} v{recording.version} {workflow_id}: {recording.status}, "
        f"{sum(len(e.tasks) for e in executions)} tasks in {len(executions)} execution(s)"
    )
    if out is None:
        click.echo(text, nl=False)
        click.echo(f"recorded {what}", err=True)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        temporary = out.with_name(out.name + ".tmp")
        # What the CLI prints passes through this on its way out; a file must too.
        temporary.write_text(hide_credentials(text), encoding="utf-8")
        temporary.replace(out)
    except OSError as error:
        raise click.ClickException(f"cannot write {out}: {error.strerror}") from None
    click.echo(f"recorded {what} -> {out} ({len(text.encode()) // 1024 or 1} KB)")


@click.command()
@click.argument("workflow_name", metavar="WORKFLOW")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--last",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help=f"Replay the N newest finished executions on the server (default {_DEFAULT_LAST}, "
    "when no FILES and no --since are given).",
)
@click.option(
    "--since",
    metavar="T",
    default=None,
    help="Replay the finished executions started after T: a time ago (30m, 6h, 7d) or a UTC "
    "date or time (2026-12-01, 2026-12-01T09:30); with --last, at most N of them.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1, max=32),
    default=None,
    metavar="N",
    help="Replays at a time (default 4).",
)
@click.option(
    "--outcome",
    "outcome_key",
    default=OUTCOME_FIELD,
    show_default=True,
    metavar="KEY",
    help="The workflow output that is its outcome (a deploy's finalized or rolled_back).",
)
@click.option(
    "--budget",
    type=click.FloatRange(min=1),
    default=60.0,
    metavar="SECONDS",
    show_default=True,
    help="Seconds one replay may run before it is stopped.",
)
@DEFINITIONS_OPTION
@ENV_FILE_OPTION
def replay(
    workflow_name: str,
    files: tuple[Path, ...],
    last: int | None,
    since: str | None,
    as_json: bool,
    jobs: int | None,
    outcome_key: str,
    budget: float,
    definitions: str,
    env_file: Path | None,
) -> None:
    """Run WORKFLOW as the definitions have it now on real executions: recorded ones (FILES,
    from `deploy-dsl record`) or the server's newest finished ones (--last, --since: any
    version, those a pipeline started included; TERMINATED ones and flow-test runs left out).

    Each execution runs again on the engine (Conductor's POST /api/workflow/test, as flow tests
    do: nothing reaches a worker or any other system), every task that waited on a worker, an
    HTTP call, a timer or a person answered with what it answered then. Per execution: the same
    path and outcome (the workflow's status and its `outcome` output), or the first task where
    the path diverges, what the recording did there and what the new definition does, and the
    outcome each reaches. A task the new definition runs that the recording never ran has no
    answer: the replay stops there and names it.

    Exit 0 when every execution replays the same, 2 when any diverges, 1 on an error.
    """
    if files and (last is not None or since is not None):
        raise click.ClickException("give recording FILES, or --last / --since, not both")
    active = settings(env_file)
    project = load_definitions(definitions)
    workflow = _workflow(project, workflow_name)
    started = time.monotonic()
    if files:
        loads = [(str(path), _file_load(path)) for path in files]
        source = f"{len(files)} recording(s)"
    else:
        api = connect(active)
        if last is None and since is None:
            last = _DEFAULT_LAST
        loads = _server_loads(api, active, workflow.name, last, since)
        which = f"the last {len(loads)}" if since is None else f"{len(loads)}"
        after = f" started since {since}" if since is not None else ""
        source = f"{which} finished execution(s){after} from {api.url}"
    if not as_json:
        jobs_text = f", {jobs or _default_jobs()} at a time" if len(loads) > 1 else ""
        click.echo(
            f"replaying {workflow.name} v{workflow.version} ({_where(definitions)}) on {source}"
            f"{jobs_text}"
        )
    results = _run(active, project, workflow, loads, jobs, outcome_key, budget, as_json)
    seconds = time.monotonic() - started
    if as_json:
        click.echo(json.dumps(replays_json(workflow, results, seconds), indent=2))
    else:
        echo_replays(results, "  ")
        click.echo(_summary(results, seconds))
    sys.exit(_exit_code(results))


@dataclass(frozen=True)
class Replayed:
    """What `plan --replay` shows beside a changed workflow."""

    workflow: str
    results: list[Replay | ReplayFailed]
    error: str | None = None  # the executions could not be listed


def replay_last(
    api: ConductorApi, active: Settings, project: Project, workflow: AnyWorkflow, last: int
) -> Replayed:
    """The last `last` finished executions of `workflow` on the server, replayed against it."""
    try:
        loads = _server_loads(api, active, workflow.name, last, None)
    except click.ClickException as error:
        return Replayed(workflow.name, [], error.message)
    results = _run(active, project, workflow, loads, None, OUTCOME_FIELD, 60.0, quiet=True)
    return Replayed(workflow.name, results)


def _where(definitions: str) -> str:
    """The definitions as the user names them: a directory relative to here, or a package."""
    return shown(Path(definitions)) if Path(definitions).is_dir() else definitions


def _workflow(project: Project, name: str) -> AnyWorkflow:
    try:
        return project.workflow(name)
    except DeployDslError as error:
        raise one_line(error) from None


def _default_jobs() -> int:
    from deploy_dsl.testing.replaying import DEFAULT_JOBS

    return DEFAULT_JOBS


def _secrets(active: Settings) -> tuple[str, ...]:
    connection = active.connection()
    return tuple(s for s in (connection.key_id, connection.key_secret) if s)


def _file_load(path: Path) -> Load:
    def load(_: ConductorApi) -> RecordedExecution:
        from deploy_dsl.client.recording import RecordingError, parse_recording

        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise RecordingError(f"cannot read {path}: {error.strerror}") from None
        return parse_recording(text, str(path))

    return load


def _server_loads(
    api: ConductorApi, active: Settings, name: str, last: int | None, since: str | None
) -> list[tuple[str, Load]]:
    from deploy_dsl.client.history import since_millis
    from deploy_dsl.client.recording import finished_executions
    from deploy_dsl.client.recording import record as read_recording

    secrets = _secrets(active)
    try:
        after = None if since is None else since_millis(since, int(time.time() * 1000))
        found = finished_executions(api.search, name, last=last, since_ms=after)
    except DeployDslError as error:
        raise one_line(error) from None

    def load(workflow_id: str) -> Load:
        return lambda reader: read_recording(reader.execution, workflow_id, secrets)

    return [(workflow_id, load(workflow_id)) for workflow_id in found]


def _run(
    active: Settings,
    project: Project,
    workflow: AnyWorkflow,
    loads: Sequence[tuple[str, Load]],
    jobs: int | None,
    outcome_key: str,
    budget: float,
    quiet: bool,
) -> list[Replay | ReplayFailed]:
    from deploy_dsl.testing.plan import project_taskdefs
    from deploy_dsl.testing.replaying import DEFAULT_JOBS, replay_many

    if not loads:
        return []
    finished = [0]
    last_note = [time.monotonic()]

    def done(_: object) -> None:
        finished[0] += 1
        if not quiet and time.monotonic() - last_note[0] >= _PROGRESS_SECONDS:
            last_note[0] = time.monotonic()
            click.echo(f"  ... {finished[0]} of {len(loads)} replayed", err=True)

    try:
        connection = active.connection()
        return replay_many(
            connection,
            project_taskdefs(project),
            workflow,
            loads,
            jobs=jobs or DEFAULT_JOBS,
            outcome_key=outcome_key,
            budget_seconds=budget,
            done=done,
        )
    except DeployDslError as error:
        raise one_line(error) from None


def echo_replays(results: Sequence[Replay | ReplayFailed], indent: str) -> None:
    """One block per execution: `same`, `DIVERGES` with what each side did, or `ERROR`."""
    from deploy_dsl.testing.replaying import ReplayFailed

    for result in results:
        if isinstance(result, ReplayFailed):
            click.secho(f"{indent}ERROR     {result.label}  {result.error}", fg="red")
            continue
        recording = result.recording
        head = f"{recording.workflow_id}  v{recording.version}{_label(recording.input)}"
        if result.matches:
            click.echo(f"{indent}same      {head}  {result.recorded_outcome.text()}")
            continue
        click.secho(f"{indent}DIVERGES  {head}", fg="yellow")
        for line in result.explain():
            click.echo(f"{indent}          {line}")


def _label(inputs: dict[str, Any]) -> str:
    """A deploy by its service, as the dashboard names it."""
    for key in ("label", "scope", "name"):
        value = inputs.get(key)
        if isinstance(value, str) and value:
            return f"  {value}"
    return ""


def _summary(results: Sequence[Replay | ReplayFailed], seconds: float) -> str:
    same, diverged, errors = counts(results)
    if not results:
        return "replay: no finished executions to replay"
    return (
        f"replay: {same} same, {diverged} diverge, {errors} error(s) "
        f"({len(results)} in {seconds:.1f} s)"
    )


def counts(results: Sequence[Replay | ReplayFailed]) -> tuple[int, int, int]:
    """How many replayed the same, diverged, and could not be replayed."""
    from deploy_dsl.testing.replaying import ReplayFailed

    errors = sum(1 for r in results if isinstance(r, ReplayFailed))
    same = sum(1 for r in results if not isinstance(r, ReplayFailed) and r.matches)
    return same, len(results) - same - errors, errors


def _exit_code(results: Sequence[Replay | ReplayFailed]) -> int:
    _, diverged, errors = counts(results)
    return _EXIT_ERROR if errors else _EXIT_DIVERGED if diverged else 0


def replays_json(
    workflow: AnyWorkflow, results: Sequence[Replay | ReplayFailed], seconds: float | None = None
) -> dict[str, Any]:
    from deploy_dsl.testing.replaying import ReplayFailed

    same, diverged, errors = counts(results)
    document: dict[str, Any] = {
        "workflow": workflow.name,
        "version": workflow.version,
        "summary": {"same": same, "diverged": diverged, "errors": errors},
        "executions": [
            {"label": r.label, "error": r.error} if isinstance(r, ReplayFailed) else r.to_json()
            for r in results
        ],
    }
    if seconds is not None:
        document["seconds"] = round(seconds, 3)
    return document

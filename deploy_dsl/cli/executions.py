"""`deploy-dsl terminate`, `retry`, `pause`, `resume`, `restart` and `rerun`: act on one
execution through the SDK, then say what state it is in now (`--json`: one object)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from deploy_dsl.cli.common import ENV_FILE_OPTION, connect, settings
from deploy_dsl.errors import DeployDslError

if TYPE_CHECKING:
    from deploy_dsl.client.api import ConductorApi

__all__ = ["pause", "rerun", "restart", "resume", "retry", "terminate"]

# The server's suffix on a task in a DO_WHILE's body: `<ref>__<iteration>`.
_ITERATION = re.compile(r"__\d+$")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


def _act(
    env_file: Path | None, workflow_id: str, action: Callable[[ConductorApi], None]
) -> tuple[str, str]:
    """Runs the action, then reads the execution back: (workflow name, status now)."""
    api = connect(settings(env_file))
    try:
        action(api)
        execution = api.execution(workflow_id)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    return str(execution.get("workflowName", "?")), str(execution.get("status"))


def _report(verb: str, workflow_id: str, done: tuple[str, str], as_json: bool) -> None:
    name, status = done
    if as_json:
        body = {"action": verb, "workflowId": workflow_id, "workflowName": name, "status": status}
        click.echo(json.dumps(body))
    else:
        click.echo(f"{verb} {name} {workflow_id}: now {status}")


def _guarded(
    workflow_id: str, allowed: frozenset[str], verb: str, call: Callable[[ConductorApi], None]
) -> Callable[[ConductorApi], None]:
    """`call`, once the execution is in one of the `allowed` states. The server's own
    refusals are terse (a 409 with a Java message) or absent (some of these answer 200 and
    change nothing): say in one line why, before asking."""

    def act(api: ConductorApi) -> None:
        status = api.execution(workflow_id).get("status")
        if status not in allowed:
            wanted = " or ".join(sorted(allowed))
            raise click.ClickException(
                f"{workflow_id} is {status}: only a {wanted} execution can be {verb}"
            )
        call(api)

    return act


def _stop(api: ConductorApi, workflow_id: str, reason: str | None) -> None:
    from deploy_dsl.client.timeline import TERMINAL_STATUSES

    # Measured on 3.32.3: terminating an execution that has ended answers 200 and changes
    # nothing, so "terminated" would be a false report; say what it is instead.
    status = api.execution(workflow_id).get("status")
    if status in TERMINAL_STATUSES and status != "PAUSED":
        raise click.ClickException(f"{workflow_id} has already ended ({status}); not terminated")
    api.terminate(workflow_id, reason)


@click.command()
@click.argument("workflow_id")
@click.option(
    "--reason",
    metavar="TEXT",
    help="Why; the server keeps it as the execution's reasonForIncompletion.",
)
@_JSON
@ENV_FILE_OPTION
def terminate(workflow_id: str, reason: str | None, as_json: bool, env_file: Path | None) -> None:
    """Stop the running execution WORKFLOW_ID: it ends TERMINATED, its running tasks canceled.

    An execution that has already ended is left as it is (exit 1, saying how it ended).
    """
    done = _act(env_file, workflow_id, lambda api: _stop(api, workflow_id, reason))
    _report("terminated", workflow_id, done, as_json)


@click.command()
@click.argument("workflow_id")
@_JSON
@ENV_FILE_OPTION
def retry(workflow_id: str, as_json: bool, env_file: Path | None) -> None:
    """Retry the failed (or terminated, timed out) execution WORKFLOW_ID from its last
    failed task; it runs again under the same id (`deploy-dsl status ID` follows it)."""
    done = _act(env_file, workflow_id, lambda api: api.retry(workflow_id))
    _report("retried", workflow_id, done, as_json)


_RUNNING = frozenset({"RUNNING"})
_PAUSED = frozenset({"PAUSED"})
_ENDED = frozenset({"COMPLETED", "FAILED", "TERMINATED", "TIMED_OUT"})


@click.command()
@click.argument("workflow_id")
@_JSON
@ENV_FILE_OPTION
def pause(workflow_id: str, as_json: bool, env_file: Path | None) -> None:
    """Pause the running execution WORKFLOW_ID: the server schedules no further task until
    it is resumed (tasks already running finish). Exit 1 unless it is RUNNING."""
    call = _guarded(workflow_id, _RUNNING, "paused", lambda api: api.pause(workflow_id))
    _report("paused", workflow_id, _act(env_file, workflow_id, call), as_json)


@click.command()
@click.argument("workflow_id")
@_JSON
@ENV_FILE_OPTION
def resume(workflow_id: str, as_json: bool, env_file: Path | None) -> None:
    """Resume the paused execution WORKFLOW_ID where it stopped. Exit 1 unless it is
    PAUSED."""
    call = _guarded(workflow_id, _PAUSED, "resumed", lambda api: api.resume(workflow_id))
    _report("resumed", workflow_id, _act(env_file, workflow_id, call), as_json)


@click.command()
@click.argument("workflow_id")
@click.option(
    "--latest-definition",
    is_flag=True,
    help="Run the latest registered version of the workflow instead of the one it ran.",
)
@_JSON
@ENV_FILE_OPTION
def restart(
    workflow_id: str, latest_definition: bool, as_json: bool, env_file: Path | None
) -> None:
    """Run the ended execution WORKFLOW_ID again from its start, with the same input and
    under the same id (its earlier tasks are replaced). Exit 1 unless it has ended."""

    def restart_it(api: ConductorApi) -> None:
        api.restart(workflow_id, latest_definition=latest_definition)

    call = _guarded(workflow_id, _ENDED, "restarted", restart_it)
    _report("restarted", workflow_id, _act(env_file, workflow_id, call), as_json)


@click.command()
@click.argument("workflow_id")
@click.option(
    "--from-task",
    "from_task",
    metavar="REF",
    help="Run again from this task (its reference; the latest run of it) instead of from the "
    "start: the tasks before it keep their results.",
)
@_JSON
@ENV_FILE_OPTION
def rerun(workflow_id: str, from_task: str | None, as_json: bool, env_file: Path | None) -> None:
    """Run the ended execution WORKFLOW_ID again under the same id, from its start or from
    one task (--from-task). Exit 1 unless it has ended, or if it has no such task."""

    def rerun_it(api: ConductorApi) -> None:
        api.rerun(workflow_id, None if from_task is None else _task_id(api, workflow_id, from_task))

    call = _guarded(workflow_id, _ENDED, "rerun", rerun_it)
    _report("rerun", workflow_id, _act(env_file, workflow_id, call), as_json)


def _task_id(api: ConductorApi, workflow_id: str, ref: str) -> str:
    """The id of the latest run of the task `ref` (with or without a loop's `__N`)."""
    tasks = api.execution(workflow_id).get("tasks") or []
    runs = [t for t in tasks if _ITERATION.sub("", str(t.get("referenceTaskName"))) == ref]
    if not runs:
        known = ", ".join(sorted({str(t.get("referenceTaskName")) for t in tasks})) or "none"
        raise click.ClickException(f"{workflow_id} has no task {ref!r} (it has: {known})")
    return str(max(runs, key=lambda t: t.get("seq") or 0)["taskId"])

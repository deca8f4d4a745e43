"""`deploy-dsl run` and `deploy-dsl status`: start a workflow, follow an execution."""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from deploy_dsl.cli.common import (
    DEFINITIONS_OPTION,
    ENV_FILE_OPTION,
    connect,
    load_definitions,
    settings,
)
from deploy_dsl.errors import DeployDslError

if TYPE_CHECKING:
    from deploy_dsl.client.api import ConductorApi
    from deploy_dsl.wire import WorkflowDef
    from deploy_dsl.workflow import AnyWorkflow

__all__ = ["follow", "run", "start", "status"]

_EXIT_FAILED = 1
# How often `run --wait` looks for a gate that began waiting (one request per running
# sub-workflow): soon enough for a person watching.
_GATE_CHECK_SECONDS = 2.0


def _read_input(source: str | None) -> dict[str, Any]:
    if source is None:
        return {}
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as error:
        message = f"cannot read {source}: {error.strerror}"
        raise click.BadParameter(message, param_hint="--input") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise click.BadParameter(
            f"{source}:{error.lineno}: not JSON: {error.msg}", param_hint="--input"
        ) from error
    if not isinstance(data, dict):
        raise click.BadParameter(f"{source}: must be a JSON object", param_hint="--input")
    return data


def _validated_input(workflow: AnyWorkflow, data: dict[str, Any], source: str) -> dict[str, Any]:
    from pydantic import ValidationError

    model = workflow.input_model
    if model is None:
        return data
    try:
        checked: dict[str, Any] = model.model_validate(data).model_dump(mode="json", by_alias=True)
    except ValidationError as error:
        lines = [f"input for {workflow.name} ({source}) is not valid:"]
        for problem in error.errors():
            where = ".".join(str(p) for p in problem["loc"]) or "(top level)"
            lines.append(f"  {where}: {problem['msg']}")
        raise click.ClickException("\n".join(lines)) from error
    return checked


@click.command()
@click.argument("workflow_name", metavar="WORKFLOW")
@click.option(
    "--input", "input_source", metavar="FILE|-", help="JSON input (a file or - for stdin)."
)
@click.option("--wait", is_flag=True, help="Follow the execution until it ends.")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait with --wait.")
@DEFINITIONS_OPTION
@ENV_FILE_OPTION
def run(
    workflow_name: str,
    input_source: str | None,
    wait: bool,
    timeout: float,
    definitions: str,
    env_file: Path | None,
) -> None:
    """Start WORKFLOW (its latest version in the definitions) and print its id.

    The input is checked against the workflow's input model before anything is sent. If the
    version registered on the server differs from what the definitions compile to now (or is
    not registered), one warning line says so on stderr. With --wait, each task is printed as
    it finishes, then the final status and output; the exit code is 0 for COMPLETED and 1 for
    FAILED, TERMINATED or TIMED_OUT.
    """
    api, workflow_id = start(workflow_name, input_source, definitions, env_file)
    if wait:
        execution = follow(api, workflow_id, timeout, sys.stderr)
        _finish(execution)


def start(
    workflow_name: str, input_source: str | None, definitions: str, env_file: Path | None = None
) -> tuple[ConductorApi, str]:
    """Checks the input against the workflow's model, warns if the server holds another
    definition of that version, starts it, and prints its id."""
    try:
        workflow = load_definitions(definitions).workflow(workflow_name)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    inputs = _validated_input(workflow, _read_input(input_source), input_source or "no input")
    active = settings(env_file)
    api = connect(active)
    try:
        warning = _registered_differs(api, workflow.compile(active.compile_options()).definition)
        if warning:
            click.echo(f"warning: {warning}", err=True)
        workflow_id = api.start(workflow.name, workflow.version, inputs)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"started {workflow.name} v{workflow.version}: {workflow_id}")
    return api, workflow_id


def _registered_differs(api: ConductorApi, definition: WorkflowDef) -> str | None:
    """One line if the server's copy of the version is not what the definitions compile to:
    the run would execute the server's, not the one in the code."""
    from deploy_dsl.client.api import ServerError
    from deploy_dsl.client.diff import workflow_changes
    from deploy_dsl.wire import dump

    label = f"{definition.name} v{definition.version}"
    try:
        held = api.workflow_def(definition.name, definition.version or 1)
    except ServerError as error:  # e.g. a key that may start workflows but not read metadata
        return f"could not compare {label} with the server's copy: {error.message}"
    if held is None:
        return f"{label} is not registered on {api.url}; `deploy-dsl register` registers it"
    changes = workflow_changes(dump(definition), held)
    if not changes:
        return None
    more = f" and {len(changes) - 1} more" if len(changes) > 1 else ""
    return (
        f"{label} on {api.url} differs from the definitions ({changes[0].path}{more}): it "
        "runs as registered; `deploy-dsl plan` shows the diff, `deploy-dsl register` applies it"
    )


def follow(api: ConductorApi, workflow_id: str, timeout: float, progress: TextIO) -> dict[str, Any]:
    """Prints each task as it finishes, each approval gate it comes to wait on (with the
    commands that decide it), and a progress line while waiting; returns the execution once
    it has ended."""
    from deploy_dsl.client.timeline import (
        TERMINAL_STATUSES,
        finished_tasks,
        progress_line,
        task_key,
        task_line,
    )

    gc.enable()  # entry.py turned it off for short commands; this one may poll for minutes
    shown: set[str] = set()
    gates_shown: set[str] = set()
    started = last_note = time.monotonic()
    last_gate_check = 0.0
    while True:
        try:
            execution: dict[str, Any] = api.execution(workflow_id)
            if time.monotonic() - last_gate_check >= _GATE_CHECK_SECONDS:
                last_gate_check = time.monotonic()
                for line in _new_gates(api, execution, gates_shown):
                    click.echo(line)
                    last_note = time.monotonic()
        except DeployDslError as error:
            raise click.ClickException(str(error)) from None
        for task in finished_tasks(execution):
            if task_key(task) not in shown:
                shown.add(task_key(task))
                click.echo(task_line(task))
                last_note = time.monotonic()
        if execution.get("status") in TERMINAL_STATUSES:
            return execution
        elapsed = time.monotonic() - started
        if elapsed > timeout:
            raise click.ClickException(
                f"{workflow_id} still {execution.get('status')} after {timeout:.0f}s"
            )
        if time.monotonic() - last_note >= 3:
            progress.write(progress_line(execution, elapsed) + "\n")
            progress.flush()
            last_note = time.monotonic()
        time.sleep(0.25)


def _new_gates(api: ConductorApi, execution: dict[str, Any], shown: set[str]) -> list[str]:
    """The lines for approval gates that began waiting since the last look (none unless the
    execution runs a WAIT or a sub-workflow, where a gate can be)."""
    from deploy_dsl.client.approvals import gates_in
    from deploy_dsl.client.timeline import approval_lines
    from deploy_dsl.client.tree import load_tree

    tasks = execution.get("tasks") or []
    if not any(
        t.get("taskType") in ("WAIT", "SUB_WORKFLOW") and t.get("status") == "IN_PROGRESS"
        for t in tasks
    ):
        return []
    root = str(execution.get("workflowId"))
    tree = load_tree(
        lambda id_: execution if id_ == root else api.execution(id_), root, running_only=True
    )
    fresh = [gate for gate in gates_in(tree) if gate.task_id not in shown]
    shown.update(gate.task_id for gate in fresh)
    return approval_lines(fresh, root, _now_ms()) if fresh else []


def _now_ms() -> int:
    return int(time.time() * 1000)


def _finish(execution: dict[str, Any]) -> None:
    from deploy_dsl.client.timeline import outcome_lines

    for line in outcome_lines(execution):
        click.echo(line)
    if execution.get("status") != "COMPLETED":
        sys.exit(_EXIT_FAILED)


@click.command()
@click.argument("workflow_id")
@click.option(
    "--gantt",
    is_flag=True,
    help="Print a Mermaid gantt chart of the execution instead: its steps and those of every "
    "sub-workflow it started, on one time axis (exit 0 however it ended).",
)
@ENV_FILE_OPTION
def status(workflow_id: str, gantt: bool, env_file: Path | None) -> None:
    """Print the timeline and outcome of the execution WORKFLOW_ID (exit 1 unless COMPLETED).

    While it runs, an approval gate it waits on (in it or in a sub-workflow it runs) is shown
    with the commands that approve or reject it.
    """
    from deploy_dsl.client.approvals import waiting_gates
    from deploy_dsl.client.timeline import (
        TERMINAL_STATUSES,
        approval_lines,
        finished_tasks,
        progress_line,
        task_line,
    )

    api = connect(settings(env_file))
    if gantt:
        _print_gantt(api, workflow_id)
        return
    try:
        execution, gates = waiting_gates(api, workflow_id)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    for task in finished_tasks(execution):
        click.echo(task_line(task))
    if execution.get("status") not in TERMINAL_STATUSES:
        click.echo(progress_line(execution, 0).replace(" after 0.0s", ""))
        for line in approval_lines(gates, workflow_id, _now_ms()):
            click.echo(line)
        return
    _finish(dict(execution))


def _print_gantt(api: ConductorApi, workflow_id: str) -> None:
    from deploy_dsl.client.gantt import gantt
    from deploy_dsl.client.tree import load_tree

    try:
        tree = load_tree(api.execution, workflow_id)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    click.echo(gantt(tree, _now_ms()), nl=False)

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
    compile_definitions,
    connect,
    load_definitions,
    print_findings,
    settings,
)
from deploy_dsl.errors import DeployDslError
from deploy_dsl.findings import printable

if TYPE_CHECKING:
    from deploy_dsl.client.api import ConductorApi
    from deploy_dsl.client.settings import Settings
    from deploy_dsl.project import Project
    from deploy_dsl.wire import WorkflowDef
    from deploy_dsl.workflow import AnyWorkflow

__all__ = ["ROLLED_BACK_OK_OPTION", "follow", "run", "start", "status"]
# How often `run --wait` looks for a gate that began waiting (one request per running
# sub-workflow): soon enough for a person watching.
_GATE_CHECK_SECONDS = 2.0

ROLLED_BACK_OK_OPTION = click.option(
    "--rolled-back-ok",
    is_flag=True,
    help="Exit 0, not 3, for an execution that completed with output `outcome: rolled_back` "
    "(a deploy that rolled back cleanly).",
)


class StillRunning(click.ClickException):
    """`run --wait` gave up waiting: exit 2, as `status` for a running execution."""

    exit_code = 2


def _read_input(source: str | None) -> dict[str, Any]:
    from deploy_dsl.limits import MAX_INPUT_FILE_BYTES
    from deploy_dsl.workspace.files import decode_utf8, read_text

    if source is None:
        return {}
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_INPUT_FILE_BYTES + 1)
            if len(raw) > MAX_INPUT_FILE_BYTES:
                raise DeployDslError(
                    f"stdin: the input is larger than {MAX_INPUT_FILE_BYTES // 1024} KB, more "
                    "than the server accepts for a workflow's input"
                )
            text = decode_utf8(raw, "stdin", "input")
        else:
            text = read_text(Path(source), limit=MAX_INPUT_FILE_BYTES, what="input")
    except DeployDslError as error:
        raise click.ClickException(f"--input: {printable(str(error))}") from None
    # One line and exit 1 like every error (a usage error would exit 2, which `run` documents
    # for nothing).
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise click.ClickException(
            f"--input: {source}:{error.lineno}: not JSON: {error.msg}"
        ) from error
    if not isinstance(data, dict):
        raise click.ClickException(f"--input: {source}: must be a JSON object")
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
@click.argument("workflow_name", metavar="WORKFLOW[:VERSION]")
@click.option(
    "--input", "input_source", metavar="FILE|-", help="JSON input (a file or - for stdin)."
)
@click.option("--wait", is_flag=True, help="Follow the execution until it ends.")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait with --wait.")
@ROLLED_BACK_OK_OPTION
@DEFINITIONS_OPTION
@ENV_FILE_OPTION
def run(
    workflow_name: str,
    input_source: str | None,
    wait: bool,
    timeout: float,
    rolled_back_ok: bool,
    definitions: str,
    env_file: Path | None,
) -> None:
    """Start WORKFLOW (its latest version in the definitions) and print its id.

    The input is checked against the workflow's input model before anything is sent, and a
    workflow that reads `${workflow.secrets.*}` (or starts one that does) is refused when the
    server is Conductor OSS, which passes it on as text. If the version registered on the
    server differs from what the definitions compile to now (or is not registered), one
    warning line says so on stderr. A workflow the definitions do not have is started as the
    server holds it (its latest version, or WORKFLOW:VERSION), its input unchecked.

    With --wait, each task is printed as it finishes, then the final status and output. Exit
    codes: 0 COMPLETED; 3 COMPLETED with output `outcome: rolled_back` (0 with
    --rolled-back-ok); 1 FAILED, TERMINATED or TIMED_OUT; 2 still running when --timeout
    passed.
    """
    api, workflow_id = start(workflow_name, input_source, definitions, env_file)
    if wait:
        execution = follow(api, workflow_id, timeout, sys.stderr)
        _finish(execution, rolled_back_ok)


def start(
    workflow_name: str, input_source: str | None, definitions: str, env_file: Path | None = None
) -> tuple[ConductorApi, str]:
    """Checks the input against the workflow's model, warns if the server holds another
    definition of that version, starts it, and prints its id; a workflow only the server
    has is started as registered."""
    from deploy_dsl.client.inventory import parse_key

    project = load_definitions(definitions)
    name, version = parse_key(workflow_name)
    defined = [w for w in project.workflows if w.name == name]
    if not defined or (version is not None and version not in {w.version for w in defined}):
        return _start_registered(name, version, input_source, env_file)
    workflow = project.workflow(name) if version is None else _version(defined, version)
    inputs = _validated_input(workflow, _read_input(input_source), input_source or "no input")
    active = settings(env_file)
    api = connect(active)
    if not api.resolves_secrets:
        _refuse_unresolved_secrets(project, workflow.name, active)
    try:
        warning = _registered_differs(api, workflow.compile(active.compile_options()).definition)
        if warning:
            click.echo(f"warning: {warning}", err=True)
        workflow_id = api.start(workflow.name, workflow.version, inputs)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"started {workflow.name} v{workflow.version}: {workflow_id}")
    return api, workflow_id


def _refuse_unresolved_secrets(project: Project, name: str, active: Settings) -> None:
    """Stops, naming each task, if the workflow (or one it starts) reads a secret: Conductor
    OSS passes `${workflow.secrets.*}` on as text."""
    from deploy_dsl.findings import Code
    from deploy_dsl.kinds import workflow_calls

    compiled = compile_definitions(project, active.compile_options(), secrets_resolved=False)
    by_name = {w.name: w for w in compiled.workflows}
    reached, waiting = {name}, [name]
    while waiting:
        current = by_name.get(waiting.pop())
        for call in workflow_calls(current) if current is not None else ():
            if call.name not in reached:
                reached.add(call.name)
                waiting.append(call.name)
    unresolved = [
        finding
        for finding in compiled.findings
        if finding.code is Code.SECRETS_NOT_RESOLVED and finding.workflow in reached
    ]
    if unresolved:
        print_findings(unresolved)
        raise click.ClickException(
            f"{name} reads {len(unresolved)} secret(s) this server does not resolve; nothing "
            "started"
        )


def _version(defined: list[AnyWorkflow], version: int) -> AnyWorkflow:
    return next(w for w in defined if w.version == version)


def _start_registered(
    name: str, version: int | None, input_source: str | None, env_file: Path | None
) -> tuple[ConductorApi, str]:
    """A workflow the definitions do not have: started as the server holds it."""
    api = connect(settings(env_file))
    inputs = _read_input(input_source)
    label = name if version is None else f"{name} v{version}"
    try:
        versions = sorted(int(w["version"]) for w in api.workflow_defs() if w.get("name") == name)
        if not versions or (version is not None and version not in versions):
            held = ", ".join(f"v{v}" for v in versions) or "no version"
            raise click.ClickException(
                f"{label} is neither in the definitions nor registered on {api.url} "
                f"(the server has {held})"
            )
        chosen = version if version is not None else versions[-1]
        click.echo(
            f"note: {name} is not in the definitions: v{chosen} starts as registered on "
            f"{api.url}, its input unchecked",
            err=True,
        )
        workflow_id = api.start(name, chosen, inputs)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"started {name} v{chosen}: {workflow_id}")
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
    """Prints each task as it finishes (an analysis's measurement with its readings), each
    approval gate or canary pause it comes to wait on (with the commands that decide it), and
    a progress line while waiting; returns the execution once it has ended."""
    from deploy_dsl.client.canary import measurement_lines
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
                for line in measurement_lines(task):
                    click.echo(line)
                last_note = time.monotonic()
        if execution.get("status") in TERMINAL_STATUSES:
            return execution
        elapsed = time.monotonic() - started
        if elapsed > timeout:
            raise StillRunning(
                f"{workflow_id} still {execution.get('status')} after {timeout:.0f}s "
                f"(`deploy-dsl status {workflow_id}` follows it)"
            )
        if time.monotonic() - last_note >= 3:
            progress.write(progress_line(execution, elapsed) + "\n")
            progress.flush()
            last_note = time.monotonic()
        time.sleep(0.25)


def _new_gates(api: ConductorApi, execution: dict[str, Any], shown: set[str]) -> list[str]:
    """The lines for approval gates and canary pauses that began waiting since the last look
    (none unless the execution runs a WAIT or a sub-workflow, where one can be)."""
    from deploy_dsl.client.approvals import gates_in
    from deploy_dsl.client.canary import pause_lines, pauses_in
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
    paused = [pause for pause in pauses_in(tree) if pause.task_id not in shown]
    shown.update(gate.task_id for gate in [*fresh, *paused])
    return [*approval_lines(fresh, root, _now_ms()), *pause_lines(paused, root, _now_ms())]


def _now_ms() -> int:
    return int(time.time() * 1000)


def _finish(execution: dict[str, Any], rolled_back_ok: bool) -> None:
    from deploy_dsl.client.outcome import EXIT_ROLLED_BACK, exit_code
    from deploy_dsl.client.timeline import outcome_lines

    for line in outcome_lines(execution):
        click.echo(line)
    code = exit_code(execution, rolled_back_ok=rolled_back_ok)
    if code == EXIT_ROLLED_BACK:
        click.echo(
            "exit 3: it completed, and its outcome is rolled_back (--rolled-back-ok: exit 0)",
            err=True,
        )
    if code:
        sys.exit(code)


@click.command()
@click.argument("workflow_id")
@click.option(
    "--gantt",
    is_flag=True,
    help="Print a Mermaid gantt chart of the execution instead: its steps and those of every "
    "sub-workflow it started, on one time axis (exit 0 however it ended).",
)
@ROLLED_BACK_OK_OPTION
@ENV_FILE_OPTION
def status(workflow_id: str, gantt: bool, rolled_back_ok: bool, env_file: Path | None) -> None:
    """Print the timeline and outcome of the execution WORKFLOW_ID.

    A canary analysis's measurements are shown under their tasks: each metric's value, its
    condition and its verdict, per interval. While it runs, an approval gate or a canary pause
    it waits on (in it or in a sub-workflow it runs) is shown with the commands that decide it.
    Exit codes: 0 COMPLETED; 3 COMPLETED with output `outcome: rolled_back` (0 with
    --rolled-back-ok); 2 RUNNING or PAUSED; 1 FAILED, TERMINATED or TIMED_OUT.
    """
    from deploy_dsl.client.approvals import gates_in
    from deploy_dsl.client.canary import measurement_lines, pause_lines, pauses_in
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
    from deploy_dsl.client.tree import load_tree

    try:
        tree = load_tree(api.execution, workflow_id, running_only=True)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    execution = tree.execution
    for task in finished_tasks(execution):
        click.echo(task_line(task))
        for line in measurement_lines(task):
            click.echo(line)
    if execution.get("status") not in TERMINAL_STATUSES:
        click.echo(progress_line(execution, 0).replace(" after 0.0s", ""))
        for line in approval_lines(gates_in(tree), workflow_id, _now_ms()):
            click.echo(line)
        for line in pause_lines(pauses_in(tree), workflow_id, _now_ms()):
            click.echo(line)
    _finish(dict(execution), rolled_back_ok)


def _print_gantt(api: ConductorApi, workflow_id: str) -> None:
    from deploy_dsl.client.gantt import gantt
    from deploy_dsl.client.tree import load_tree

    try:
        tree = load_tree(api.execution, workflow_id)
    except DeployDslError as error:
        raise click.ClickException(str(error)) from None
    click.echo(gantt(tree, _now_ms()), nl=False)

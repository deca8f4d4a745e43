"""`make demo`: build, start the local server and worker, register, run the seed's three
scenarios, and sum up what happened (an edge: it drives the CLI's own commands)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import click

from deploy_dsl.cli import main as cli
from deploy_dsl.cli.common import project, settings
from deploy_dsl.cli.run import follow, start
from deploy_dsl.local import stack

__all__ = ["main"]


@dataclass(frozen=True)
class Scenario:
    title: str
    workflow: str
    input_file: str
    expected_status: str


SCENARIOS = (
    Scenario("deploy that rolls back (scope service-a)", "deploy_simple_v1",
             "samples/deploy_input.json", "COMPLETED"),
    Scenario("deploy that finalizes (scope svc-success)", "deploy_simple_v1",
             "samples/deploy_success_input.json", "COMPLETED"),
    Scenario("pipeline of two waves", "pipeline_simple_v1",
             "samples/pipeline_input.json", "COMPLETED"),
)  # fmt: skip


def _step(title: str, args: list[str]) -> None:
    click.secho(f"\n== {title}: deploy-dsl {' '.join(args)}", bold=True)
    try:
        cli.main(args, standalone_mode=False)
    except click.ClickException as error:
        error.show()
        sys.exit(1)


def _scenario(scenario: Scenario) -> dict[str, Any]:
    click.secho(f"\n== {scenario.title}: {scenario.workflow} < {scenario.input_file}", bold=True)
    api, workflow_id = start(scenario.workflow, scenario.input_file, project().definitions)
    return follow(api, workflow_id, 300, sys.stderr)


def _outcome(execution: dict[str, Any]) -> str:
    output = execution.get("output") or {}
    if "outcome" in output:
        return f"outcome {output['outcome']}"
    last = output.get("lastWave") or {}
    if last:
        return f"{output.get('waves')} waves; last wave rolled back {last.get('rolledBack')}"
    return str(execution.get("reasonForIncompletion") or "")


def main() -> None:
    active = settings()  # a contradiction between ports and URLs stops the demo here
    click.echo(f"Conductor: {active.conductor_url}  ·  worker: {active.worker_url}")
    _step("build", ["build", "--readme", "README.md"])
    _step("start Conductor and the worker", ["server", "up"])
    _step("register", ["register"])
    results = [(scenario, _scenario(scenario)) for scenario in SCENARIOS]
    click.secho("\n== summary", bold=True)
    failed = False
    for scenario, execution in results:
        status = execution.get("status", "?")
        ok = status == scenario.expected_status
        failed |= not ok
        took = ((execution.get("endTime") or 0) - (execution.get("startTime") or 0)) / 1000
        click.echo(
            f"  {'ok ' if ok else 'BAD'} {scenario.title:44s} {status:10s} {took:5.1f}s  "
            f"{_outcome(execution)}  ({execution.get('workflowId')})"
        )
    # The Conductor jar has no web UI (its / is a page of links): the dashboard is the one.
    urls = stack.up(
        stack.Ports(
            active.local_conductor_port,
            active.local_worker_port,
            active.dashboard_port,
            active.local_prometheus_port,
        ),
        dashboard_token=active.dashboard_token.get_secret_value()
        if active.dashboard_token
        else None,
    )
    link = stack.dashboard_link(urls.dashboard or "", urls.dashboard_token)
    click.echo(f"\nDashboard: {link}  ·  stop everything: make down")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

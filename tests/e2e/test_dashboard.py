"""The dashboard in a real browser (the system's headless Chromium, through Playwright) against
the real local stack: a rollout waits at its gate and is approved from the page (refused
without the token), a canary judged by the real Prometheus shows its measurements and is
promoted from the page (refused without the token), a rolled-back deploy shows the path through
its SWITCH and the rollback sub-workflow with every task's input and output, a failed deploy
shows its reason whole, and a hostile scope is shown as text, never run.

The tests take screenshots; `make screenshots` (DEPLOY_DSL_SCREENSHOTS=1) writes them to
docs/screenshots/ for the README, otherwise they go to the test's temporary directory. No
assertion compares pixels.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, FloatRect, Page, expect

from deploy_dsl.client.approvals import gates_in
from deploy_dsl.client.canary import pauses_in, reading_text
from deploy_dsl.client.settings import load_settings
from deploy_dsl.client.tree import load_tree
from deploy_dsl.local import stack as local_stack
from tests.e2e.browser import chromium
from tests.e2e.support import (
    REPO_ROOT,
    CliResult,
    Conductor,
    Stack,
    healthy,
    progress,
    tasks_of,
    wait_until,
)

pytestmark = pytest.mark.e2e

SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
TOKEN_HEADER = "X-Dashboard-Token"
_LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# Long enough for a deploy's retries (10, 1 s apart) on a busy machine.
SLOW = 90_000
HOSTILE = "<script>alert(1)</script>"
# A canary measuring every 2 s, twice per step, as tests/e2e/test_canary.py runs it.
QUICK_CANARY = {"interval": "2s", "count": 2, "window": "10s", "pause_before_full": "manual"}


@dataclass(frozen=True)
class Dashboard:
    url: str
    token: str


@pytest.fixture(scope="module")
def dashboard(stack: Stack) -> Iterator[Dashboard]:
    """The dashboard `make up` started, or one started here (and stopped at the end)."""
    settings = load_settings()
    configured = settings.dashboard_token.get_secret_value() if settings.dashboard_token else None
    url = local_stack.local_url(settings.dashboard_port)
    ports = local_stack.Ports(stack.conductor_port, stack.worker_port, settings.dashboard_port)
    with local_stack.started_for(ports, progress=progress, dashboard_token=configured) as urls:
        assert urls.dashboard == url and healthy(url), f"no dashboard at {url}"
        token = configured or urls.dashboard_token
        assert token, "the dashboard was started without a token anyone knows"
        yield Dashboard(url, token)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    dialogs: list[str] = []
    # A script smuggled in through a value would most likely alert(): none may open.
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    opened.set_default_timeout(30_000)
    yield opened
    context.close()
    assert dialogs == [], f"the page opened dialogs: {dialogs}"


def shoot(
    page: Page, name: str, tmp_path: Path, *, full_page: bool = True, down_to: str | None = None
) -> Path:
    """A screenshot: into docs/screenshots/ when refreshing them, else tmp_path. `down_to`:
    from the top of the page to the bottom of that element only."""
    folder = SCREENSHOTS if os.environ.get("DEPLOY_DSL_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    box = page.locator(down_to).bounding_box() if down_to else None
    if box is not None:
        width = page.viewport_size["width"] if page.viewport_size else 1400
        clip: FloatRect = {"x": 0, "y": 0, "width": width, "height": box["y"] + box["height"] + 16}
        page.screenshot(path=str(path), full_page=True, clip=clip)
    else:
        page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 0
    return path


def post(url: str, body: dict[str, Any], token: str | None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers[TOKEN_HEADER] = token
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    try:
        with _LOOPBACK.open(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def start(conductor: Conductor, workflow: str, inputs: dict[str, Any]) -> str:
    """Starts the version build/ holds (the one `registered` registered), through the API:
    a CLI process would take seconds to start."""
    built = json.loads((REPO_ROOT / "build" / "workflows" / f"{workflow}.json").read_text())
    return conductor.api.start(workflow, int(built["version"]), inputs)


@pytest.fixture
def started(conductor: Conductor) -> Iterator[list[str]]:
    """Executions a test started: any still running at its end (a failed test's rollout
    waiting at its gate) is terminated."""
    ids: list[str] = []
    yield ids
    for workflow_id in ids:
        if conductor.execution(workflow_id).get("status") == "RUNNING":
            conductor.api.terminate(workflow_id, "left running by a failed dashboard test")


def service(scope: str) -> dict[str, str]:
    return {"scope": scope, "version": "2.4.0", "env": "e2e"}


@dataclass(frozen=True)
class Deploys:
    rolled_back: str  # a deploy whose scope is hostile HTML; it rolls back
    scope: str
    failed: str  # a deploy whose health check always fails; it ends FAILED


@pytest.fixture(scope="module", autouse=True)
def deploys(registered: CliResult, stack: Stack, conductor: Conductor) -> Iterator[Deploys]:
    """Both deploys start before the module's first test, so that their steps and retries (10,
    1 s apart) run while the rollout test runs."""
    unique = uuid.uuid4().hex[:8]
    failing = f"svc-failing-{unique}"
    quoted = urllib.parse.quote(failing, safe="")
    fault = urllib.request.Request(
        f"{stack.worker_url}/faults/{quoted}/effective_status",
        data=json.dumps({"fail": 1000}).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    _LOOPBACK.open(fault, timeout=10).close()
    # Not `svc-`: the health check fails and the deploy rolls back. The scope is hostile HTML.
    scope = f'{HOSTILE}<img src=x onerror="alert(2)">-{unique}'
    try:
        yield Deploys(
            start(conductor, "deploy_simple_v1", service(scope)),
            scope,
            start(conductor, "deploy_simple_v1", service(failing)),
        )
    finally:
        undo = urllib.request.Request(f"{stack.worker_url}/faults/{quoted}", method="DELETE")
        _LOOPBACK.open(undo, timeout=10).close()


def test_a_rollout_waits_at_its_gate_and_is_approved_from_the_page(
    registered: CliResult,
    conductor: Conductor,
    dashboard: Dashboard,
    page: Page,
    unique: str,
    tmp_path: Path,
    started: list[str],
) -> None:
    scopes = [f"svc-api-{unique}", f"svc-web-{unique}", f"svc-search-{unique}"]
    rollout_id = start(
        conductor,
        "rollout_v1",
        {
            "waves": [
                {"name": "staging", "services": [service(scopes[0])]},
                {
                    "name": "production",
                    "services": [service(s) for s in scopes[1:]],
                    "approval": {},
                },
            ]
        },
    )
    started.append(rollout_id)
    page.goto(f"{dashboard.url}/rollouts/{rollout_id}")
    # The page updates itself: the gate shows up once wave 1 is done, without a reload.
    approve = page.locator(".wave[data-wave='2'] .gate button.approve")
    expect(approve).to_be_visible(timeout=SLOW)
    expect(page.locator(".wave[data-wave='2'] .badge").first).to_have_text("waiting for approval")
    wave_1 = page.locator(f".wave[data-wave='1'] li.service[data-scope='{scopes[0]}']")
    expect(wave_1.locator(".badge")).to_have_text("finalized")
    for scope in scopes[1:]:
        waiting = page.locator(f".wave[data-wave='2'] li.service[data-scope='{scope}']")
        expect(waiting.locator(".badge")).to_have_text("not started")
        expect(waiting).to_contain_text("waits for the wave's approval")
    shoot(page, "rollout-waiting-at-gate.png", tmp_path)

    # Without the token the page's Approve is refused, and so is the request itself.
    expect(page.locator("#token-state")).to_have_text("no token: decisions are refused")
    approve.click()
    expect(page.locator("#notice")).to_contain_text("refused (403)")
    tree = load_tree(conductor.execution, rollout_id)
    (gate,) = gates_in(tree)
    endpoint = f"{dashboard.url}/api/executions/{gate.workflow_id}/approve"
    for token in (None, "not-the-token"):
        status, answer = post(endpoint, {"gate": gate.gate}, token)
        assert (status, "token" in answer["error"]) == (403, True), answer
    assert gates_in(load_tree(conductor.execution, rollout_id)) == [gate], "it was decided"

    # With the token (as `server up` prints it, in the URL's fragment) it goes through.
    page.goto(f"{dashboard.url}/rollouts/{rollout_id}#token={dashboard.token}")
    expect(page.locator("#token-state")).to_have_text("token set: decisions allowed")
    assert "token" not in page.url, "the token stays in the address bar"
    page.fill("#by-input", "e2e-approver")
    page.locator(".wave[data-wave='2'] .gate button.approve").click()
    expect(page.locator("#notice")).to_contain_text("approved wave 2 (production) as e2e-approver")
    status = page.locator("dl.facts .badge")
    expect(status).to_have_text("COMPLETED", timeout=SLOW)
    for scope in scopes[1:]:
        done = page.locator(f".wave[data-wave='2'] li.service[data-scope='{scope}'] .badge")
        expect(done).to_have_text("finalized")
    expect(page.locator(".wave[data-wave='2']")).to_contain_text("approved by e2e-approver")
    expect(page.locator(".timeline .tl-lane").first).to_be_visible()
    shoot(page, "rollout-approved.png", tmp_path)

    execution = conductor.execution(rollout_id)
    assert execution["status"] == "COMPLETED"
    assert execution["output"]["waves"][1]["approval"]["by"] == "e2e-approver"


def test_a_canary_shows_its_measurements_and_is_promoted_from_the_page(
    registered: CliResult,
    prometheus: str,
    conductor: Conductor,
    dashboard: Dashboard,
    page: Page,
    unique: str,
    tmp_path: Path,
    started: list[str],
) -> None:
    scope = f"svc-canary-{unique}"
    canary_id = start(conductor, "canary_v1", {**service(scope), **QUICK_CANARY})
    started.append(canary_id)
    page.goto(f"{dashboard.url}/executions/{canary_id}")
    # The panel updates itself until the canary pauses at 50 %, before the full step.
    promote = page.locator("#canary .pause button[data-action='promote']")
    expect(promote).to_be_visible(timeout=SLOW)
    expect(page.locator("#canary .canary-state .badge")).to_have_text("waiting")
    expect(page.locator("#canary .canary-traffic")).to_have_text("50% to the new version")
    states = page.locator("#canary tr.canary-step-row td.step-state")
    expect(states).to_have_text(["done", "done", "waiting", "not started"])
    # Each measurement Prometheus answered, as Conductor holds it, on the page.
    paused = conductor.execution(canary_id)
    measured = [t for t in tasks_of(paused, "INLINE") if "canaryAnalysis" in t["inputData"]]
    newest = {t["inputData"]["canaryAnalysis"]["analysis"]: t for t in measured}
    assert sorted(newest) == [f"canary_{n}_analysis" for n in (1, 2, 3)]
    for ref, task in newest.items():
        step = ref.split("_")[1]
        for measurement in task["outputData"]["result"]["measurements"]:
            for reading in measurement["readings"]:
                row = page.locator(
                    f"#canary tr.reading[data-step='{step}']"
                    f"[data-measurement='{measurement['number']}'][data-metric='{reading['metric']}']"
                )
                expect(row.locator("td.value")).to_have_text(reading_text(reading)[0])
                expect(row.locator("td.condition")).to_have_text(reading["condition"])
                expect(row.locator("td.verdict-cell")).to_have_text(reading["verdict"])
    expect(page.locator("#canary tr.reading")).to_have_count(12)
    shoot(page, "canary-waiting-at-pause.png", tmp_path, down_to="#canary")

    # Without the token the page's Promote is refused, and so is the request itself.
    promote.click()
    expect(page.locator("#notice")).to_contain_text("refused (403)")
    (pause,) = pauses_in(load_tree(conductor.execution, canary_id))
    for token in (None, "not-the-token"):
        status, answer = post(f"{dashboard.url}/api/executions/{canary_id}/promote", {}, token)
        assert (status, "token" in answer["error"]) == (403, True), answer
    assert pauses_in(load_tree(conductor.execution, canary_id)) == [pause], "it was promoted"

    # With the token it goes on to 100 % and completes.
    page.goto(f"{dashboard.url}/executions/{canary_id}#token={dashboard.token}")
    expect(page.locator("#token-state")).to_have_text("token set: decisions allowed")
    page.fill("#by-input", "e2e-promoter")
    page.locator("#canary .pause button[data-action='promote']").click()
    expect(page.locator("#notice")).to_contain_text(
        f"promoted {scope} 2.4.0 in e2e as e2e-promoter"
    )
    expect(page.locator("dl.facts .badge").first).to_have_text("COMPLETED", timeout=SLOW)
    expect(page.locator("#canary .canary-state .badge")).to_have_text("completed")
    expect(states).to_have_text(["done"] * 4)
    expect(page.locator("#canary .canary-traffic")).to_have_text("100% to the new version")
    expect(page.locator("#canary tr.canary-step-row[data-step='3']")).to_contain_text(
        "promoted at step 3 (50%) by e2e-promoter"
    )
    expect(page.locator("#canary tr.reading")).to_have_count(16)
    shoot(page, "canary-promoted.png", tmp_path, down_to="#canary")

    execution = conductor.execution(canary_id)
    assert execution["status"] == "COMPLETED"
    assert execution["output"]["outcome"] == "finalized"
    assert [a["verdict"] for a in execution["output"]["analyses"]] == ["passed"] * 4


def test_a_rolled_back_deploy_shows_the_path_and_every_task(
    conductor: Conductor, dashboard: Dashboard, page: Page, deploys: Deploys, tmp_path: Path
) -> None:
    scope, deploy_id = deploys.scope, deploys.rolled_back
    deploy = conductor.finished(deploy_id, timeout=120)
    assert deploy["output"]["outcome"] == "rolled_back"

    page.goto(f"{dashboard.url}/executions/{deploy_id}")
    expect(page.locator(".node[data-ref='decide_outcome']")).to_have_attribute(
        "data-status", "COMPLETED"
    )
    expect(page.locator(".branch[data-branch='default']")).to_have_class("branch taken")
    expect(page.locator(".branch[data-branch='success']")).to_have_class("branch not-taken")
    for ref in ("finalize", "finalize_deployment", "record_finalized"):
        expect(page.locator(f".node[data-ref='{ref}']")).to_have_attribute("data-status", "NOT_RUN")
    rollback_id = next(
        t["subWorkflowId"]
        for t in tasks_of(deploy, "SUB_WORKFLOW")
        if t["referenceTaskName"] == "rollback"
    )
    rollback = conductor.execution(rollback_id)
    inside = page.locator(".branch[data-branch='default'] details.sub")
    expect(inside).to_contain_text("rollback_deployment_v1")
    for ref in ("restore_previous_traffic", "cleanup_failed_resources", "notify_failure"):
        expect(inside.locator(f".node[data-ref='{ref}']")).to_have_attribute(
            "data-status", "COMPLETED"
        )
    # Every task of the deploy and of its rollback, with its input and output as the server
    # has them (read from the page's text, so anything escaped is shown as itself).
    for execution in (deploy, rollback):
        for task in tasks_of(execution):
            row = page.locator(f"tr.task:has(details[data-key='task-{task['taskId']}'])")
            expect(row).to_have_count(1)
            shown_input = row.locator("pre.input").text_content() or ""
            shown_output = row.locator("pre.output").text_content() or ""
            assert json.loads(shown_input) == task["inputData"], task["referenceTaskName"]
            assert json.loads(shown_output) == task["outputData"], task["referenceTaskName"]
    expect(page.locator("dd.scope-name")).to_contain_text(scope)
    assert page.locator("script").count() == 1, "only the dashboard's own script is on the page"
    assert page.locator("img").count() == 0
    shoot(page, "deploy-rolled-back.png", tmp_path)

    # The deployments list, filtered by that scope: the hostile name shown as text.
    query = urllib.parse.urlencode({"scope": scope, "workflow": "deploy_simple_v1"})
    page.goto(f"{dashboard.url}/?{query}")
    row = page.locator(f"tr[data-workflow-id='{deploy_id}']")
    expect(row.locator(".scope")).to_have_text(scope)
    expect(row.locator(".badge")).to_have_text("COMPLETED")
    assert page.locator("script").count() == 1
    page.goto(f"{dashboard.url}/")
    expect(page.locator("table.deployments tbody tr").first).to_be_visible()
    shoot(page, "deployments.png", tmp_path, full_page=False)


def test_a_failed_deploy_shows_its_reason_whole(
    conductor: Conductor, dashboard: Dashboard, page: Page, deploys: Deploys, tmp_path: Path
) -> None:
    deploy_id = deploys.failed
    deploy = conductor.finished(deploy_id, timeout=120)
    assert deploy["status"] == "FAILED"
    reason = str(deploy["reasonForIncompletion"])

    page.goto(f"{dashboard.url}/executions/{deploy_id}")
    expect(page.locator(".facts .badge")).to_have_text("FAILED")
    assert page.locator(".reason pre").first.text_content() == reason
    failed = [t for t in tasks_of(deploy) if t["status"] == "FAILED"]
    assert failed, "the deploy has no failed task"
    for task in failed:
        row = page.locator(f"tr.task:has(details[data-key='task-{task['taskId']}'])")
        assert row.locator(".reason pre").text_content() == task["reasonForIncompletion"]
    tries = sum(t["referenceTaskName"] == "effective_status" for t in tasks_of(deploy))
    assert tries > 1, "the health check was not retried"
    expect(page.locator("tr.task[data-ref='effective_status']")).to_have_count(tries)
    expect(page.locator(".node[data-ref='effective_status']")).to_have_attribute(
        "data-status", "FAILED"
    )
    shoot(page, "deploy-failed.png", tmp_path)


def test_definitions_show_the_docs_and_the_difference_between_versions(
    registered: CliResult,
    conductor: Conductor,
    dashboard: Dashboard,
    page: Page,
    unique: str,
    tmp_path: Path,
) -> None:
    page.goto(f"{dashboard.url}/definitions/deploy_simple_v1")
    expect(page.locator("article.docs h1")).to_have_text("deploy_simple_v1")
    expect(page.locator("article.docs .node[data-ref='decide_outcome']")).to_be_visible()
    page.locator("article.docs a", has_text="rollback_deployment_v1").first.click()
    expect(page.locator("article.docs h1")).to_have_text("rollback_deployment_v1")
    shoot(page, "definition.png", tmp_path)

    name = f"dashboard_diff_{unique}"

    def version(number: int, uri: str) -> dict[str, Any]:
        task = {"name": "call", "taskReferenceName": "call", "type": "HTTP",
                "inputParameters": {"http_request": {"uri": uri, "method": "GET"}}}  # fmt: skip
        return {"name": name, "version": number, "ownerEmail": "e2e@example.com",
                "schemaVersion": 2, "tasks": [task]}  # fmt: skip

    conductor.api.put_workflows([version(1, "http://a/one"), version(2, "http://a/two")])
    try:
        rows = page.locator("table.diff tbody tr")

        def compared() -> bool:  # the dashboard caches the list of definitions for 5 s
            page.goto(f"{dashboard.url}/definitions/{name}/diff")
            return rows.count() == 1

        wait_until(compared, timeout=20, what="both versions on the diff page", every=1)
        expect(rows.first).to_contain_text("tasks[call].inputParameters.http_request.uri")
        expect(rows.first).to_contain_text('"http://a/one"')
        expect(rows.first).to_contain_text('"http://a/two"')
    finally:
        for number in (1, 2):
            conductor.delete(f"metadata/workflow/{name}/{number}")

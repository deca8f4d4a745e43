"""The dashboard's web application (Flask): pages rendered on the server, a JSON twin of each
page for live updates, and the actions that change an execution.

Safe by default: every value is escaped by the templates (autoescape) and the Content Security
Policy allows only the package's own script and styles, so text from the server is shown and
never run; approve, reject, promote, abort and terminate need the token (header
X-Dashboard-Token) and are refused with 403 JSON without it; on a loopback address only a
loopback Host is answered, so a web page elsewhere cannot reach it through DNS rebinding;
values under secret-named keys, and the secrets the dashboard knows, are hidden.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, jsonify, render_template, request
from jinja2 import ChainableUndefined
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from deploy_dsl.client.api import AuthenticationFailed, ServerError, ServerUnreachable
from deploy_dsl.client.approvals import NoGateWaiting, WaitingGate, gates_in
from deploy_dsl.client.canary import pauses_in
from deploy_dsl.client.diff import workflow_changes
from deploy_dsl.client.settings import LOCAL_HOSTS
from deploy_dsl.dashboard import canary, flow, listing
from deploy_dsl.dashboard.build_dir import BuildDir
from deploy_dsl.dashboard.cache import TtlCache
from deploy_dsl.dashboard.redact import redact
from deploy_dsl.dashboard.source import Api, Source, is_finished
from deploy_dsl.dashboard.timeline import timeline
from deploy_dsl.dashboard.waves import current_steps, waves
from deploy_dsl.errors import DeployDslError
from deploy_dsl.wire import WorkflowDef

__all__ = ["TOKEN_HEADER", "DashboardConfig", "create_app"]

TOKEN_HEADER = "X-Dashboard-Token"
# Conductor's ids are UUIDs; anything else is not looked up.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
_MAX_TEXT = 2000  # a reason or a name, as typed into the page
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class DashboardConfig:
    build_dir: Path
    token: str = field(repr=False)
    host: str = "127.0.0.1"  # where it listens: a loopback one answers loopback Hosts only
    secrets: tuple[str, ...] = field(default=(), repr=False)  # never shown, wherever they are
    cache_seconds: float = 1.0  # how long an answer of the server is reused


def create_app(config: DashboardConfig, connect: Callable[[], Api]) -> Flask:
    """The app; `connect` makes the Conductor client on first use (in the serving process,
    not before a fork)."""
    app = Flask(__name__)
    # Conductor leaves out what is empty (a root execution has no parentWorkflowId): a missing
    # field reads as nothing, at any depth.
    app.jinja_env.undefined = ChainableUndefined
    app.jinja_env.autoescape = True  # every template, whatever its name
    app.json.sort_keys = False  # type: ignore[attr-defined]
    build = BuildDir(config.build_dir)
    source = _LazySource(connect, config.cache_seconds)
    secrets = (config.token, *config.secrets)
    _filters(app, secrets)
    _guards(app, config)

    # -- pages ------------------------------------------------------------------------------

    @app.get("/health")
    def health() -> Response:
        return jsonify(status="ok")

    @app.get("/")
    @app.get("/live/")
    def deployments() -> Response | str:
        names = build.workflow_names()
        try:
            filters = listing.Filters.parse(request.args, names)
        except listing.BadFilter as error:
            return _problem(400, str(error))
        now = _now_ms()
        searches = listing.queries(filters, names, now)
        answers = [source.get().search(s.query, s.free_text, s.size) for s in searches]
        summaries, total = listing.merge(answers)
        rows = listing.rows(summaries, filters, build.waves_workflows(), build.canary_workflows())
        context = {
            "rows": rows,
            "total": total,
            "filters": filters,
            "workflows": names,
            "statuses": listing.STATUSES,
            "periods": list(listing.PERIODS),
            "now_ms": now,
            "final": False,
        }
        return _page("deployments", "Deployments", context)

    @app.get("/rollouts/<workflow_id>")
    @app.get("/live/rollouts/<workflow_id>")
    def rollout(workflow_id: str) -> Response | str:
        tree = source.get().tree(_checked(workflow_id))
        root = tree.execution
        gates = gates_in(tree)
        rows = waves(tree, gates)
        placed = {gate.task_id for wave in rows or [] for gate in wave.gates}
        now = _now_ms()
        context = {
            "execution": root,
            "waves": rows,
            "loose_gates": [gate for gate in gates if gate.task_id not in placed],
            "timeline": timeline(tree, now),
            "steps": current_steps(root),
            "now_ms": now,
            "final": is_finished(root),
        }
        title = f"{root.get('workflowName', '?')} {workflow_id}"
        return _page("rollout", title, context)

    @app.get("/executions/<workflow_id>")
    @app.get("/live/executions/<workflow_id>")
    def execution(workflow_id: str) -> Response | str:
        # Sub-workflows the definition names are drawn inside their step; what a dynamic fork
        # started (a pipeline's deploys) is linked instead, however many there are.
        tree = source.get().tree(_checked(workflow_id), follow=_named_in_definition)
        root = tree.execution
        drawn = flow.chart(tree)
        context = {
            "execution": root,
            "chart": drawn,
            "charts": flow.charts(drawn),
            "gates": gates_in(tree),
            "canaries": canary.panels(tree, pauses_in(tree)),
            "now_ms": _now_ms(),
            "final": is_finished(root),
        }
        title = f"{root.get('workflowName', '?')} {workflow_id}"
        return _page("execution", title, context)

    @app.get("/definitions")
    def definitions() -> str:
        registered: dict[str, list[int]] = {}
        problem = None
        try:
            for body in source.get().workflow_defs():
                registered.setdefault(str(body.get("name")), []).append(
                    int(body.get("version") or 0)
                )
        except DeployDslError as error:
            problem = str(error)
        names = build.workflow_names()
        rows = [
            {
                "name": name,
                "built": (build.workflow(name) or {}).get("version"),
                "registered": sorted(registered.get(name, [])),
                "page": name in build.page_names(),
            }
            for name in names
        ]
        return render_template(
            "definitions.html", title="Definitions", rows=rows, problem=problem, built=bool(names)
        )

    @app.get("/definitions/<name>")
    def definition(name: str) -> str:
        page = build.page(name, _draw_definition)
        if page is None:
            abort(404, f"no page {name!r} in {build.docs_dir} (run `deploy-dsl build`)")
        versions = _registered_versions(source.get(), name)
        return render_template(
            "definition.html", title=name, page=Markup(page.html), name=name, versions=versions
        )

    @app.get("/definitions/<name>/json")
    def definition_json(name: str) -> Response:
        body = build.workflow(name)
        if body is None:
            abort(404, f"no workflow {name!r} in {build.workflows_dir}")
        return Response(
            json.dumps(redact(body, secrets), indent=2, ensure_ascii=False) + "\n",
            mimetype="application/json",
        )

    @app.get("/definitions/<name>/diff")
    def diff(name: str) -> Response | str:
        versions = _registered_versions(source.get(), name)
        if len(versions) < 2:
            return render_template(
                "diff.html", title=f"{name}: versions", name=name, versions=versions,
                old=None, new=None, changes=[],
            )  # fmt: skip
        try:
            old = int(request.args.get("from", versions[-2]))
            new = int(request.args.get("to", versions[-1]))
        except ValueError:
            return _problem(400, "from and to are version numbers")
        if old not in versions or new not in versions:
            return _problem(
                404, f"{name} has no registered version {old if old not in versions else new}"
            )
        held_old = source.get().workflow_def(name, old) or {}
        held_new = source.get().workflow_def(name, new) or {}
        changes = [c for c in workflow_changes(held_new, held_old) if c.path != "version"]
        return render_template(
            "diff.html", title=f"{name}: v{old} to v{new}", name=name, versions=versions,
            old=old, new=new, changes=[redact(c.to_json(), secrets) for c in changes],
        )  # fmt: skip

    # -- actions ----------------------------------------------------------------------------

    def gate_decision(workflow_id: str, *, approved: bool) -> Response:
        body = _body()
        if not approved and not _text(body, "reason"):
            return _problem(400, "a rejection needs a reason")
        gate = _text(body, "gate") or None

        def act(by: str, reason: str | None) -> WaitingGate:
            return source.get().decide(
                _checked(workflow_id), approved=approved, by=by, reason=reason, gate=gate
            )

        return _decided(act, body, "approved" if approved else "rejected")

    @app.post("/api/executions/<workflow_id>/approve")
    def approve(workflow_id: str) -> Response:
        return gate_decision(workflow_id, approved=True)

    @app.post("/api/executions/<workflow_id>/reject")
    def reject(workflow_id: str) -> Response:
        return gate_decision(workflow_id, approved=False)

    @app.post("/api/executions/<workflow_id>/promote")
    def promote(workflow_id: str) -> Response:
        body = _body()

        def act(by: str, reason: str | None) -> WaitingGate:
            return source.get().promote(_checked(workflow_id), by=by, reason=reason)

        return _decided(act, body, "promoted")

    @app.post("/api/executions/<workflow_id>/abort")
    def abort_canary(workflow_id: str) -> Response:
        body = _body()
        if not _text(body, "reason"):
            return _problem(400, "an abort needs a reason")

        def act(by: str, reason: str | None) -> WaitingGate:
            return source.get().abort(_checked(workflow_id), by=by, reason=reason or "")

        return _decided(act, body, "aborted")

    @app.post("/api/executions/<workflow_id>/terminate")
    def terminate(workflow_id: str) -> tuple[Response, int] | Response:
        body = _body()
        reason = _text(body, "reason") or "terminated from the dashboard"
        source.get().terminate(_checked(workflow_id), reason)
        return jsonify(ok=True, message=f"terminated {workflow_id}: {reason}")

    return app


# -- the pieces of create_app ----------------------------------------------------------------


class _LazySource:
    def __init__(self, connect: Callable[[], Api], seconds: float) -> None:
        self._connect = connect
        self._seconds = seconds
        self._source: Source | None = None
        self._lock = threading.Lock()

    def get(self) -> Source:
        with self._lock:
            if self._source is None:
                self._source = Source(self._connect(), TtlCache(self._seconds))
            return self._source


def _page(name: str, title: str, context: dict[str, Any]) -> Response | str:
    """The page, or (under /live/) its changing part as JSON for the page's script."""
    if request.path.startswith("/live/"):
        html = render_template(f"_{name}.html", **context)
        return jsonify(html=html, final=bool(context["final"]))
    query = request.query_string.decode("ascii", "replace")
    live = "/live" + request.path + (f"?{query}" if query else "")
    if context["final"]:
        live = ""
    return render_template(f"{name}.html", title=title, live=live, **context)


def _named_in_definition(execution: Mapping[str, Any], task: Mapping[str, Any]) -> bool:
    definition = flow.server_definition(execution.get("workflowDefinition"))
    if definition is None:
        return False
    refs = flow.static_refs(definition)
    given = task.get("workflowTask") or {}
    return str(given.get("taskReferenceName") or "") in refs


def _draw_definition(workflow: WorkflowDef) -> str:
    return render_template("_chart.html", chart=flow.definition_chart(workflow))


def _registered_versions(source: Source, name: str) -> list[int]:
    try:
        bodies = source.workflow_defs()
    except DeployDslError:
        return []
    return sorted(int(b.get("version") or 0) for b in bodies if b.get("name") == name)


def _decided(
    act: Callable[[str, str | None], WaitingGate], body: Mapping[str, Any], verb: str
) -> Response:
    """A person's decision at a gate or a canary pause: who and why from the body; 409 when
    nothing waits to be decided."""
    by = _text(body, "by") or "dashboard"
    try:
        done = act(by, _text(body, "reason") or None)
    except NoGateWaiting as error:
        return _problem(409, str(error))
    return jsonify(ok=True, message=f"{verb} {done.title} as {by}", gate=done.gate)


def _body() -> Mapping[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(_problem(400, "the body must be a JSON object"))
    return body


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        abort(_problem(400, f"{key} must be text of at most {_MAX_TEXT} characters"))
    return value.strip()


def _checked(workflow_id: str) -> str:
    if not _ID.match(workflow_id):
        abort(404, f"{workflow_id!r} is not an execution id")
    return workflow_id


def _problem(status: int, message: str) -> Response:
    response = (
        jsonify(error=message)
        if _wants_json()
        else Response(
            render_template("error.html", title="Error", status=status, message=message),
            mimetype="text/html",
        )
    )
    response.status_code = status
    return response


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/live/"))


def _now_ms() -> int:
    return int(time.time() * 1000)


def _guards(app: Flask, config: DashboardConfig) -> None:
    loopback = config.host in LOCAL_HOSTS

    @app.before_request
    def _host_and_token() -> Response | None:
        if loopback and (request.host.rsplit(":", 1)[0].strip("[]") not in LOCAL_HOSTS):
            return _problem(403, "this dashboard answers on localhost only")
        if request.method == "POST":
            given = request.headers.get(TOKEN_HEADER, "")
            if not given or not hmac.compare_digest(given.encode(), config.token.encode()):
                return _problem(
                    403, f"refused: this needs the dashboard's token (header {TOKEN_HEADER})"
                )
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        return _problem(error.code or 500, str(error.description or error.name))

    @app.errorhandler(ServerUnreachable)
    @app.errorhandler(AuthenticationFailed)
    def _unreachable(error: DeployDslError) -> Response:
        return _problem(502, str(error))

    @app.errorhandler(ServerError)
    def _server_error(error: ServerError) -> Response:
        # The server's refusal (404 no such execution, 409 it has already ended) is the
        # answer; anything else is the server failing.
        status = error.status if error.status and 400 <= error.status < 500 else 502
        return _problem(status, str(error))


def _filters(app: Flask, secrets: tuple[str, ...]) -> None:
    def pretty(value: Any) -> str:
        return json.dumps(redact(value, secrets), indent=2, ensure_ascii=False, sort_keys=True)

    def shown(value: Any) -> Any:
        return redact(value, secrets)

    def when(ms: Any) -> str:
        if not ms:
            return "-"
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(ms) / 1000)) + (
            f".{int(ms) % 1000:03d}"
        )

    def took(start: Any, end: Any, now: Any = None) -> str:
        if not start:
            return "-"
        stop = end or now
        if not stop:
            return "-"
        seconds = max(0, int(stop) - int(start)) / 1000
        if seconds < 60:
            return f"{seconds:.1f} s"
        minutes, rest = divmod(int(seconds), 60)
        return (
            f"{minutes} min {rest:02d} s"
            if minutes < 60
            else f"{minutes // 60} h {minutes % 60:02d} min"
        )

    app.jinja_env.filters.update(pretty=pretty, shown=shown, when=when, took=took)

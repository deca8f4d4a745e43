"""The worker's HTTP surface: ``create_app`` wires settings, state and routes together."""

from __future__ import annotations

import time

from flask import Flask, Response, request

from worker import steps
from worker.body import MAX_BODY_BYTES, read_body
from worker.contract import STEPS, TrafficFaultAnswer
from worker.errors import ApiError, json_response, register_error_handlers
from worker.faults import DELAY_HEADER, FAIL_HEADER, NO_FAULT, FaultSyntaxError, fault_for_request
from worker.logs import CALL_ENVIRON_KEY, StepCallLog, configure_logging
from worker.metrics import CONTENT_TYPE, exposition, registry_for
from worker.models import parse_fault_request, parse_step_request, parse_traffic_fault
from worker.settings import WorkerSettings, load_settings
from worker.store import Store
from worker.traffic import Behaviour

__all__ = ["MAX_BODY_BYTES", "create_app"]


def _environ_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


# The fault headers as WSGI names them: read from the environ, not through request.headers.
_FAIL_KEY = _environ_key(FAIL_HEADER)
_DELAY_KEY = _environ_key(DELAY_HEADER)


class _WorkerFlask(Flask):
    def make_default_options_response(self) -> Response:
        """OPTIONS answers JSON like everything else (Flask's own is an empty text/html)."""
        allowed = sorted(super().make_default_options_response().allow)
        response = json_response({"allowed": allowed})
        response.headers["Allow"] = ", ".join(allowed)
        return response


def create_app(settings: WorkerSettings | None = None) -> Flask:
    settings = settings or load_settings()
    store = Store(settings.db_path, rps=settings.traffic_rps)
    store.initialize()
    idle = settings.traffic_idle_seconds
    metrics = registry_for(lambda: store.served(idle))
    rules = settings.rules
    fault_plan = settings.fault_plan
    body_timeout = settings.body_timeout_seconds

    app = _WorkerFlask(__name__)
    # No redirects: werkzeug answers `//` in a path and a missing or extra trailing slash with
    # a 308 and an HTML page, and Flask hands routing redirects to no error handler. Unmerged,
    # `/deployments//0` matches no route (a JSON 404); unstrict, `/health/` is `/health`.
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    configure_logging()
    register_error_handlers(app)
    app.wsgi_app = StepCallLog(app.wsgi_app, steps.STEP_NAMES)  # type: ignore[method-assign]

    # The hot path: every deployment step. Each `request.<attribute>` goes through a context
    # lookup, so the environ is fetched once and read directly.
    def run_step(step: str) -> Response:
        environ = request.environ
        body = parse_step_request(read_body(environ, body_timeout), STEPS[step].request)
        environ[CALL_ENVIRON_KEY] = (body.key, body.scope)
        try:
            fault = fault_for_request(
                fault_plan.get(step, NO_FAULT), environ.get(_FAIL_KEY), environ.get(_DELAY_KEY)
            )
        except FaultSyntaxError as exc:
            raise ApiError(400, "invalid fault header", str(exc)) from None
        if fault.delay:
            time.sleep(fault.delay)  # outside the transaction: a slow step must not block others
        outcome = store.apply(
            step,
            body,
            fault.fail,
            lambda snapshot: steps.run(
                step, body, snapshot, rules, max(fault.fail, snapshot.scope_fail)
            ),
        )
        return json_response(outcome.body, outcome.status_code, outcome.headers)

    for step in steps.STEP_NAMES:
        app.add_url_rule(
            f"/{step}", endpoint=step, view_func=run_step, methods=["POST"], defaults={"step": step}
        )

    @app.get("/health")
    def health() -> Response:
        store.ping()
        return json_response(
            {
                "status": "UP",
                "provisionDelaySeconds": settings.provision_delay_seconds,
                "healthyScopePrefix": settings.healthy_scope_prefix,
                "faults": settings.faults,
            }
        )

    @app.get("/deployments/<path:deployment_id>")
    def deployment(deployment_id: str) -> Response:
        found = store.deployment(deployment_id)
        if found is None:
            raise ApiError(
                404, f"unknown deployment {deployment_id!r}", {"deploymentId": deployment_id}
            )
        return json_response(found.to_json())

    @app.get("/deployments/<path:deployment_id>/history")
    def deployment_history(deployment_id: str) -> Response:
        if store.deployment(deployment_id) is None:
            raise ApiError(
                404, f"unknown deployment {deployment_id!r}", {"deploymentId": deployment_id}
            )
        entries = [e.to_json() for e in store.history(deployment_id=deployment_id)]
        return json_response({"deploymentId": deployment_id, "entries": entries})

    @app.get("/history")
    def history() -> Response:
        scope = request.args.get("scope")
        entries = [e.to_json() for e in store.history(scope=scope)]
        return json_response({"scope": scope, "count": len(entries), "entries": entries})

    # Faults for one scope, set while the worker runs: a test makes one deploy fail at a chosen
    # step without touching the others (configured faults and headers apply to every call).
    @app.put("/faults/<path:scope>/<step>")
    def set_fault(scope: str, step: str) -> Response:
        if step not in steps.STEP_NAMES:
            raise ApiError(404, f"unknown step {step!r}", {"steps": list(steps.STEP_NAMES)})
        data = parse_fault_request(read_body(request.environ, body_timeout))
        store.set_scope_fault(scope, step, data.fail)
        return json_response({"scope": scope, "step": step, "fail": data.fail})

    @app.delete("/faults/<path:scope>")
    def clear_faults(scope: str) -> Response:
        return json_response({"scope": scope, "cleared": store.clear_scope_faults(scope)})

    # How one version's simulated requests behave (error rate, latency), from now on: a test
    # makes version 2 bad and watches the canary analysis catch it.
    @app.put("/faults/traffic")
    def set_traffic_fault() -> Response:
        data = parse_traffic_fault(read_body(request.environ, body_timeout))
        behaviour = Behaviour(data.errorRate, data.latencySeconds)
        store.set_traffic_fault(data.scope, data.version, behaviour)
        answer = TrafficFaultAnswer(
            scope=data.scope,
            version=data.version,
            errorRate=behaviour.error_rate,
            latencySeconds=behaviour.latency,
        )
        return json_response(answer)

    @app.get("/metrics")
    def served_metrics() -> Response:
        return Response(exposition(metrics), 200, {"Content-Type": CONTENT_TYPE})

    return app

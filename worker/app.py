"""The worker's HTTP surface: ``create_app`` wires settings, state and routes together."""

from __future__ import annotations

import time

from flask import Flask, Response, jsonify, request

from worker import steps
from worker.errors import ApiError, register_error_handlers
from worker.faults import DELAY_HEADER, FAIL_HEADER, NO_FAULT, FaultSyntaxError, fault_for_request
from worker.logs import CALL_ENVIRON_KEY, StepCallLog, configure_logging
from worker.models import parse_step_request
from worker.settings import WorkerSettings, load_settings
from worker.store import Store

__all__ = ["MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 64 * 1024


def create_app(settings: WorkerSettings | None = None) -> Flask:
    settings = settings or load_settings()
    store = Store(settings.db_path)
    store.initialize()
    rules = settings.rules

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    configure_logging()
    register_error_handlers(app)
    app.wsgi_app = StepCallLog(app.wsgi_app, steps.STEP_NAMES)  # type: ignore[method-assign]

    def run_step(step: str) -> Response:
        body = parse_step_request(request.get_data())
        request.environ[CALL_ENVIRON_KEY] = (body.key, body.scope)
        try:
            fault = fault_for_request(
                settings.fault_plan.get(step, NO_FAULT),
                request.headers.get(FAIL_HEADER),
                request.headers.get(DELAY_HEADER),
            )
        except FaultSyntaxError as exc:
            raise ApiError(400, "invalid fault header", str(exc)) from None
        if fault.delay:
            time.sleep(fault.delay)  # outside the transaction: a slow step must not block others
        outcome = store.apply(
            step,
            body,
            fault.fail,
            lambda snapshot: steps.run(step, body, snapshot, rules, fault.fail),
        )
        response = jsonify(outcome.body)
        response.status_code = outcome.status_code
        response.headers.update(outcome.headers)
        return response

    for step in steps.STEP_NAMES:
        app.add_url_rule(
            f"/{step}", endpoint=step, view_func=run_step, methods=["POST"], defaults={"step": step}
        )

    @app.get("/health")
    def health() -> Response:
        store.ping()
        return jsonify(
            status="UP",
            provisionDelaySeconds=settings.provision_delay_seconds,
            healthyScopePrefix=settings.healthy_scope_prefix,
            faults=settings.faults,
        )

    @app.get("/deployments/<path:deployment_id>")
    def deployment(deployment_id: str) -> Response:
        found = store.deployment(deployment_id)
        if found is None:
            raise ApiError(
                404, f"unknown deployment {deployment_id!r}", {"deploymentId": deployment_id}
            )
        return jsonify(found.to_json())

    @app.get("/deployments/<path:deployment_id>/history")
    def deployment_history(deployment_id: str) -> Response:
        if store.deployment(deployment_id) is None:
            raise ApiError(
                404, f"unknown deployment {deployment_id!r}", {"deploymentId": deployment_id}
            )
        entries = [e.to_json() for e in store.history(deployment_id=deployment_id)]
        return jsonify(deploymentId=deployment_id, entries=entries)

    @app.get("/history")
    def history() -> Response:
        scope = request.args.get("scope")
        entries = [e.to_json() for e in store.history(scope=scope)]
        return jsonify(scope=scope, count=len(entries), entries=entries)

    return app

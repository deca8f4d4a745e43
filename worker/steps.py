"""The deployment steps as decisions over a snapshot of state: no I/O, no clock, no randomness.

The store takes a :class:`Snapshot` inside its write transaction, :func:`run` turns it into a
:class:`StepOutcome` (the HTTP answer plus the state to write back), and the store saves it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel

from worker.contract import STEPS, ErrorAnswer, NotReadyAnswer, StepRequest, SwapTrafficRequest
from worker.models import Deployment, iso_time

__all__ = [
    "IDEMPOTENT_STEPS",
    "STEP_NAMES",
    "Rules",
    "Snapshot",
    "StepOutcome",
    "TrafficChange",
    "infrastructure_id_for",
    "run",
]

FINALIZED = "finalized"
ROLLED_BACK = "rolled_back"


@dataclass(frozen=True, slots=True)
class Rules:
    provision_delay_seconds: float
    healthy_scope_prefix: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    now: float
    deployment: Deployment | None
    # The stable version in the request's scope and env, if any: all the traffic but a
    # canary's share.
    live_version: str | None
    # Earlier calls of this step for this deployment, counted no further than faults need.
    prior_calls: int
    # Calls of this step to fail for each deployment of the scope, set at run time (0: none).
    scope_fail: int = 0
    # The version taking a share of the traffic beside the stable one (a canary step), if any.
    canary_version: str | None = None


@dataclass(frozen=True, slots=True)
class TrafficChange:
    """The split of a scope's traffic after a step: the stable version (None: no version
    receives traffic any more) and a canary version with its percentage."""

    version: str | None
    canary: str | None = None
    canary_weight: int = 0
    # Moved by weight (a canary step): the worker simulates this scope's traffic from now on.
    metered: bool = False


@dataclass(frozen=True, slots=True)
class StepOutcome:
    status_code: int
    # A step's own fields; `run` turns them into the contract's answer model.
    body: Any
    deployment: Deployment | None = None  # state to save; None leaves the stored one as it is
    traffic: TrafficChange | None = None
    headers: dict[str, str] = field(default_factory=dict)


class _Rejection(Exception):
    """The call contradicts the recorded state: answered 409, so a miswired workflow shows."""

    def __init__(self, error: str, detail: dict[str, Any]) -> None:
        super().__init__(error)
        self.error = error
        self.detail = detail


def infrastructure_id_for(deployment_id: str) -> str:
    # Derived, not counted: no allocation to coordinate between processes, and stable across runs.
    return "infra-" + hashlib.sha256(deployment_id.encode()).hexdigest()[:12]


def _check_identity(request: StepRequest, deployment: Deployment) -> None:
    recorded = (deployment.scope, deployment.version, deployment.env)
    if recorded != (request.scope, request.version, request.env):
        raise _Rejection(
            f"deployment {request.key!r} was created for another scope, version or env",
            {"recorded": dict(zip(("scope", "version", "env"), recorded, strict=True))},
        )


def _require(request: StepRequest, snapshot: Snapshot) -> Deployment:
    deployment = snapshot.deployment
    if deployment is None:
        raise _Rejection(
            f"unknown deployment {request.key!r}: call create_infrastructure first",
            {"deploymentId": request.key},
        )
    _check_identity(request, deployment)
    if request.infrastructureId not in (None, deployment.infrastructure_id):
        raise _Rejection(
            f"deployment {request.key!r} has infrastructure {deployment.infrastructure_id!r}, "
            f"not {request.infrastructureId!r}",
            {"infrastructureId": deployment.infrastructure_id},
        )
    return deployment


def _advance(deployment: Deployment, now: float, status: str, **changes: Any) -> Deployment | None:
    """The deployment with ``changes`` applied, or None when they change nothing (no write)."""
    # A settled deployment keeps its final status when an earlier step is retried afterwards.
    if deployment.outcome is None:
        changes["status"] = status
    if all(getattr(deployment, name) == value for name, value in changes.items()):
        return None
    return replace(deployment, updated_at=now, **changes)


def _create_infrastructure(request: StepRequest, snapshot: Snapshot, rules: Rules) -> StepOutcome:
    existing = snapshot.deployment
    if existing is not None:
        _check_identity(request, existing)
    deployment = existing or Deployment(
        deployment_id=request.key,
        scope=request.scope,
        version=request.version,
        env=request.env,
        infrastructure_id=infrastructure_id_for(request.key),
        status="creating",
        outcome=None,
        healthy=None,
        traffic_version=None,
        previous_version=None,
        created_at=snapshot.now,
        ready_at=snapshot.now + rules.provision_delay_seconds,
        updated_at=snapshot.now,
    )
    body = {
        "infrastructureId": deployment.infrastructure_id,
        "status": "ready" if snapshot.now >= deployment.ready_at else "creating",
        "created": existing is None,
        "readyAt": iso_time(deployment.ready_at),
    }
    return StepOutcome(200, body, deployment=None if existing else deployment)


def _wait_infrastructure_created(
    request: StepRequest, snapshot: Snapshot, rules: Rules
) -> StepOutcome:
    deployment = _require(request, snapshot)
    remaining = deployment.ready_at - snapshot.now
    if remaining > 0:
        body = {
            "ready": False,
            "status": "creating",
            "infrastructureId": deployment.infrastructure_id,
            "retryAfterSeconds": round(remaining, 3),
            "error": "infrastructure not ready",
            "detail": {"readyAt": iso_time(deployment.ready_at)},
        }
        return StepOutcome(503, body, headers={"Retry-After": str(math.ceil(remaining))})
    saved = None
    if deployment.status == "creating":
        saved = _advance(deployment, snapshot.now, "ready")
    body = {"ready": True, "status": "ready", "infrastructureId": deployment.infrastructure_id}
    return StepOutcome(200, body, deployment=saved)


def _swap_traffic(request: StepRequest, snapshot: Snapshot, rules: Rules) -> StepOutcome:
    deployment = _require(request, snapshot)
    if snapshot.now < deployment.ready_at:
        raise _Rejection(
            f"infrastructure of deployment {request.key!r} is not ready yet",
            {"readyAt": iso_time(deployment.ready_at)},
        )
    given = request.weight if isinstance(request, SwapTrafficRequest) else None
    weight = 100 if given is None else given
    saved, traffic = None, None
    first = deployment.traffic_version is None
    if first or deployment.traffic_weight != weight:
        # The version live before the first swap stays the one to go back to: a later step
        # of the same canary (25 %, then 50 %) moves only the split.
        previous = snapshot.live_version if first else deployment.previous_version
        saved = _advance(
            deployment,
            snapshot.now,
            "traffic_swapped",
            traffic_version=deployment.version,
            previous_version=previous,
            traffic_weight=weight,
        )
        if weight == 100:
            traffic = TrafficChange(deployment.version, metered=given is not None)
        else:
            canary = deployment.version if weight else None
            traffic = TrafficChange(previous, canary, weight, metered=True)
    # A retried swap answers what the first one did instead of swapping from itself.
    current = saved or deployment
    body = {
        "status": "traffic_swapped",
        "infrastructureId": deployment.infrastructure_id,
        "trafficVersion": current.traffic_version,
        "previousVersion": current.previous_version,
        "trafficWeight": current.traffic_weight,
    }
    return StepOutcome(200, body, deployment=saved, traffic=traffic)


def _effective_status(request: StepRequest, snapshot: Snapshot, rules: Rules) -> StepOutcome:
    deployment = _require(request, snapshot)
    prefix = rules.healthy_scope_prefix
    healthy = deployment.scope.startswith(prefix)
    verb = "starts" if healthy else "does not start"
    saved = _advance(
        deployment, snapshot.now, "healthy" if healthy else "unhealthy", healthy=healthy
    )
    body = {
        "healthy": healthy,
        "status": "success" if healthy else "failure",
        "reason": f"scope {deployment.scope!r} {verb} with {prefix!r}",
        "infrastructureId": deployment.infrastructure_id,
        "trafficWeight": deployment.traffic_weight,
    }
    return StepOutcome(200, body, deployment=saved)


def _settle(request: StepRequest, snapshot: Snapshot, outcome: str) -> StepOutcome:
    deployment = _require(request, snapshot)
    if deployment.outcome not in (None, outcome):
        raise _Rejection(
            f"deployment {request.key!r} is already {deployment.outcome}",
            {"outcome": deployment.outcome},
        )
    if outcome == FINALIZED and deployment.healthy is not True:
        raise _Rejection(
            f"deployment {request.key!r} cannot be finalized: effective_status did not find it "
            "healthy",
            {"healthy": deployment.healthy},
        )
    saved = None
    if deployment.outcome is None:
        saved = replace(deployment, status=outcome, outcome=outcome, updated_at=snapshot.now)
    body = {
        "status": outcome,
        "outcome": outcome,
        "infrastructureId": deployment.infrastructure_id,
    }
    return StepOutcome(200, body, deployment=saved)


def _finalize_deployment(request: StepRequest, snapshot: Snapshot, rules: Rules) -> StepOutcome:
    return _settle(request, snapshot, FINALIZED)


def _rollback_deployment(request: StepRequest, snapshot: Snapshot, rules: Rules) -> StepOutcome:
    return _settle(request, snapshot, ROLLED_BACK)


def _restore_previous_traffic(
    request: StepRequest, snapshot: Snapshot, rules: Rules
) -> StepOutcome:
    deployment = _require(request, snapshot)
    # Only take traffic back if this deployment still has it, all of it or a canary's share:
    # a later deploy may own it now.
    version = deployment.traffic_version
    restored = version is not None and version in (snapshot.live_version, snapshot.canary_version)
    body = {
        "status": "traffic_restored",
        "infrastructureId": deployment.infrastructure_id,
        "restored": restored,
        "trafficVersion": deployment.previous_version if restored else snapshot.live_version,
        "previousVersion": deployment.previous_version,
    }
    traffic = TrafficChange(deployment.previous_version) if restored else None
    saved = None
    if restored and deployment.traffic_weight:
        saved = replace(deployment, traffic_weight=0, updated_at=snapshot.now)
    return StepOutcome(200, body, deployment=saved, traffic=traffic)


def _record_only(request: StepRequest, snapshot: Snapshot, rules: Rules) -> StepOutcome:
    deployment = _require(request, snapshot)
    return StepOutcome(200, {"status": "done", "infrastructureId": deployment.infrastructure_id})


def _deployment_status(request: StepRequest, snapshot: Snapshot, rules: Rules) -> StepOutcome:
    """What happened to a deployment, for a failure workflow to decide on; never refuses.

    Traffic moved and nothing settled yet is the one case that needs rolling back."""
    deployment = snapshot.deployment
    if deployment is not None:
        _check_identity(request, deployment)
    moved = deployment is not None and deployment.traffic_version is not None
    outcome = deployment.outcome if deployment is not None else None
    body = {
        "known": deployment is not None,
        "infrastructureId": deployment.infrastructure_id if deployment is not None else None,
        "trafficMoved": moved,
        "outcome": outcome,
        "needsRollback": moved and outcome is None,
        "trafficWeight": deployment.traffic_weight if deployment is not None else 0,
    }
    return StepOutcome(200, body)


_StepFn = Callable[[StepRequest, Snapshot, Rules], StepOutcome]

_STEPS: dict[str, _StepFn] = {
    "create_infrastructure": _create_infrastructure,
    "wait_infrastructure_created": _wait_infrastructure_created,
    "swap_traffic": _swap_traffic,
    "effective_status": _effective_status,
    "finalize_deployment": _finalize_deployment,
    "rollback_deployment": _rollback_deployment,
    "cleanup_old_resources": _record_only,
    "update_monitoring": _record_only,
    "notify_success": _record_only,
    "restore_previous_traffic": _restore_previous_traffic,
    "cleanup_failed_resources": _record_only,
    "notify_failure": _record_only,
    "deployment_status": _deployment_status,
}

STEP_NAMES: tuple[str, ...] = tuple(_STEPS)
# Steps whose repeat changes nothing a second time: Conductor delivers at least once (a call in
# flight when a server dies is made again), so every step here is written to be repeated.
# create_infrastructure keeps the id; the waits and the health check only read; a repeated
# swap answers what the first did; a settle keeps its outcome; restore acts only while the
# deployment still has the traffic; the rest only record.
IDEMPOTENT_STEPS: frozenset[str] = frozenset(_STEPS)
assert set(STEP_NAMES) == set(STEPS), "every step has a contract, and only steps have one"


def run(
    step: str, request: StepRequest, snapshot: Snapshot, rules: Rules, fail_first: int
) -> StepOutcome:
    """Answer one call of ``step``; ``fail_first`` injects a 503 for the first calls."""
    if snapshot.prior_calls < fail_first:
        detail = {"call": snapshot.prior_calls + 1, "failFirst": fail_first}
        outcome = StepOutcome(503, {"error": "injected fault", "detail": detail})
    else:
        try:
            outcome = _STEPS[step](request, snapshot, rules)
        except _Rejection as exc:
            outcome = StepOutcome(409, {"error": exc.error, "detail": exc.detail})
    identity = {
        "step": step,
        "deploymentId": request.key,
        "scope": request.scope,
        "version": request.version,
        "env": request.env,
    }
    body = _answer(step, outcome.status_code, identity | outcome.body)
    return StepOutcome(
        outcome.status_code, body, outcome.deployment, outcome.traffic, outcome.headers
    )


def _answer(step: str, status_code: int, fields: dict[str, Any]) -> BaseModel:
    """The answer as the contract types it (worker/contract.py): the step's model for a 200."""
    if status_code == 200:
        return STEPS[step].answer(**fields)
    if fields.get("ready") is False:
        return NotReadyAnswer(**fields)
    return ErrorAnswer(**fields)

"""The worker's own data: parsing a step call's body (see `contract`), a deployment's state and
a history entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from worker.contract import FaultRequest, StepRequest, TrafficFaultRequest
from worker.errors import ApiError

__all__ = [
    "Deployment",
    "HistoryEntry",
    "iso_time",
    "parse_fault_request",
    "parse_step_request",
    "parse_traffic_fault",
]


_Body = TypeVar("_Body", bound=BaseModel)


def iso_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="microseconds")


def parse_step_request(data: bytes, model: type[StepRequest] = StepRequest) -> StepRequest:
    """Validate a raw body; 400 when it is not a JSON object, 422 naming each bad field."""
    return _parse(model, data)


def parse_fault_request(data: bytes) -> FaultRequest:
    return _parse(FaultRequest, data)


def parse_traffic_fault(data: bytes) -> TrafficFaultRequest:
    return _parse(TrafficFaultRequest, data)


def _parse(model: type[_Body], data: bytes) -> _Body:
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        first = errors[0]
        if first["type"] == "json_invalid":
            raise ApiError(400, "body is not valid JSON", first["msg"]) from None
        if not first["loc"]:
            raise ApiError(400, "body must be a JSON object", first["msg"]) from None
        problems = [
            {"field": ".".join(str(part) for part in e["loc"]), "problem": e["msg"]} for e in errors
        ]
        summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        raise ApiError(422, f"invalid request body: {summary}", problems) from None


@dataclass(frozen=True, slots=True)
class Deployment:
    deployment_id: str
    scope: str
    version: str
    env: str
    infrastructure_id: str
    status: str
    outcome: str | None
    healthy: bool | None
    traffic_version: str | None
    previous_version: str | None
    created_at: float
    ready_at: float
    updated_at: float
    # The percentage of the scope's traffic the version has: 100 after a plain swap, a
    # canary step's weight, 0 before any swap and after its traffic was restored.
    traffic_weight: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "deploymentId": self.deployment_id,
            "scope": self.scope,
            "version": self.version,
            "env": self.env,
            "infrastructureId": self.infrastructure_id,
            "status": self.status,
            "outcome": self.outcome,
            "healthy": self.healthy,
            "trafficVersion": self.traffic_version,
            "previousVersion": self.previous_version,
            "trafficWeight": self.traffic_weight,
            "createdAt": iso_time(self.created_at),
            "readyAt": iso_time(self.ready_at),
            "updatedAt": iso_time(self.updated_at),
        }


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    seq: int
    deployment_id: str
    scope: str
    step: str
    at: float
    pid: int
    status_code: int

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "deploymentId": self.deployment_id,
            "scope": self.scope,
            "step": self.step,
            "timestamp": iso_time(self.at),
            "pid": self.pid,
            "statusCode": self.status_code,
        }

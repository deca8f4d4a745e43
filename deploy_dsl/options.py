"""Structured values of workflow, task and task definition fields (pure): each a frozen
dataclass checked when it is written, with its wire form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from deploy_dsl.arguments import require
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import render

__all__ = ["CacheConfig", "RateLimitConfig", "SchemaDef", "StateChangeEvent"]


@dataclass(frozen=True)
class StateChangeEvent:
    """An event the server publishes when a task reaches a state (`onStateChange`).

    Args:
        type: the event queue's type and name, as an EVENT task's sink (`conductor:q`).
        payload: what the event carries; values may be references.
    """

    type: str
    payload: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        require("StateChangeEvent", "type", self.type, str)
        require("StateChangeEvent", "payload", self.payload, Mapping, optional=True)

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"type": self.type}
        if self.payload is not None:
            wire["payload"] = render(dict(self.payload))
        return wire


@dataclass(frozen=True)
class CacheConfig:
    """Reuse of an earlier result (`cacheConfig`).

    A task or workflow whose key was computed within `ttl_seconds` gets that output instead
    of running.

    Args:
        key: the cache key; may hold `${...}` expressions over the inputs.
        ttl_seconds: ttlInSecond, how long a result is reused.
    """

    key: str
    ttl_seconds: int

    def __post_init__(self) -> None:
        require("CacheConfig", "key", self.key, str)
        require("CacheConfig", "ttl_seconds", self.ttl_seconds, int)

    def to_wire(self) -> dict[str, Any]:
        return {"key": self.key, "ttlInSecond": self.ttl_seconds}


@dataclass(frozen=True)
class RateLimitConfig:
    """How many executions of a workflow may run at once (`rateLimitConfig`).

    Args:
        key: rateLimitKey: executions sharing a key share the limit (may hold `${...}`).
        concurrent_exec_limit: concurrentExecLimit.
        policy: what happens to a start over the limit: `QUEUE` it, or `REJECT` it.
    """

    key: str
    concurrent_exec_limit: int
    policy: Literal["QUEUE", "REJECT"] | None = None

    def __post_init__(self) -> None:
        require("RateLimitConfig", "key", self.key, str)
        require("RateLimitConfig", "concurrent_exec_limit", self.concurrent_exec_limit, int)
        if self.policy not in (None, "QUEUE", "REJECT"):
            raise DefinitionError(f"RateLimitConfig: policy {self.policy!r} is not QUEUE or REJECT")

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "rateLimitKey": self.key,
            "concurrentExecLimit": self.concurrent_exec_limit,
        }
        if self.policy is not None:
            wire["policy"] = self.policy
        return wire


@dataclass(frozen=True)
class SchemaDef:
    """A schema an input or output is checked against (`inputSchema`, `outputSchema`).

    Named as registered on the server, or given inline; `enforce_schema` enforces it.

    Args:
        name: the schema's name.
        version: its version.
        type: `JSON`, `AVRO` or `PROTOBUF`.
        data: the schema itself, inline.
        external_ref: externalRef, where the schema lives instead.
    """

    name: str
    version: int | None = None
    type: Literal["JSON", "AVRO", "PROTOBUF"] | None = None
    data: Mapping[str, Any] | None = None
    external_ref: str | None = None

    def __post_init__(self) -> None:
        require("SchemaDef", "name", self.name, str)
        require("SchemaDef", "version", self.version, int, optional=True)
        require("SchemaDef", "data", self.data, Mapping, optional=True)
        require("SchemaDef", "external_ref", self.external_ref, str, optional=True)
        if self.type not in (None, "JSON", "AVRO", "PROTOBUF"):
            raise DefinitionError(f"SchemaDef: type {self.type!r} is not JSON, AVRO or PROTOBUF")

    def to_wire(self) -> dict[str, Any]:
        wire = {
            "name": self.name,
            "version": self.version,
            "type": self.type,
            "data": dict(self.data) if self.data is not None else None,
            "externalRef": self.external_ref,
        }
        return {key: value for key, value in wire.items() if value is not None}

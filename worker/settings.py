"""Worker configuration from ``WORKER_*`` environment variables.

``.env`` is deliberately not read: the worker under test must not pick up a developer's faults.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from deploy_dsl.client.settings import DEFAULT_WORKER_PORT
from worker.faults import FaultSpec, parse_faults
from worker.simulation import DEFAULT_IDLE_SECONDS, DEFAULT_RPS
from worker.steps import STEP_NAMES, Rules

__all__ = ["REPO_ROOT", "WorkerConfigError", "WorkerSettings", "load_settings"]

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "WORKER_"


class WorkerConfigError(Exception):
    """Bad ``WORKER_*`` values; the message names each variable and what is wrong with it."""


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True)

    # `deploy-dsl server up` passes the port of the project's settings; this is for bare runs.
    port: int = Field(default=DEFAULT_WORKER_PORT, ge=1, le=65535)
    processes: int = Field(default=2, ge=1, le=64)
    # Connections each process holds at once (one greenlet each, worker/serving.py): slow and
    # idle clients take one each, so this is what a crowd of them must exhaust.
    connections: int = Field(default=2000, ge=10, le=20000)
    # The longest wait for a request's line and headers (an idle keep-alive connection waits
    # as long), then a 408 (see worker/serving.py). Whole seconds: gunicorn's `keepalive`.
    header_timeout_seconds: int = Field(default=10, ge=1, le=300)
    # The longest wait for more of a request body before a 408 (see worker/body.py).
    body_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    state_dir: Path = REPO_ROOT / ".state" / "worker"
    provision_delay_seconds: float = Field(default=1.0, ge=0, le=3600)
    # Seed rule: a scope starting with this prefix is healthy. Empty: every scope is healthy.
    healthy_scope_prefix: str = "svc-"
    # Syntax in worker/faults.py, e.g. "swap_traffic:fail=2;effective_status:delay=0.5".
    faults: str = ""
    # The simulated traffic behind GET /metrics (worker/traffic.py): requests a second per
    # metered scope, and how long a scope stays in the metrics after its split last changed.
    traffic_rps: float = Field(default=DEFAULT_RPS, gt=0, le=100000)
    traffic_idle_seconds: float = Field(default=DEFAULT_IDLE_SECONDS, gt=0)

    @field_validator("faults")
    @classmethod
    def _faults_parse(cls, value: str) -> str:
        parse_faults(value, STEP_NAMES)  # FaultSyntaxError is a ValueError: reported per field
        return value

    @cached_property
    def fault_plan(self) -> dict[str, FaultSpec]:
        return parse_faults(self.faults, STEP_NAMES)

    @property
    def db_path(self) -> Path:
        return self.state_dir / "worker.sqlite3"

    @property
    def rules(self) -> Rules:
        return Rules(self.provision_delay_seconds, self.healthy_scope_prefix)


def load_settings() -> WorkerSettings:
    """Read the environment, turning pydantic's report into one line per bad variable."""
    try:
        return WorkerSettings()
    except ValidationError as exc:
        lines = [
            f"{ENV_PREFIX}{'_'.join(str(p) for p in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors(include_url=False)
        ]
        raise WorkerConfigError("invalid worker configuration:\n  " + "\n  ".join(lines)) from None

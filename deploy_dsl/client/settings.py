"""Where the Conductor server and the worker are: one settings object, from the environment or
`.env` (an edge).

Every command that talks to a server, `server up`, the demo and the tests read these, so the URL
a client uses and the port `server up` listens on cannot drift apart. Names are the seed's
(CONDUCTOR_BASE_URL, ORKES_*, WORKER_BASE_URL) plus CONDUCTOR_PORT / WORKER_PORT for the local
stack, CLUSTER_*_PORT for the local cluster (`server up --backend postgres`) and DASHBOARD_* for
the dashboard; the SDK's own
CONDUCTOR_SERVER_URL / CONDUCTOR_AUTH_KEY / CONDUCTOR_AUTH_SECRET are honoured too. `build` never
reads these: build/ must be the same on every machine.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from deploy_dsl.errors import DeployDslError
from deploy_dsl.task import DEFAULT_PROMETHEUS_URL, DEFAULT_WORKER_BASE_URL, CompileOptions

__all__ = [
    "DEFAULT_CLUSTER_CONDUCTOR_PORT",
    "DEFAULT_CLUSTER_POSTGRES_PORT",
    "DEFAULT_CLUSTER_WORKER_PORT",
    "DEFAULT_CONDUCTOR_PORT",
    "DEFAULT_DASHBOARD_HOST",
    "DEFAULT_DASHBOARD_PORT",
    "DEFAULT_PROMETHEUS_PORT",
    "DEFAULT_WORKER_PORT",
    "Connection",
    "Settings",
    "SettingsError",
    "api_url",
    "load_settings",
]

DEFAULT_CONDUCTOR_PORT = 8080
# build/ calls the worker at the core's default URL; the local worker listens there by default.
DEFAULT_WORKER_PORT = urllib.parse.urlsplit(DEFAULT_WORKER_BASE_URL).port or 80
# build/ queries Prometheus at the core's default URL; the local one listens there by default.
DEFAULT_PROMETHEUS_PORT = urllib.parse.urlsplit(DEFAULT_PROMETHEUS_URL).port or 80
# The local cluster's own ports, clear of the single node's 8080 and 3000 (and of a system
# PostgreSQL's 5432), so both stacks can run side by side: node k listens on 8180 + k - 1.
DEFAULT_CLUSTER_CONDUCTOR_PORT = 8180
DEFAULT_CLUSTER_WORKER_PORT = 3180
DEFAULT_CLUSTER_POSTGRES_PORT = 15432
# The dashboard (`deploy-dsl dashboard`, started by `server up`): loopback only unless told.
DEFAULT_DASHBOARD_PORT = 7070
DEFAULT_DASHBOARD_HOST = "127.0.0.1"
_SDK_CREDENTIAL_NAMES = {"orkes_key": "CONDUCTOR_AUTH_KEY", "orkes_secret": "CONDUCTOR_AUTH_SECRET"}
_BLANK_MESSAGES = {
    **{
        field: f"is set but empty (here or as {name})"
        for field, name in _SDK_CREDENTIAL_NAMES.items()
    },
    "dashboard_token": "is set but empty: unset it to get a new token at each start",
}
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class SettingsError(DeployDslError):
    """The settings are incomplete or contradictory."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    conductor_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CONDUCTOR_BASE_URL", "CONDUCTOR_SERVER_URL")
    )
    conductor_port: int | None = Field(
        default=None, ge=1, le=65535, validation_alias="CONDUCTOR_PORT"
    )
    orkes_base_url: str | None = Field(default=None, validation_alias="ORKES_BASE_URL")
    orkes_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ORKES_KEY", "CONDUCTOR_AUTH_KEY")
    )
    orkes_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ORKES_SECRET", "CONDUCTOR_AUTH_SECRET")
    )
    worker_base_url: str | None = Field(default=None, validation_alias="WORKER_BASE_URL")
    worker_port: int | None = Field(default=None, ge=1, le=65535, validation_alias="WORKER_PORT")
    prometheus_base_url: str | None = Field(default=None, validation_alias="PROMETHEUS_URL")
    prometheus_port: int | None = Field(
        default=None, ge=1, le=65535, validation_alias="PROMETHEUS_PORT"
    )
    cluster_conductor_port: int = Field(
        default=DEFAULT_CLUSTER_CONDUCTOR_PORT,
        ge=1,
        le=65535,
        validation_alias="CLUSTER_CONDUCTOR_PORT",
    )
    cluster_worker_port: int = Field(
        default=DEFAULT_CLUSTER_WORKER_PORT, ge=1, le=65535, validation_alias="CLUSTER_WORKER_PORT"
    )
    cluster_postgres_port: int = Field(
        default=DEFAULT_CLUSTER_POSTGRES_PORT,
        ge=1,
        le=65535,
        validation_alias="CLUSTER_POSTGRES_PORT",
    )

    dashboard_port: int = Field(
        default=DEFAULT_DASHBOARD_PORT, ge=1, le=65535, validation_alias="DASHBOARD_PORT"
    )
    dashboard_host: str = Field(default=DEFAULT_DASHBOARD_HOST, validation_alias="DASHBOARD_HOST")
    # What the dashboard's decisions and terminate need; unset: a new one at each start.
    dashboard_token: SecretStr | None = Field(default=None, validation_alias="DASHBOARD_TOKEN")

    @field_validator("orkes_key", "orkes_secret", "dashboard_token")
    @classmethod
    def _credentials_not_blank(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        # Set but empty (`ORKES_SECRET=` in a file, an unset CI secret) is a mistake, not a
        # request for no authentication: refused here, before any request goes out.
        if value is not None and not value.get_secret_value().strip():
            raise ValueError(_BLANK_MESSAGES[info.field_name or ""])
        return value

    @model_validator(mode="after")
    def _ports_agree_with_urls(self) -> Settings:
        self.local_conductor_port  # noqa: B018 (each raises ValueError on a contradiction)
        self.local_worker_port  # noqa: B018
        self.local_prometheus_port  # noqa: B018
        return self

    # -- the local stack and the URLs that reach it ---------------------------------------------

    @property
    def local_conductor_port(self) -> int:
        """The port `server up` starts Conductor on."""
        return _port(
            "CONDUCTOR", self.conductor_port, self.conductor_base_url, DEFAULT_CONDUCTOR_PORT
        )

    @property
    def local_worker_port(self) -> int:
        return _port("WORKER", self.worker_port, self.worker_base_url, DEFAULT_WORKER_PORT)

    @property
    def local_prometheus_port(self) -> int:
        """The port `server up` starts Prometheus on."""
        return _port(
            "PROMETHEUS",
            self.prometheus_port,
            self.prometheus_base_url,
            DEFAULT_PROMETHEUS_PORT,
            url_name="PROMETHEUS_URL",
        )

    @property
    def prometheus_url(self) -> str:
        """Where the canary analyses' HTTP tasks query Prometheus (its base URL)."""
        if self.prometheus_base_url:
            return self.prometheus_base_url.strip().rstrip("/")
        return f"http://localhost:{self.local_prometheus_port}"

    @property
    def conductor_url(self) -> str:
        """The Conductor server's base URL, without `/api`."""
        if self.conductor_base_url:
            return self.conductor_base_url.strip().rstrip("/").removesuffix("/api")
        return f"http://localhost:{self.local_conductor_port}"

    @property
    def worker_url(self) -> str:
        """Where the server's HTTP tasks reach the worker (and where the tests read it)."""
        if self.worker_base_url:
            return self.worker_base_url.strip().rstrip("/")
        return f"http://localhost:{self.local_worker_port}"

    def compile_options(self) -> CompileOptions:
        return CompileOptions(worker_base_url=self.worker_url, prometheus_url=self.prometheus_url)

    def connection(self) -> Connection:
        """The server to talk to: Orkes with key/secret when both are set, else plain OSS."""
        key, secret = self.orkes_key, self.orkes_secret
        if (key is None) != (secret is None):
            raise SettingsError("set both ORKES_KEY and ORKES_SECRET, or neither")
        if key is not None and secret is not None:
            base = self.orkes_base_url or self.conductor_base_url
            if not base:
                raise SettingsError("ORKES_KEY and ORKES_SECRET are set but ORKES_BASE_URL is not")
            return Connection(api_url(base), key.get_secret_value(), secret.get_secret_value())
        return Connection(api_url(self.conductor_url))


def _port(
    name: str, port: int | None, url: str | None, default: int, *, url_name: str | None = None
) -> int:
    """The explicit port, else the port of a local URL, else the default; a local URL on
    another port than the explicit one is a contradiction, not something to guess about."""
    parts = urllib.parse.urlsplit(url.strip()) if url else None
    local = parts is not None and parts.hostname in LOCAL_HOSTS
    url_port = (parts.port or (443 if parts.scheme == "https" else 80)) if parts and local else None
    if port is not None and url_port is not None and port != url_port:
        raise ValueError(
            f"{url_name or name + '_BASE_URL'}={url} is on port {url_port} but {name}_PORT={port}: "
            "set one of them, or make them agree"
        )
    return port or url_port or default


@dataclass(frozen=True)
class Connection:
    """A server URL ending in /api (as the SDK wants it) and optional credentials."""

    server_url: str
    key_id: str | None = None
    key_secret: str | None = field(default=None, repr=False)  # never printed or logged


def api_url(base: str) -> str:
    """`http://host:8080`, `http://host:8080/` and `http://host:8080/api` all give `.../api`."""
    base = base.strip().rstrip("/")
    return base if base.endswith("/api") else f"{base}/api"


def load_settings(env_file: Path | None = None) -> Settings:
    """The settings from the environment and `.env` (or `env_file`), every problem in one line."""
    try:
        return Settings(_env_file=env_file or ".env")
    except ValidationError as error:
        problems = "; ".join(_problem(e) for e in error.errors(include_url=False))
        raise SettingsError(f"invalid settings: {problems}") from None


def _problem(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where.upper()}: {message}" if where else message

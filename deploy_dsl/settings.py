"""Where the Conductor server and the worker are: environment variables or `.env` (an edge).

Names are the seed's (CONDUCTOR_BASE_URL, ORKES_*, WORKER_BASE_URL); the SDK's own
CONDUCTOR_SERVER_URL / CONDUCTOR_AUTH_KEY / CONDUCTOR_AUTH_SECRET are honoured too. `build`
never reads these: build/ must be the same on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from deploy_dsl.errors import DeployDslError
from deploy_dsl.tasks import DEFAULT_WORKER_BASE_URL, CompileOptions

__all__ = [
    "DEFAULT_CONDUCTOR_URL",
    "Connection",
    "Settings",
    "SettingsError",
    "api_url",
    "load_settings",
]

DEFAULT_CONDUCTOR_URL = "http://localhost:8080"


class SettingsError(DeployDslError):
    """The settings are incomplete or contradictory."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    conductor_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CONDUCTOR_BASE_URL", "CONDUCTOR_SERVER_URL")
    )
    orkes_base_url: str | None = Field(default=None, validation_alias="ORKES_BASE_URL")
    orkes_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ORKES_KEY", "CONDUCTOR_AUTH_KEY")
    )
    orkes_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ORKES_SECRET", "CONDUCTOR_AUTH_SECRET")
    )
    worker_base_url: str = Field(
        default=DEFAULT_WORKER_BASE_URL, validation_alias="WORKER_BASE_URL"
    )

    def compile_options(self) -> CompileOptions:
        return CompileOptions(worker_base_url=self.worker_base_url)

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
        return Connection(api_url(self.conductor_base_url or DEFAULT_CONDUCTOR_URL))


@dataclass(frozen=True)
class Connection:
    """A server URL ending in /api (as the SDK wants it) and optional credentials."""

    server_url: str
    key_id: str | None = None
    key_secret: str | None = field(default=None, repr=False)  # never printed or logged

    @property
    def authenticated(self) -> bool:
        return self.key_id is not None


def api_url(base: str) -> str:
    """`http://host:8080`, `http://host:8080/` and `http://host:8080/api` all give `.../api`."""
    base = base.strip().rstrip("/")
    return base if base.endswith("/api") else f"{base}/api"


def load_settings() -> Settings:
    return Settings()

"""Where the local stack keeps its files, and the address it listens on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["HOST", "REPO_ROOT", "Layout", "Progress"]

REPO_ROOT = Path(__file__).resolve().parents[2]
# A development stack without authentication: loopback only.
HOST = "127.0.0.1"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Layout:
    """The jar in `.cache/conductor/`, state and logs in `.state/`; tests use a temporary root."""

    root: Path = REPO_ROOT

    @property
    def cache_dir(self) -> Path:
        return self.root / ".cache" / "conductor"

    @property
    def state_dir(self) -> Path:
        return self.root / ".state"

    @property
    def conductor_dir(self) -> Path:
        return self.state_dir / "conductor"

    @property
    def properties_file(self) -> Path:
        return self.conductor_dir / "conductor.properties"

    @property
    def dashboard_dir(self) -> Path:
        return self.state_dir / "dashboard"

    @property
    def build_dir(self) -> Path:
        """The project's compiled output, which the dashboard reads."""
        return self.root / "build"

    @property
    def prometheus_dir(self) -> Path:
        return self.state_dir / "prometheus"

    @property
    def prometheus_config(self) -> Path:
        return self.prometheus_dir / "prometheus.yml"

    @property
    def worker_config(self) -> Path:
        return self.root / "worker" / "gunicorn.conf.py"

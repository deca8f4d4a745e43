"""Where the local stack keeps its files, and the address it listens on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deploy_dsl.workspace.config import WorkerApp, load_config

__all__ = ["HOST", "Layout", "Progress"]

# A development stack without authentication: loopback only.
HOST = "127.0.0.1"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Layout:
    """A project's stack: state and logs in its state directory (`.state/`), the jar in the
    user's cache, the worker it configures (or none). See deploy_dsl.workspace.config."""

    root: Path
    state_dir: Path
    build_dir: Path  # the project's compiled output, which the dashboard reads
    cache_dir: Path  # the Conductor jar and its extracted form: the user's, every project's
    worker: WorkerApp | None = None

    @classmethod
    def of_project(cls, start: Path | None = None) -> Layout:
        """The layout `[tool.deploy-dsl]` of the project around `start` (the working
        directory) gives; ConfigError when that table is wrong."""
        config = load_config(start)
        return cls(
            config.root,
            config.state_dir,
            config.build_dir,
            config.cache_dir / "conductor",
            config.worker,
        )

    @classmethod
    def under(cls, root: Path, worker: WorkerApp | None = None) -> Layout:
        """Everything inside `root`, the jar cache too (tests use a temporary root)."""
        return cls(root, root / ".state", root / "build", root / ".cache" / "conductor", worker)

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
    def prometheus_dir(self) -> Path:
        return self.state_dir / "prometheus"

    @property
    def prometheus_config(self) -> Path:
        return self.prometheus_dir / "prometheus.yml"

"""Writing an imported package, and polishing it with ruff when ruff is installed (I/O edge)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from deploy_dsl.importer.sources import ImportFailed

__all__ = ["format_with_ruff", "ruff_executable", "write_package"]


def write_package(out_dir: Path, files: Mapping[str, str], *, force: bool = False) -> list[Path]:
    """Writes the files into `out_dir`; refuses to overwrite any unless `force`.

    Other files in `out_dir` are left alone: it may be a directory the user keeps code in.
    """
    paths = [out_dir / name for name in files]
    existing = [path for path in paths if path.exists()]
    if existing and not force:
        shown = ", ".join(str(path) for path in existing[:5])
        more = f" and {len(existing) - 5} more" if len(existing) > 5 else ""
        raise ImportFailed(f"would overwrite {shown}{more} (use --force to replace them)")
    out_dir.mkdir(parents=True, exist_ok=True)
    for path, text in zip(paths, files.values(), strict=True):
        path.write_text(text, encoding="utf-8")
    return paths


def ruff_executable() -> str | None:
    """The ruff beside this Python (a virtualenv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("ruff")
    return str(beside) if beside.exists() else shutil.which("ruff")


def format_with_ruff(paths: list[Path], cwd: Path | None = None) -> bool:
    """Sorts imports and formats with the ruff configuration that applies from `cwd`.

    The generated code is valid and close to ruff's style without this; ruff settles the rest
    (line length and first-party packages come from the user's configuration). False when
    ruff is not installed or failed.
    """
    ruff = ruff_executable()
    if ruff is None or not paths:
        return False
    files = [str(path) for path in paths]
    commands = [
        [ruff, "check", "--fix", "--select", "I", "--exit-zero", "--quiet", *files],
        [ruff, "format", "--quiet", *files],
    ]
    for command in commands:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return False
    return True

"""Writing an imported package, and polishing it with ruff when ruff is installed (I/O edge)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from deploy_dsl.errors import DeployDslError
from deploy_dsl.importer.sources import ImportFailed
from deploy_dsl.workspace.files import os_problem
from deploy_dsl.workspace.output import check_output_dir, write_tree

__all__ = ["IMPORT_MARKER", "format_with_ruff", "ruff_executable", "write_package"]

# Written beside the modules: the proof that a directory is one an import may write into.
IMPORT_MARKER = ".deploy-dsl-import"
_MARKER_TEXT = "Written by `deploy-dsl import`; it writes into this directory again.\n"


def write_package(out_dir: Path, files: Mapping[str, str], *, force: bool = False) -> list[Path]:
    """Writes the files into `out_dir`, all of them or none; refuses to overwrite any unless
    `force`, and refuses any file name that would land outside `out_dir`.

    `out_dir` must be new, empty or a previous import's (it holds IMPORT_MARKER), and never
    the working directory or one above it (`check_output_dir`). Other files in it are left
    alone: the user may add modules to an imported package. A new `out_dir` is written as
    `build` writes build/ (a sibling renamed into place); into an existing one every file is
    written beside its target first and renamed over it only once all are written, so a
    failure (a full disk, a name the file system refuses) leaves the directory as it was.
    """
    try:
        check_output_dir(out_dir, IMPORT_MARKER, command="import")
    except DeployDslError as error:
        raise ImportFailed(str(error)) from None
    try:
        paths = [_inside(out_dir, name) for name in files]
        existing = [path for path in paths if path.exists()]
        if existing and not force:
            shown = ", ".join(str(path) for path in existing[:5])
            more = f" and {len(existing) - 5} more" if len(existing) > 5 else ""
            raise ImportFailed(f"would overwrite {shown}{more} (use --force to replace them)")
        marked = {**files, IMPORT_MARKER: _MARKER_TEXT}
        if out_dir.is_dir():
            _replace_files(out_dir, marked)
        else:
            write_tree(out_dir, marked)
    except OSError as error:  # e.g. a name too long, a full disk, a read-only directory
        message = f"{os_problem(out_dir, error, 'write into')}; nothing was written"
        raise ImportFailed(message) from error
    except DeployDslError as error:  # write_tree's own one-line FileProblem
        raise ImportFailed(f"{error}; nothing was written") from error
    return paths


def _inside(out_dir: Path, name: str) -> Path:
    """`out_dir / name`, when that is a plain file directly in `out_dir` (defence in depth:
    module names are identifiers, so this refuses only what a bug would let through)."""
    target = out_dir / name
    plain = name not in ("", ".", "..") and "\0" not in name and Path(name).name == name
    if not plain or target.resolve().parent != out_dir.resolve():
        raise ImportFailed(f"refusing to write {name!r}: it is not a file directly in {out_dir}")
    return target


def _replace_files(out_dir: Path, files: Mapping[str, str]) -> None:
    """Every file staged in a hidden directory inside `out_dir`, then renamed into place; the
    files it replaces are kept aside until all are in, and put back if a rename fails."""
    staging = Path(tempfile.mkdtemp(prefix=".import-new-", dir=out_dir))
    kept = Path(tempfile.mkdtemp(prefix=".import-old-", dir=out_dir))
    done: list[tuple[Path, Path | None]] = []  # (target, where its old content went)
    try:
        for name, text in files.items():
            (staging / name).write_bytes(text.encode("utf-8"))
        for name in files:
            target, old = out_dir / name, None
            if target.exists():
                old = kept / name
                target.rename(old)
            done.append((target, old))
            (staging / name).rename(target)
    except BaseException:
        for target, old in reversed(done):
            target.unlink(missing_ok=True)
            if old is not None:
                old.rename(target)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(kept, ignore_errors=True)


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

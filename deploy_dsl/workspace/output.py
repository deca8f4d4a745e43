"""Writing files atomically: a build directory as a whole, or one text file."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from deploy_dsl.errors import DeployDslError

__all__ = ["OutsideOutput", "write_text", "write_tree"]


class OutsideOutput(DeployDslError):
    """A file would land outside the directory being written (a name that climbs out)."""


def write_tree(out_dir: Path, files: Mapping[str, str]) -> None:
    """Replaces `out_dir` with exactly `files`, or leaves it untouched if anything fails.

    Everything is written to a sibling temporary directory first; only then is the old tree
    moved aside and the new one renamed into place (renames within one filesystem).
    """
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-new-", dir=out_dir.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; build/ is an ordinary directory
        for relative, text in files.items():
            target = _inside(staging, relative, out_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
        previous = None
        if out_dir.exists():
            previous = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-old-", dir=out_dir.parent))
            previous.rmdir()
            out_dir.rename(previous)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


def _inside(root: Path, relative: str, shown: Path) -> Path:
    """`root / relative`, refused unless it stays inside `root`: the validator refuses names
    that would climb out, and this refuses them again wherever they came from."""
    target = (root / relative).resolve()
    if "\0" in relative or not target.is_relative_to(root.resolve()) or target == root.resolve():
        raise OutsideOutput(f"refusing to write {relative!r}: it is not a file inside {shown}/")
    return target


def write_text(path: Path, text: str) -> None:
    """Replaces one file's content by a rename, so a reader never sees half of it."""
    scratch = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        scratch.write_bytes(text.encode("utf-8"))
        if path.exists():
            shutil.copymode(path, scratch)
        scratch.replace(path)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise

"""Writing output: a build directory as a whole, or one text file, and only where it is safe.

`build --out DIR` replaces DIR as a whole, so DIR must be something a build made: empty, new,
or holding the marker file a build writes (BUILD_MARKER; `build/` as builds made it before the
marker existed is recognised by its layout). Never the working directory, a directory that
holds it, or one that holds the definitions: `build --out .` would otherwise delete the project.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from deploy_dsl.errors import DeployDslError
from deploy_dsl.workspace.files import FileProblem, os_problem

__all__ = [
    "BUILD_MARKER",
    "BUILD_MARKER_TEXT",
    "OutsideOutput",
    "UnsafeOutput",
    "check_build_output",
    "check_output_dir",
    "is_unmarked_build",
    "write_build",
    "write_text",
    "write_tree",
]

# Written into every build output: the proof that a directory is one a build may replace.
BUILD_MARKER = ".deploy-dsl-build"
BUILD_MARKER_TEXT = (
    "Written by `deploy-dsl build`, which replaces this whole directory on every build.\n"
)
# What a build writes at the top of its output, for outputs made before the marker existed.
_BUILD_LAYOUT = {"workflows": ".json", "docs": ".md"}
# Renaming the output directory fails this way on a mount point (a container volume), across
# file systems, or where the parent directory may not be changed: it is then updated in place.
_NOT_RENAMEABLE = frozenset({errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES, errno.EROFS})


class OutsideOutput(DeployDslError):
    """A file would land outside the directory being written (a name that climbs out)."""


class UnsafeOutput(DeployDslError):
    """An output directory a command must not write: it holds what the command did not make."""


def check_output_dir(
    out_dir: Path,
    marker: str,
    *,
    command: str,
    protected: Iterable[Path] = (),
    legacy: Callable[[Path], bool] | None = None,
) -> None:
    """Refuses `out_dir` unless it is new, empty, or marked by `marker` as `command`'s output
    (or `legacy` recognises it), and never the working directory, a directory above it, or
    one that holds a `protected` path (the definitions)."""
    out = out_dir.resolve()
    here = Path.cwd().resolve()
    if here.is_relative_to(out):
        what = "the working directory" if out == here else f"a directory that holds {here}"
        raise UnsafeOutput(
            f"refusing to write {command} output into {out_dir}: it is {what}, and "
            f"{command} would replace what is there; name a directory of its own (such as build)"
        )
    for path in protected:
        if path.resolve().is_relative_to(out):
            what = "is" if path.resolve() == out else "holds"
            raise UnsafeOutput(
                f"refusing to write {command} output into {out_dir}: it {what} the definitions "
                f"folder {path}; name a directory of its own (such as build)"
            )
    if not out.exists():
        return
    if not out.is_dir():
        raise UnsafeOutput(f"{out_dir} exists and is not a directory")
    entries = sorted(entry.name for entry in out.iterdir())
    if not entries or (out / marker).is_file() or (legacy is not None and legacy(out)):
        return
    shown = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
    raise UnsafeOutput(
        f"refusing to write {command} output into {out_dir}: it holds files {command} did not "
        f"write ({shown}) and no {marker} marker; name an empty or new directory, or one a "
        f"previous {command} wrote"
    )


def is_unmarked_build(out: Path) -> bool:
    """A build output from before the marker: taskdefs.json, workflows/*.json, docs/*.md and
    nothing else, so that no folder of sources or notes can pass for one."""
    if not (out / "taskdefs.json").is_file():
        return False
    for entry in out.iterdir():
        if entry.name == "taskdefs.json":
            continue
        suffix = _BUILD_LAYOUT.get(entry.name)
        if suffix is None or entry.is_symlink() or not entry.is_dir():
            return False
        for item in entry.iterdir():
            if item.is_symlink() or not item.is_file() or item.suffix != suffix:
                return False
    return True


def check_build_output(out_dir: Path, protected: Iterable[Path]) -> None:
    """UnsafeOutput unless `out_dir` may be replaced by a build (see `check_output_dir`)."""
    check_output_dir(
        out_dir, BUILD_MARKER, command="build", protected=protected, legacy=is_unmarked_build
    )


def write_build(out_dir: Path, files: Mapping[str, str], protected: Iterable[Path]) -> str | None:
    """`write_tree` into a directory `check_build_output` accepts."""
    check_build_output(out_dir, protected)
    return write_tree(out_dir, files)


def write_tree(out_dir: Path, files: Mapping[str, str]) -> str | None:
    """Replaces `out_dir` with exactly `files`, or leaves it untouched if anything fails.

    Everything is written to a sibling temporary directory first; only then is the old tree
    moved aside and the new one renamed into place (renames within one filesystem). Where the
    directory cannot be renamed (a mount point: EBUSY) or no sibling can be made, its entries
    are swapped one by one inside it instead; the one-line note returned then says so.
    Failures are FileProblem (or OutsideOutput) with one line naming the path.
    """
    out_dir = out_dir.resolve()
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-new-", dir=out_dir.parent))
    except OSError as error:
        if not out_dir.is_dir():
            raise FileProblem(os_problem(out_dir, error, "write")) from error
        return _in_place_instead(out_dir, files, error)
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; build/ is an ordinary directory
        _write_files(staging, files, out_dir)
        previous = None
        if out_dir.exists():
            previous = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-old-", dir=out_dir.parent))
            previous.rmdir()
            try:
                out_dir.rename(previous)
            except OSError as error:
                if error.errno not in _NOT_RENAMEABLE:
                    raise
                shutil.rmtree(staging, ignore_errors=True)
                return _in_place_instead(out_dir, files, error)
        try:
            staging.rename(out_dir)
        except BaseException:
            if previous is not None:
                previous.rename(out_dir)
            raise
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise FileProblem(os_problem(out_dir, error, "write")) from error
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
    return None


def _write_files(root: Path, files: Mapping[str, str], shown: Path) -> None:
    for relative, text in files.items():
        target = _inside(root, relative, shown)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))


def _in_place_instead(out_dir: Path, files: Mapping[str, str], why: OSError) -> str:
    try:
        _replace_entries(out_dir, files)
    except OSError as error:
        raise FileProblem(os_problem(out_dir, error, "write")) from error
    reason = why.strerror or type(why).__name__
    return (
        f"{out_dir} could not be swapped whole ({reason}: a mount point?), so its entries were "
        "replaced one by one inside it"
    )


def _replace_entries(out_dir: Path, files: Mapping[str, str]) -> None:
    """The new tree staged inside `out_dir` (the same file system as its entries), then each
    old entry renamed aside and each new one renamed in; any failure puts the old ones back."""
    new = Path(tempfile.mkdtemp(prefix=".deploy-dsl-new-", dir=out_dir))
    old = Path(tempfile.mkdtemp(prefix=".deploy-dsl-old-", dir=out_dir))
    moved: list[str] = []
    placed: list[Path] = []
    try:
        _write_files(new, files, out_dir)
        for entry in sorted(out_dir.iterdir()):
            if entry not in (new, old):
                entry.rename(old / entry.name)
                moved.append(entry.name)
        for entry in sorted(new.iterdir()):
            target = out_dir / entry.name
            entry.rename(target)
            placed.append(target)
    except BaseException:
        for target in placed:
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink()
        for name in moved:
            (old / name).rename(out_dir / name)
        raise
    finally:
        shutil.rmtree(new, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


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
    except OSError as error:
        scratch.unlink(missing_ok=True)
        raise FileProblem(os_problem(path, error, "write")) from error
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise

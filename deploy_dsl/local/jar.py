"""The Conductor OSS server jar: which one, where it comes from, and the form it is run in.

The boot jar is fetched once with Maven into a cache directory (unless ``CONDUCTOR_SERVER_JAR``
names one), then extracted there once for a faster start. The cache is the user's (see
deploy_dsl.workspace.config), shared by every project and clone: a lock file keeps two commands
from fetching or extracting into it at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

from deploy_dsl.errors import DeployDslError

__all__ = [
    "CONDUCTOR_ARTIFACT",
    "CONDUCTOR_VERSION",
    "JAR_ENV",
    "JAR_NAME",
    "LocalServerError",
    "launcher",
    "resolve_jar",
]

CONDUCTOR_VERSION = "3.32.3"
CONDUCTOR_ARTIFACT = f"org.conductoross:conductor-server:{CONDUCTOR_VERSION}:jar:boot"
JAR_NAME = f"conductor-server-{CONDUCTOR_VERSION}-boot.jar"
JAR_ENV = "CONDUCTOR_SERVER_JAR"


class LocalServerError(DeployDslError):
    """The local stack could not be started, found or stopped; the message says what to do."""


def resolve_jar(cache_dir: Path, progress: Callable[[str], None]) -> Path:
    """`CONDUCTOR_SERVER_JAR`, else the cached boot jar, else fetch it with Maven."""
    override = os.environ.get(JAR_ENV)
    if override:
        jar = Path(override).expanduser()
        if not jar.is_file():
            raise LocalServerError(f"{JAR_ENV}={override}: no such file")
        return jar
    cached = cache_dir / JAR_NAME
    if cached.is_file():
        return cached
    with _cache_locked(cache_dir, progress):
        if not cached.is_file():  # another command may have fetched it while this one waited
            _fetch_jar(cached, progress)
    return cached


@contextlib.contextmanager
def _cache_locked(cache_dir: Path, progress: Callable[[str], None]) -> Iterator[None]:
    """One command at a time fills the cache (another project's `server up`, a test)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress(f"conductor: waiting for another command to fill {cache_dir}")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _fetch_jar(target: Path, progress: Callable[[str], None]) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalServerError(_no_jar_help("Maven (`mvn`) is not on PATH."))
    # Into a scratch directory first: an interrupted download must not look like a jar.
    scratch = target.parent / "download.tmp"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    progress(f"conductor: fetching {CONDUCTOR_ARTIFACT} with Maven (about 460 MB, once)")
    done = subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "dependency:copy",
            f"-Dartifact={CONDUCTOR_ARTIFACT}",
            f"-DoutputDirectory={scratch}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    fetched = scratch / JAR_NAME
    if done.returncode != 0 or not fetched.is_file():
        shutil.rmtree(scratch, ignore_errors=True)
        output = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise LocalServerError(_no_jar_help(f"`mvn dependency:copy` failed:\n{output}\n"))
    fetched.replace(target)
    shutil.rmtree(scratch, ignore_errors=True)


def _no_jar_help(reason: str) -> str:
    return (
        f"cannot get the Conductor server jar: {reason}\n"
        "Install Maven (`apt-get install maven`, `brew install maven`), or download "
        f"{CONDUCTOR_ARTIFACT} yourself and set {JAR_ENV}=/path/to/{JAR_NAME}."
    )


def launcher(java: Path, jar: Path, cache_dir: Path, progress: Callable[[str], None]) -> Path:
    """Spring Boot's extracted form of `jar`, which starts in ~10 s instead of ~15 s.

    A jar too old for `-Djarmode=tools` (Spring Boot < 3.3) is run as it is.
    """
    stat = jar.stat()
    key = hashlib.sha256(f"{jar.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    target = cache_dir / "extracted" / f"{jar.stem}-{key.hexdigest()[:10]}"
    if (target / jar.name).is_file():
        return target / jar.name
    with _cache_locked(cache_dir, progress):
        return _extract(java, jar, target, progress)


def _extract(java: Path, jar: Path, target: Path, progress: Callable[[str], None]) -> Path:
    if (target / jar.name).is_file():  # extracted while this command waited for the lock
        return target / jar.name
    progress(f"conductor: extracting {jar.name} for a faster start (once)")
    scratch = target.with_name(target.name + ".tmp")
    shutil.rmtree(scratch, ignore_errors=True)
    command = [str(java), "-Djarmode=tools", "-jar", str(jar), "extract", "--destination"]
    done = subprocess.run([*command, str(scratch)], capture_output=True, check=False)
    if done.returncode != 0 or not (scratch / jar.name).is_file():
        shutil.rmtree(scratch, ignore_errors=True)
        progress(f"conductor: {jar.name} cannot be extracted; running it as it is")
        return jar
    shutil.rmtree(target, ignore_errors=True)
    scratch.rename(target)
    return target / jar.name

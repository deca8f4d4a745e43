"""The package's optional parts (pip extras): a command whose extra is not installed stops in
one line that says what to install, instead of an ImportError deep inside it."""

from __future__ import annotations

import importlib.metadata
import re

import click

__all__ = ["DISTRIBUTION", "missing", "require_extra"]

DISTRIBUTION = "deploy-dsl"
_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[([^\]]*)\])?")
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def missing(extra: str) -> list[str]:
    """The distributions `extra` requires that are not installed, its own extras' included.

    Read from the installed package's metadata (its Requires-Dist lines), so the list is the
    one pyproject.toml declares; none when deploy-dsl itself is not installed (a checkout run
    from its source tree), where there is nothing to compare with.
    """
    try:
        requirements = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return []
    return sorted(set(_missing(extra, requirements, set())))


def _missing(extra: str, requirements: list[str], seen: set[str]) -> list[str]:
    seen.add(extra)
    absent = []
    for line in requirements:
        requirement, _, marker = line.partition(";")
        found = _EXTRA_MARKER.search(marker)
        name = _NAME.match(requirement)
        if found is None or found.group(1) != extra or name is None:
            continue
        if name.group(1) == DISTRIBUTION:  # `deploy-dsl[dashboard]`: another extra of ours
            for other in (name.group(2) or "").split(","):
                if other.strip() and other.strip() not in seen:
                    absent += _missing(other.strip(), requirements, seen)
            continue
        try:
            importlib.metadata.distribution(name.group(1))
        except importlib.metadata.PackageNotFoundError:
            absent.append(name.group(1))
    return absent


def require_extra(extra: str, command: str) -> None:
    """Stops `command` with one line naming the install command when `extra` is missing."""
    absent = missing(extra)
    if absent:
        raise click.ClickException(
            f"`{command}` needs the {extra} extra ({', '.join(absent)} not installed): "
            f"pip install '{DISTRIBUTION}[{extra}]'"
        )

"""The README's generated diagram blocks, rewritten by `build --readme` from the definitions."""

from __future__ import annotations

import os
import re
from pathlib import Path

from deploy_dsl.compiler import Compiled
from deploy_dsl.docs.pages import DOCS_DIR, readme_diagram
from deploy_dsl.errors import DeployDslError

__all__ = ["ReadmeError", "updated_readme"]

# A block names its workflow in both fences; everything between them is generated.
_BLOCK = re.compile(
    r"<!-- BEGIN deploy-dsl readme_diagram (?P<name>\S+?):[^\n]*-->\n"
    r".*?<!-- END deploy-dsl readme_diagram (?P=name) -->\n",
    re.DOTALL,
)


class ReadmeError(DeployDslError):
    """The README's generated block cannot be rewritten (it names an unknown workflow)."""


def updated_readme(text: str, compiled: Compiled, readme: Path, out_dir: Path) -> str:
    """`text` with every generated block rendered afresh; the links point from the README's
    folder to the pages under `out_dir`."""
    docs_dir = Path(os.path.relpath(out_dir.resolve() / DOCS_DIR, readme.resolve().parent))
    names = {workflow.name for workflow in compiled.workflows}

    def render(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in names:
            raise ReadmeError(
                f"{readme}: the generated diagram block names {name!r}, which the definitions "
                f"do not define (defined: {', '.join(sorted(names)) or 'none'})"
            )
        return readme_diagram(compiled, name, docs_dir.as_posix())

    return _BLOCK.sub(render, text)

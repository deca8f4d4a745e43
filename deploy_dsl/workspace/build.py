"""What `build` produces for a project: compiled definitions plus the files of build/."""

from __future__ import annotations

from deploy_dsl.compiler import Compiled, compile_project, render_files
from deploy_dsl.docs.pages import render_docs
from deploy_dsl.project import Project
from deploy_dsl.task import CompileOptions
from deploy_dsl.workspace.output import BUILD_MARKER, BUILD_MARKER_TEXT

__all__ = ["build_files"]


def build_files(project: Project, *, strict: bool = True) -> tuple[Compiled, dict[str, str]]:
    """Compiles with the default options (the same on every machine) and renders build/,
    docs included, and the marker that lets the next build replace it."""
    compiled = compile_project(project, CompileOptions(), strict=strict)
    if compiled.errors:
        return compiled, {}
    files = render_files(compiled, docs=render_docs)
    return compiled, {BUILD_MARKER: BUILD_MARKER_TEXT, **files}

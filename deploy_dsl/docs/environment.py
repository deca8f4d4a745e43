"""The jinja2 environment of the docs templates shipped in `deploy_dsl/docs/templates`."""

from __future__ import annotations

from functools import cache

import jinja2

from deploy_dsl.docs.escape import (
    md_cell,
    md_cell_code,
    md_code,
    md_text,
    mermaid_text,
    readme_fence_name,
    readme_text,
)

__all__ = ["environment"]


@cache
def environment() -> jinja2.Environment:
    """Markdown and Mermaid are not HTML: no autoescape; the templates escape every user
    string with the filter of its language instead (deploy_dsl/docs/escape.py). Undefined
    names are errors."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("deploy_dsl.docs", "templates"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Compiling the templates is most of a build's docs time; jinja2 keeps the compiled
        # code in a per-user temporary directory, keyed by the template's source.
        bytecode_cache=jinja2.FileSystemBytecodeCache(),
    )
    env.filters.update(
        mermaid=mermaid_text,
        md_text=md_text,
        md_code=md_code,
        md_cell=md_cell,
        md_cell_code=md_cell_code,
        readme_text=readme_text,
        readme_fence_name=readme_fence_name,
    )
    return env

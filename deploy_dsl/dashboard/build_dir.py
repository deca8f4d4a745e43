"""The project's compiled output, as the dashboard shows it: which workflows are the
project's (build/workflows/), and each one's docs page (build/docs/) rendered to HTML.

The Markdown goes through markdown-it-py with raw HTML off, so a page shows what it says and
runs nothing; its Mermaid block becomes the dashboard's own flowchart of the same definition,
and links between pages become links between the dashboard's pages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pydantic import ValidationError

from deploy_dsl.dashboard.canary import holds_canary
from deploy_dsl.wire import WorkflowDef

__all__ = ["BuildDir", "DocsPage"]

_COMMENT_LINE = re.compile(r"^<!--.*-->\s*$", re.MULTILINE)
# What build/docs/ links to, seen from a page there: other pages and the compiled JSON.
_PAGE_LINK = re.compile(r"^([^/]+)\.md$")
_JSON_LINK = re.compile(r"^\.\./workflows/([^/]+)\.json$")


@dataclass(frozen=True)
class DocsPage:
    name: str
    html: str  # safe: rendered with raw HTML off, the flowchart from the templates


class BuildDir:
    def __init__(self, root: Path) -> None:
        self.root = root
        # Whether each workflow runs canary steps, with the file's (mtime, size) when read.
        self._canaries: dict[str, tuple[tuple[int, int], bool]] = {}

    @property
    def workflows_dir(self) -> Path:
        return self.root / "workflows"

    @property
    def docs_dir(self) -> Path:
        return self.root / "docs"

    def workflow_names(self) -> list[str]:
        """The project's workflows (what `build` compiled); none when there is no build/."""
        if not self.workflows_dir.is_dir():
            return []
        return sorted(path.stem for path in self.workflows_dir.glob("*.json"))

    def workflow(self, name: str) -> dict[str, Any] | None:
        """A compiled workflow's JSON, looked up among the files, never by joining paths."""
        if name not in self.workflow_names():
            return None
        try:
            found = json.loads((self.workflows_dir / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return found if isinstance(found, dict) else None

    def waves_workflows(self) -> list[str]:
        """The workflows whose input declares `waves`: pipelines and rollouts."""
        found = []
        for name in self.workflow_names():
            body = self.workflow(name) or {}
            if "waves" in (body.get("inputParameters") or []):
                found.append(name)
        return found

    def canary_workflows(self) -> list[str]:
        """The workflows that run canary steps (their execution page shows the canary). Each
        file is read again only when it changes: the deployments page asks every second."""
        found = []
        for name in self.workflow_names():
            try:
                stat = (self.workflows_dir / f"{name}.json").stat()
            except OSError:
                continue
            stamp = (stat.st_mtime_ns, stat.st_size)
            known = self._canaries.get(name)
            if known is None or known[0] != stamp:
                known = (stamp, holds_canary(self.workflow(name) or {}))
                self._canaries[name] = known
            if known[1]:
                found.append(name)
        return found

    def page_names(self) -> list[str]:
        if not self.docs_dir.is_dir():
            return []
        return sorted(path.stem for path in self.docs_dir.glob("*.md"))

    def page(self, name: str, flowchart: Callable[[WorkflowDef], str]) -> DocsPage | None:
        """A docs page as HTML; `flowchart` draws a definition where the page has a diagram."""
        if name not in self.page_names():
            return None
        text = (self.docs_dir / f"{name}.md").read_text(encoding="utf-8")
        definition = self._definition(name)
        markdown = _markdown(flowchart, definition)
        return DocsPage(name, markdown.render(_COMMENT_LINE.sub("", text)))

    def _definition(self, name: str) -> WorkflowDef | None:
        body = self.workflow(name)
        if body is None:
            return None
        try:
            return WorkflowDef.model_validate(body)
        except ValidationError:
            return None


def _markdown(
    flowchart: Callable[[WorkflowDef], str], definition: WorkflowDef | None
) -> MarkdownIt:
    markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
    renderer = cast(RendererHTML, markdown.renderer)
    fence = renderer.rules["fence"]
    link_open = renderer.rules.get("link_open")

    def render_fence(
        renderer: RendererHTML,
        tokens: Sequence[Token],
        index: int,
        options: OptionsDict,
        env: EnvType,
    ) -> str:
        if tokens[index].info.strip() == "mermaid" and definition is not None:
            return flowchart(definition)
        return fence(tokens, index, options, env)  # type: ignore[no-any-return]

    def render_link(
        renderer: RendererHTML,
        tokens: Sequence[Token],
        index: int,
        options: OptionsDict,
        env: EnvType,
    ) -> str:
        token = tokens[index]
        href = str(token.attrGet("href") or "")
        token.attrSet("href", _dashboard_link(href))
        if link_open is not None:
            return link_open(tokens, index, options, env)  # type: ignore[no-any-return]
        return renderer.renderToken(tokens, index, options, env)

    markdown.add_render_rule("fence", render_fence)
    markdown.add_render_rule("link_open", render_link)
    return markdown


def _dashboard_link(href: str) -> str:
    """A link of a build/docs page, as the dashboard serves its target."""
    if urlsplit(href).scheme or href.startswith("#"):
        return href
    path = unquote(href.split("#", 1)[0])
    page = _PAGE_LINK.match(path)
    if page:
        return f"/definitions/{quote(page.group(1), safe='')}"
    compiled = _JSON_LINK.match(path)
    if compiled:
        return f"/definitions/{quote(compiled.group(1), safe='')}/json"
    return href

"""The Markdown of build/docs/: one page per workflow, an index, and the README's diagram block.

Pure: reads nothing but the package's templates, so build/docs/ is the same on every machine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from deploy_dsl.compiler import Compiled
from deploy_dsl.docs.environment import environment
from deploy_dsl.docs.facts import (
    Placed,
    called_workflow,
    http_endpoint,
    retry_policy,
    task_definition,
    timeout,
    walk,
)
from deploy_dsl.docs.flowchart import flowchart, mermaid
from deploy_dsl.docs.reference import REFERENCE_PAGE, render_reference
from deploy_dsl.errors import DeployDslError
from deploy_dsl.wire import TaskDef, WorkflowDef

__all__ = ["DOCS_DIR", "UnknownWorkflow", "page_path", "readme_diagram", "render_docs"]

# Where the pages live, relative to build/.
DOCS_DIR = "docs"


class UnknownWorkflow(DeployDslError, LookupError):
    """A workflow asked for by name is not among the compiled ones."""


@dataclass(frozen=True)
class CallRow:
    reference: str | None  # None: the workflow itself (its failure workflow)
    workflow: str
    version: str | None
    how: str
    link: str | None


@dataclass(frozen=True)
class InputRow:
    name: str
    type: str | None  # None: not stated (JSON has no types)
    required: bool
    default: str | None  # the inputTemplate's value, as JSON
    description: str | None


@dataclass(frozen=True)
class TaskRow:
    reference: str
    type: str
    endpoint: str | None
    retries: str | None
    timeout: str | None
    # The task this one is nested in, and which of its branches: ("decide", 'case "ok"').
    where: tuple[str, str] | None


def page_path(workflow: str) -> str:
    """A workflow's page, relative to build/docs/ (URL-quoted: names are free text)."""
    return quote(f"{workflow}.md")


def render_docs(compiled: Compiled) -> dict[str, str]:
    """The DocsRenderer of `deploy-dsl build`: build/docs/ files by path relative to build/."""
    site = _Site(compiled)
    files = {
        f"{DOCS_DIR}/{workflow.name}.md": site.page(workflow) for workflow in compiled.workflows
    }
    files[f"{DOCS_DIR}/README.md"] = site.index()
    files[f"{DOCS_DIR}/{REFERENCE_PAGE}"] = render_reference()
    return files


def readme_diagram(compiled: Compiled, workflow: str, docs_dir: str = f"build/{DOCS_DIR}") -> str:
    """The block the repository README shows: `workflow`'s diagram and links to every page.

    `docs_dir` is where the pages are, seen from the README. Fenced by HTML comments so a check
    can find the block and compare it with this function's output.
    """
    site = _Site(compiled)
    chosen = site.workflow(workflow)
    return (
        environment()
        .get_template("readme.md.j2")
        .render(
            workflow=chosen,
            diagram=mermaid(flowchart(chosen)),
            workflows=site.sorted_workflows(),
            docs_dir=docs_dir,
            page_path=page_path,
        )
    )


class _Site:
    """Everything one page needs to know about the others: names to link, TaskDefs, callers."""

    def __init__(self, compiled: Compiled) -> None:
        self.workflows = compiled.workflows
        self.names = {workflow.name for workflow in compiled.workflows}
        self.taskdefs: Mapping[str, TaskDef] = {t.name: t for t in compiled.taskdefs}
        self.inputs = compiled.inputs
        self.triggers = sorted(compiled.triggers, key=lambda t: (t.kind, t.name, t.workflow))

    def workflow(self, name: str) -> WorkflowDef:
        for workflow in self.workflows:
            if workflow.name == name:
                return workflow
        known = ", ".join(sorted(self.names)) or "none"
        raise UnknownWorkflow(f"no compiled workflow named {name!r} (known: {known})")

    def sorted_workflows(self) -> list[WorkflowDef]:
        return sorted(self.workflows, key=lambda w: (w.name, w.version or 0))

    def index(self) -> str:
        template = environment().get_template("index.md.j2")
        return template.render(
            workflows=self.sorted_workflows(), page_path=page_path, reference=REFERENCE_PAGE
        )

    def page(self, workflow: WorkflowDef) -> str:
        return (
            environment()
            .get_template("workflow.md.j2")
            .render(
                workflow=workflow,
                inputs=self.input_rows(workflow),
                outputs={k: _expression(v) for k, v in (workflow.output_parameters or {}).items()},
                diagram=mermaid(flowchart(workflow)),
                calls=self.calls(workflow),
                callers=self.callers(workflow.name),
                triggers=[t for t in self.triggers if t.workflow == workflow.name],
                tasks=[self.row(placed) for placed in walk(workflow.tasks)],
                page_path=page_path,
            )
        )

    def input_rows(self, workflow: WorkflowDef) -> list[InputRow]:
        """Each declared input with its type and description (from the input model) and its
        default (the inputTemplate the server applies to every start)."""
        fields = {field.name: field for field in self.inputs.get(workflow.name, ())}
        template = workflow.input_template or {}
        rows = []
        for name in workflow.input_parameters or []:
            field = fields.get(name)
            default = template.get(name)
            rows.append(
                InputRow(
                    name,
                    field.type if field else None,
                    field.required if field else False,
                    None if name not in template else json.dumps(default, ensure_ascii=False),
                    field.description if field else None,
                )
            )
        return rows

    def calls(self, workflow: WorkflowDef) -> list[CallRow]:
        rows = []
        failure = workflow.failure_workflow
        if failure and not failure.startswith("$"):
            link = page_path(failure) if failure in self.names else None
            version = (
                None
                if workflow.failure_workflow_version is None
                else str(workflow.failure_workflow_version)
            )
            how = "failure workflow: the server starts it when this one fails or times out"
            rows.append(CallRow(None, failure, version, how, link))
        for placed in walk(workflow.tasks):
            call = called_workflow(placed.task)
            if call is not None:
                link = page_path(call.workflow) if call.workflow in self.names else None
                ref = placed.task.task_reference_name
                rows.append(CallRow(ref, call.workflow, call.version, call.how, link))
        return rows

    def callers(self, name: str) -> list[CallRow]:
        """The tasks of other workflows that run this one, so each page links both ways."""
        rows = []
        for caller in self.sorted_workflows():
            for row in self.calls(caller):
                if row.workflow == name:
                    link = page_path(caller.name)
                    rows.append(CallRow(row.reference, caller.name, None, row.how, link))
        return rows

    def row(self, placed: Placed) -> TaskRow:
        task = placed.task
        definition = task_definition(task, self.taskdefs)
        return TaskRow(
            reference=task.task_reference_name,
            type=task.type,
            endpoint=http_endpoint(task),
            retries=retry_policy(task, definition),
            timeout=timeout(definition),
            where=_where(placed),
        )


def _expression(value: Any) -> str:
    """An output as written: `${...}` strings as they are, anything else as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _where(placed: Placed) -> tuple[str, str] | None:
    if placed.parent is None or placed.branch is None:
        return None
    branch = placed.branch
    texts = {
        "case": f"case {json.dumps(branch.label, ensure_ascii=False)}",
        "default": "default case",
        "fork": f"branch {branch.label}",
        "loop": "loop body",
    }
    return placed.parent.task_reference_name, texts[branch.kind]

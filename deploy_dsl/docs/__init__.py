"""Docs generated from the compiled definitions: Markdown pages with Mermaid flowcharts."""

from deploy_dsl.docs.flowchart import END_ID, START_ID, cluster_id, flowchart, mermaid, node_id
from deploy_dsl.docs.pages import UnknownWorkflow, readme_diagram, render_docs

__all__ = [
    "END_ID",
    "START_ID",
    "UnknownWorkflow",
    "cluster_id",
    "flowchart",
    "mermaid",
    "node_id",
    "readme_diagram",
    "render_docs",
]

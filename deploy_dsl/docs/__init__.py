"""Docs generated from the compiled definitions: Markdown pages with Mermaid flowcharts."""

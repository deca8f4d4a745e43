"""This repository's workflows and task definitions, one module per workflow."""

"""Shared pieces of the invalid definitions (each module is one broken workflow)."""

from pydantic import BaseModel

from deploy_dsl.dsl import Simple

OWNER = "owner@example.com"


class In(BaseModel):
    scope: str


def step(name: str) -> Simple:
    """A helper as definitions write them: the task is located at the helper's caller."""
    return Simple(name)

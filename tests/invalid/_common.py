"""Shared pieces of the invalid definitions (each module is one broken workflow)."""

from pydantic import BaseModel

OWNER = "owner@example.com"


class In(BaseModel):
    scope: str

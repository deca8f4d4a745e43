"""The exceptions deploy-dsl raises; each names the bad value and where it came from."""

from __future__ import annotations

__all__ = ["DefinitionError", "DeployDslError", "UnknownField"]


class DeployDslError(Exception):
    """Base of every error this package raises on purpose."""


class DefinitionError(DeployDslError, ValueError):
    """A definition was written wrong (bad argument to a builder)."""


class UnknownField(DefinitionError, AttributeError):
    """A typed reference was asked for a field its schema does not have (a typo)."""

"""Checks of builder arguments at the line that wrote them (pure).

Type hints say what a builder takes, but a definition module is not type-checked before it is
imported; a wrong type would otherwise surface later, far from the mistake, as a traceback in
the compiler. One of these turns it into a DefinitionError naming the builder and the argument.
"""

from __future__ import annotations

from typing import Any

from deploy_dsl.errors import DefinitionError

__all__ = ["require"]


def require(owner: str, argument: str, value: Any, *types: type, optional: bool = False) -> None:
    """Raises DefinitionError unless `value` is one of `types` (None too if `optional`).

    `bool` is never accepted as an `int`: `version=True` is a mistake, not version 1.
    """
    if value is None and optional:
        return
    boolean_as_int = isinstance(value, bool) and bool not in types
    if boolean_as_int or not isinstance(value, types):
        wanted = " or ".join(t.__name__ for t in types) + (" or None" if optional else "")
        raise DefinitionError(
            f"{owner}: {argument} must be {wanted}, got {type(value).__name__} {value!r:.60}"
        )

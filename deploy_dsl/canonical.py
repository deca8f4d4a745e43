"""Canonical JSON: the one byte form build/ is written in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pydantic_core
from pydantic import BaseModel

__all__ = ["canonical_json", "canonical_model_json"]


def canonical_json(value: Any) -> str:
    """Two-space indent, UTF-8 text, keys in the order given, a trailing newline.

    Key order comes from the wire models' field order (not sorted), so the JSON reads in the
    order a reviewer thinks about a task: identity, inputs, then structure. The bytes equal
    `json.dumps(value, indent=2, ensure_ascii=False)`, whose indenting encoder is pure Python;
    pydantic-core's serialiser writes the same text several times faster.
    """
    return pydantic_core.to_json(value, indent=2).decode("utf-8") + "\n"


def canonical_model_json(value: BaseModel | Sequence[BaseModel]) -> str:
    """`canonical_json(dump(model))` for a wire model or a list of them, the same bytes.

    Serialised straight from the models (camelCase keys, unset fields left out), without the
    dict `dump` builds first: that copy was about half of writing a compiled workflow.
    """
    json = pydantic_core.to_json(value, indent=2, by_alias=True, exclude_none=True)
    return json.decode("utf-8") + "\n"

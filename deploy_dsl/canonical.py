"""Canonical JSON: the one byte form build/ is written in."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["canonical_json"]


def canonical_json(value: Any) -> str:
    """Two-space indent, UTF-8 text, keys in the order given, a trailing newline.

    Key order comes from the wire models' field order (not sorted), so the JSON reads in the
    order a reviewer thinks about a task: identity, inputs, then structure.
    """
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"

"""Comparing what a builder writes with the JSON it should reproduce."""

from __future__ import annotations

import json
from typing import Any

from deploy_dsl.task import CompileOptions

__all__ = ["OPTIONS", "json_diff", "same_json"]

# The options `deploy-dsl build` compiles with: the import must equal the source under them.
OPTIONS = CompileOptions()


def same_json(left: Any, right: Any) -> bool:
    """Equal as JSON text (so 1, 1.0 and true differ), whatever the key order."""
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


def json_diff(source: dict[str, Any], built: dict[str, Any]) -> dict[str, Any]:
    """The top-level fields to set so `built` equals `source`: None removes a field."""
    keys = list(source) + [key for key in built if key not in source]
    return {
        key: source.get(key)
        for key in keys
        if key not in source or key not in built or not same_json(source[key], built[key])
    }

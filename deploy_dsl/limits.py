"""Limits that the builders, the validator, the importer and the JSON loader share, so that they
agree about the same definition."""

from __future__ import annotations

from typing import Final

__all__ = ["MAX_NAME_BYTES", "MAX_NESTING", "MAX_VERSION", "MIN_VERSION"]

# Task lists nested in task lists (cases, branches, loop bodies). Deployment workflows nest a
# handful deep; past this the JSON nests some 150 levels, near what parsers and serializers
# (Python's recursion, Jackson's nesting limit) accept, so it is refused with a clear message.
MAX_NESTING: Final = 50
# A workflow's name becomes a file name (`build/workflows/<name>.json`): file systems allow
# 255 bytes, and the suffix needs a few.
MAX_NAME_BYTES: Final = 200
# WorkflowDef.version is a Java int.
MIN_VERSION: Final = -(2**31)
MAX_VERSION: Final = 2**31 - 1

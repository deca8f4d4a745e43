"""Limits that the builders, the validator, the importer and the JSON loader share, so that they
agree about the same definition.

Every tool that reads or writes definitions walks them recursively somewhere (pydantic's models,
the validator, the importer's code generator, the JSON encoder), and each fails its own way when
a definition nests too deep: a RecursionError from Python, "Maximum serialization depth
exceeded" from pydantic-core, "too many nested parentheses" from CPython's parser. These limits
sit inside all of them, so that what is too deep is refused up front with one clear message.
`too_deep` finds where a parsed JSON value passes a depth limit without recursing itself, so it
works on any input, however deep.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = [
    "MAX_DEFINITION_FILE_BYTES",
    "MAX_INPUT_FILE_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_NAME_BYTES",
    "MAX_NESTING",
    "MAX_VERSION",
    "MIN_VERSION",
    "json_pointer",
    "too_deep",
]

# Task lists nested in task lists (cases, branches, loop bodies). Deployment workflows nest a
# handful deep; past this the JSON nests some 150 levels, near what parsers and serializers
# (Python's recursion, Jackson's nesting limit) accept, so it is refused with a clear message.
MAX_NESTING: Final = 50
# How deep a JSON file read by `validate` and `import` may nest (objects and arrays, the
# document itself level 1). A definition nested MAX_NESTING deep takes three JSON levels per
# task level (task, `decisionCases` or `forkTasks`, the branch's list): 150, plus room for the
# values of its deepest tasks. It stays below pydantic-core's serialization limit of 255
# levels (build/ is written through it), below the 200 nested brackets of CPython's parser
# (each JSON level is one bracket in the modules `import` writes), and far below the 1000 of
# Python's json module (a RecursionError) and of the server's Jackson parser
# (StreamReadConstraints.DEFAULT_MAX_DEPTH in Conductor 3.32.x).
MAX_JSON_DEPTH: Final = 3 * MAX_NESTING + 20
# A workflow's name becomes a file name (`build/workflows/<name>.json`): file systems allow
# 255 bytes, and the suffix needs a few.
MAX_NAME_BYTES: Final = 200
# A Conductor JSON file that `validate` and `import` read. Reading and importing take time and
# memory in proportion (a 50 MB file took 27 s and 2.3 GB to import), so a file over this is
# refused before it is read. The largest workflow of Conductor's own test corpus
# (tests/data/conductor) is 13 KB and the largest of this project's build/ 13 KB too.
MAX_DEFINITION_FILE_BYTES: Final = 4 * 1024 * 1024
# A workflow input read by `run --input`: the server fails a workflow whose input passes
# 10240 KB (ConductorProperties.maxWorkflowInputPayloadSizeThreshold in Conductor 3.32.3).
MAX_INPUT_FILE_BYTES: Final = 10240 * 1024
# WorkflowDef.version is a Java int.
MIN_VERSION: Final = -(2**31)
MAX_VERSION: Final = 2**31 - 1


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> tuple[str | int, ...] | None:
    """The path (keys and indexes) of the first object or array nested deeper than `limit`
    levels in `value`, or None when it is within the limit. `value` itself is level 1."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            children: list[tuple[str | int, Any]] = list(item.items())
        elif isinstance(item, list):
            children = list(enumerate(item))
        else:
            continue
        if len(path) >= limit:
            return path
        stack.extend((child, (*path, key)) for key, child in reversed(children))
    return None


def json_pointer(path: tuple[str | int, ...], shown: int = 6) -> str:
    """`#/tasks/0/inputParameters/...`: a JSON pointer to `path`, its first `shown` steps only
    (a pointer to level 170 would fill a screen)."""
    steps = [str(step).replace("~", "~0").replace("/", "~1") for step in path[:shown]]
    more = ["..."] if len(path) > shown else []
    return "#/" + "/".join([*steps, *more]) if path else "#"

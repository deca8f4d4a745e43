"""How deep definitions may nest: one set of limits for `validate`, `build` and `import`.

Every tool that reads or writes definitions walks them recursively somewhere (pydantic's models,
the validator, the importer's code generator, the JSON encoder), and each one fails differently
when a definition is nested too deep: a RecursionError from Python, "Maximum serialization depth
exceeded" from pydantic-core. These limits sit well inside all of them, so that a definition
too deep is refused up front with one clear message, the same one everywhere, instead of
whichever tool happens to break first.

- ``MAX_NESTING = 32``: how deep tasks may sit inside one another. A workflow's own tasks are
  at level 1; the tasks of a SWITCH case, a fork branch or a DO_WHILE body are one level below
  the task that holds them. Real workflows nest a handful of levels (the seed's deepest is 2).
  The importer spends about ten Python frames per level and broke at about 90 levels under
  Python's default recursion limit of 1000; 32 keeps a margin of three, with room left for the
  values inside the deepest tasks. Each task level costs two or three JSON levels (task,
  ``decisionCases``, the case's list), so 32 levels stay within ``MAX_JSON_DEPTH``.
- ``MAX_JSON_DEPTH = 128``: how deep any JSON document may nest (objects and arrays, counted
  from the document itself as level 1). Half of pydantic-core's serialization limit of 255
  levels, which `build` writes every definition through (canonical JSON); far below the 1000
  levels of the server's own parser (Jackson's ``StreamReadConstraints.DEFAULT_MAX_DEPTH`` in
  Conductor 3.32.x) and of Python's ``json`` module, which raises RecursionError near 1000;
  and below the 200 nested brackets CPython's parser accepts, which the modules `import`
  writes would reach (each JSON level is one bracket there).

- ``MAX_NAME_LENGTH = 200``: the longest workflow name that may become a file name
  (`build/workflows/<name>.json`, `build/docs/<name>.md`, the module `import` writes). Most
  file systems take 255 bytes per file name; 200 leaves room for the suffixes.

`too_deep` finds where a parsed JSON value passes a depth limit without recursing itself, so it
works on any input, however deep.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_JSON_DEPTH", "MAX_NAME_LENGTH", "MAX_NESTING", "json_pointer", "too_deep"]

MAX_NESTING = 32
MAX_JSON_DEPTH = 128
MAX_NAME_LENGTH = 200


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
    (a pointer to level 128 would fill a screen)."""
    steps = [str(step).replace("~", "~0").replace("/", "~1") for step in path[:shown]]
    more = ["..."] if len(path) > shown else []
    return "#/" + "/".join([*steps, *more]) if path else "#"

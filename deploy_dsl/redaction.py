"""The project's redaction rule for execution data (pure): what the dashboard never shows and
what a recording (`deploy-dsl record`) never keeps.

Two parts: the value under any key that names a secret (`password`, `token`, `Authorization`,
`api_key`, `client_secret`, ... anywhere in an input or output, however deep), and the secrets
the caller knows (the Orkes key and secret, the dashboard's token) wherever they appear in a
string. Both become HIDDEN."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

__all__ = ["HIDDEN", "redact"]

HIDDEN = "(hidden)"
# Header and field names that carry credentials by convention (an HTTP task's Authorization
# header, a password in an input). A false positive hides a harmless value: the dashboard's
# reader finds it in Conductor's API, and a replay's mock answers HIDDEN in its place.
_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?$|secret|token|authori[sz]ation|api[-_]?key|private[-_]?key"
    r"|credential|cookie",
    re.IGNORECASE,
)
# Too short to replace inside text without hiding ordinary words.
_SHORTEST_SECRET = 6


def redact(value: Any, secrets: Collection[str] = ()) -> Any:
    """A copy of `value` (JSON data) with secret-named keys' values and known secrets hidden."""
    known = [s for s in secrets if len(s) >= _SHORTEST_SECRET]
    return _redact(value, known)


def _redact(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, Mapping):
        return {
            key: HIDDEN
            if isinstance(key, str) and _SECRET_KEY.search(key) and value[key] not in (None, "")
            else _redact(value[key], secrets)
            for key in value
        }
    if isinstance(value, list | tuple):
        return [_redact(item, secrets) for item in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, HIDDEN)
    return value

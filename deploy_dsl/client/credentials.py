"""The credentials this process holds (key, secret, tokens), so that no text it shows can
carry them, whatever a server sends back: a token endpoint that echoes the request body into
its error, an endpoint that echoes the request headers.

The client registers each credential as it gets one (`hold`, `hold_current` for a token the SDK
renews); the CLI passes everything it prints or logs through `redact` (cli/redaction.py).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable, Iterable

__all__ = ["MASK", "hold", "hold_current", "redact"]

MASK = "***"

_lock = threading.Lock()
_held: set[str] = set()
_current: list[Callable[[], str | None]] = []


def hold(*values: str | None) -> None:
    """Remember credentials to hide from now on (empty and None ones are ignored)."""
    with _lock:
        _held.update(value for value in values if value)


def hold_current(source: Callable[[], str | None]) -> None:
    """Remember where a credential that changes lives (the SDK's token, renewed as it
    expires): its value when text is shown is the one hidden."""
    with _lock:
        _current.append(source)


def redact(text: str) -> str:
    """`text` with every held credential, and the forms a server would echo it in (JSON and
    URL escaping), replaced by MASK."""
    with _lock:
        values = set(_held)
        sources = list(_current)
    values.update(value for source in sources if (value := source()))
    if not values:
        return text
    for form in sorted(_forms(values), key=len, reverse=True):
        if form in text:
            text = text.replace(form, MASK)
    return text


def _forms(values: Iterable[str]) -> set[str]:
    forms: set[str] = set()
    for value in values:
        forms.update(
            {
                value,
                json.dumps(value)[1:-1],
                json.dumps(value, ensure_ascii=False)[1:-1],
                urllib.parse.quote(value, safe=""),
                urllib.parse.quote_plus(value, safe=""),
            }
        )
    return {form for form in forms if form}

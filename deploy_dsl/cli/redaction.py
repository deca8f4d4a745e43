"""Every line the CLI prints or logs goes through `credentials.redact`: standard output and
standard error are wrapped once, when the command line starts, so no message, server answer,
log record or traceback can show the key, the secret or a token, whichever code prints it."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from deploy_dsl.client.credentials import redact

__all__ = ["RedactingStream", "redact_standard_streams"]


class RedactingStream:
    """A text stream that hides held credentials in what is written to it.

    It exposes `encoding` and `errors` but no `buffer`, so click writes text through it
    rather than around it to the binary stream below."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    @property
    def encoding(self) -> str:
        return self._stream.encoding

    @property
    def errors(self) -> str | None:
        return self._stream.errors

    @property
    def buffer(self) -> Any:
        raise AttributeError("buffer")  # text only: bytes would pass unredacted

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._stream.write(redact(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def redact_standard_streams() -> None:
    """Wraps sys.stdout and sys.stderr (once)."""
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)

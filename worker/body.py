"""Reading a step call's body: within a size limit, with a timeout, and never a 500.

Straight from the server's stream rather than through werkzeug: its guarded stream costs
~10 us a call on the hot path, and it turns every read error into the same vague 400.

- Slow bodies. Under gunicorn the socket is taken from ``environ["gunicorn.socket"]`` and
  given a read timeout for the body, so a client that announces ``Content-Length: 100`` and
  sends 4 bytes holds one thread for at most that long, then gets a 408. The timeout bounds
  each wait for more data, as nginx's ``client_body_timeout`` does, not the whole body: a
  client trickling bytes in time can take longer, within the 64 KiB limit.
- Broken bodies. gunicorn frames the body (``Content-Length`` or chunked) and raises its
  ``ParseException`` subclasses from the read when the framing is wrong: a chunk size ``zz``
  or ``-1``, a missing chunk terminator, a bad trailer line. Those are the client's mistake:
  400. gunicorn marks such a connection failed and closes it after the answer.
"""

from __future__ import annotations

import contextlib
import socket
from typing import TYPE_CHECKING

from gunicorn.http.errors import ParseException

from worker.errors import ApiError

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["MAX_BODY_BYTES", "read_body"]

MAX_BODY_BYTES = 64 * 1024


def read_body(environ: WSGIEnvironment, timeout: float) -> bytes:
    """The raw body of the request, at most MAX_BODY_BYTES; ApiError 408, 413 or 400."""
    try:
        length: int | None = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        length = None
    if length is not None and length > MAX_BODY_BYTES:
        raise _too_large()
    if length is None and not environ.get("wsgi.input_terminated"):
        # No length and a server that does not end the stream at the body's end (WSGI's
        # default): reading would wait for the connection to close. There is no body.
        return b""
    sock: socket.socket | None = environ.get("gunicorn.socket")
    previous = sock.gettimeout() if sock is not None else None
    if sock is not None:
        sock.settimeout(timeout)
    try:
        # One byte over the limit tells a chunked body that is too large from one that fits.
        data: bytes = environ["wsgi.input"].read(MAX_BODY_BYTES + 1 if length is None else length)
    except TimeoutError:
        raise ApiError(
            408,
            "request body not received in time",
            {"timeoutSeconds": timeout, "contentLength": length},
        ) from None
    except ParseException as exc:
        raise ApiError(400, "malformed request body", f"{type(exc).__name__}: {exc}") from None
    except OSError as exc:  # the client went away mid-body; the answer is for the log
        raise ApiError(400, "request body could not be read", str(exc)) from None
    finally:
        # Writing the answer keeps the server's own behaviour; a closed socket has none.
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.settimeout(previous)
    if len(data) > MAX_BODY_BYTES:
        raise _too_large()
    if length is not None and len(data) < length:
        raise ApiError(
            400,
            "request body shorter than its Content-Length",
            {"contentLength": length, "received": len(data)},
        )
    return data


def _too_large() -> ApiError:
    return ApiError(413, "request body too large", {"limitBytes": MAX_BODY_BYTES})

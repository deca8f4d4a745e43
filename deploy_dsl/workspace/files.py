"""Reading the user's files, and saying in one line what the operating system refused.

Every command that reads or writes a file the user named (`build --out`, `build --readme`,
`import`, `run --input`, `validate`) turns an OSError or a file that is not UTF-8 into one
line naming the path, what happened and what to do, instead of a traceback.
"""

from __future__ import annotations

import errno
from pathlib import Path

from deploy_dsl.errors import DeployDslError

__all__ = ["FileProblem", "decode_utf8", "os_problem", "read_bytes", "read_text"]

# What a user can do about the errors a build, an import or a run meets on disk.
_ADVICE = {
    errno.ENOSPC: "free some space on that file system, or choose another place",
    errno.EDQUOT: "free some space (a disk quota is full), or choose another place",
    errno.EACCES: "check the permissions of it and of its directory",
    errno.EPERM: "check its permissions and attributes (an immutable file or directory)",
    errno.EROFS: "the file system is read-only: choose a writable place",
    errno.EBUSY: "it is in use (or a mount point): choose another path, or stop what uses it",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a part of the path is a file, not a directory: check the path",
    errno.EISDIR: "it is a directory: name a file",
    errno.ENAMETOOLONG: "choose a shorter name or path",
    errno.EMFILE: "too many open files: raise the limit (ulimit -n) or close other programs",
    errno.EIO: "the device reported an I/O error: check the disk",
}


class FileProblem(DeployDslError):
    """A file or directory could not be read or written; the message says which and why."""


def os_problem(path: Path | str, error: OSError, doing: str) -> str:
    """`cannot write build: No space left on device (ENOSPC); free some space ...`."""
    reason = error.strerror or str(error) or type(error).__name__
    code = errno.errorcode.get(error.errno or 0)
    advice = _ADVICE.get(error.errno or 0)
    shown = f"{reason} ({code})" if code else reason
    return f"cannot {doing} {path}: {shown}" + (f"; {advice}" if advice else "")


def read_bytes(path: Path, *, limit: int | None = None, what: str = "file") -> bytes:
    """The file's bytes; FileProblem when it cannot be read or holds more than `limit` bytes.

    Only `limit + 1` bytes are ever read, so a huge file is refused at once, without filling
    memory."""
    try:
        with path.open("rb") as stream:
            data = stream.read(-1 if limit is None else limit + 1)
    except OSError as error:
        raise FileProblem(os_problem(path, error, f"read {what}")) from error
    if limit is not None and len(data) > limit:
        raise FileProblem(
            f"{path}: the {what} is larger than {_size(limit)}, the most deploy-dsl reads; "
            "split it into smaller files"
        )
    return data


def read_text(path: Path, *, limit: int | None = None, what: str = "file") -> str:
    """The file as UTF-8 text; FileProblem naming the first byte that is not UTF-8."""
    return decode_utf8(read_bytes(path, limit=limit, what=what), str(path), what)


def decode_utf8(data: bytes, shown: str, what: str = "file") -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FileProblem(
            f"{shown}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            f"save the {what} as UTF-8"
        ) from None


def _size(limit: int) -> str:
    mib = limit / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{limit} bytes"

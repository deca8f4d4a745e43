"""What `import` and `run` do with files they cannot use (issue 26, items 1, 7 and 11): one
line naming the path and what to do, never a traceback; an import never writes into the
working directory or a folder of other files; an input over its size bound is refused before
it is read whole."""

from __future__ import annotations

import errno
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from deploy_dsl.cli import main
from deploy_dsl.limits import MAX_DEFINITION_FILE_BYTES, MAX_INPUT_FILE_BYTES
from tests.conftest import REPO_ROOT

WORKFLOW = REPO_ROOT / "build" / "workflows" / "finalize_deployment_v1.json"


def _cli(*args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def _one_error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: "), line
    return line


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"scope": "caf\xe9"}', "not UTF-8 text (byte 0xe9 at offset 14); save the input as"),
        (b'{"scope": ', "not JSON: Expecting value"),
    ],
)
def test_run_input_that_is_not_utf8_or_json_is_one_line(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    source = tmp_path / "input.json"
    source.write_bytes(content)
    line = _one_error_line(_cli("run", "deploy_simple_v1", "--input", str(source)))
    assert line.startswith(f"Error: --input: {source}"), line
    assert expected in line, line


def test_run_input_from_stdin_that_is_not_utf8_is_one_line() -> None:
    line = _one_error_line(_cli("run", "deploy_simple_v1", "--input", "-", stdin=b"\xff{}"))
    assert line == (
        "Error: --input: stdin: not UTF-8 text (byte 0xff at offset 0); save the input as UTF-8"
    )


def test_run_input_that_is_a_directory_or_too_large_is_one_line(tmp_path: Path) -> None:
    line = _one_error_line(_cli("run", "deploy_simple_v1", "--input", str(tmp_path)))
    assert line == (
        f"Error: --input: cannot read input {tmp_path}: Is a directory (EISDIR); it is a "
        "directory: name a file"
    )
    huge = tmp_path / "huge.json"
    with huge.open("wb") as stream:
        stream.truncate(MAX_INPUT_FILE_BYTES + 1)  # sparse: costs no disk
    line = _one_error_line(_cli("run", "deploy_simple_v1", "--input", str(huge)))
    assert line == (
        f"Error: --input: {huge}: the input is larger than 10 MiB, the most deploy-dsl reads; "
        "split it into smaller files"
    )


def test_import_never_writes_into_the_working_directory_or_a_folder_of_other_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "__init__.py").write_text("# mine\n")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine\n")
    for out, says in (
        (".", "it is the working directory"),
        ("mine", "it holds files import did not write (notes.txt)"),
    ):
        line = _one_error_line(_cli("import", str(WORKFLOW), "--out", out, "--force"))
        assert line.startswith(f"Error: refusing to write import output into {out}: "), line
        assert says in line, line
    assert (tmp_path / "__init__.py").read_text() == "# mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["__init__.py", "mine"]
    # A new folder, then that folder again (it carries the import's marker).
    assert _cli("import", str(WORKFLOW), "--out", "pkg").exit_code == 0
    assert _cli("import", str(WORKFLOW), "--out", "pkg", "--force").exit_code == 0


def test_import_on_a_full_disk_is_one_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Path.write_bytes

    def full(self: Path, data: bytes) -> int:
        if self.suffix == ".py":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return original(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    out = tmp_path / "pkg"
    line = _one_error_line(_cli("import", str(WORKFLOW), "--out", str(out)))
    assert line == (
        f"Error: cannot write {out}: No space left on device (ENOSPC); free some space on that "
        "file system, or choose another place; nothing was written"
    )
    assert sorted(tmp_path.iterdir()) == []


@pytest.fixture
def endless_file(tmp_path: Path) -> Iterator[Path]:
    """A named pipe that gives more than the size bound and then never ends: a reader that
    reads to the end hangs; one that stops at the bound answers."""
    fifo = tmp_path / "endless.json"
    os.mkfifo(fifo)
    done = threading.Event()

    def feed() -> None:
        with fifo.open("wb") as stream:
            stream.write(b"[" + b" " * (MAX_DEFINITION_FILE_BYTES + 1024))
            stream.flush()
            done.wait(timeout=120)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    yield fifo
    done.set()
    feeder.join(timeout=10)


def test_import_refuses_a_file_over_the_bound_without_reading_it_whole(
    endless_file: Path, tmp_path: Path
) -> None:
    line = _one_error_line(_cli("import", str(endless_file), "--out", str(tmp_path / "pkg")))
    assert line == (
        f"Error: {endless_file}: the JSON file is larger than 4 MiB, the most deploy-dsl reads; "
        "split it into smaller files"
    )
    assert not (tmp_path / "pkg").exists()


def test_validate_refuses_a_file_over_the_bound(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({"name": "x", "tasks": [], "description": "x" * (5 << 20)}))
    line = _one_error_line(_cli("validate", str(huge)))
    assert "the JSON file is larger than 4 MiB" in line

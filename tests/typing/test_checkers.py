"""mypy and pyright each report every mistake of tests/typing/mistakes.py on its line, and
nothing else: what the editor shows is what the markers say.

Both run with the project's own configuration (pyproject.toml: mypy --strict with pydantic's
plugin, pyright strict on tests/typing), the way `make check` runs them on definitions/.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

MISTAKES = REPO_ROOT / "tests" / "typing" / "mistakes.py"
PYRIGHT = REPO_ROOT / "node_modules" / ".bin" / "pyright"
_MARKER = re.compile(r'# error: "([^"]+)" \(mypy ([\w-]+), pyright (\w+)\)$')


@dataclass(frozen=True)
class Reported:
    line: int
    code: str
    message: str


def _expected() -> dict[int, tuple[str, str, str]]:
    """Line -> (fragment, mypy code, pyright rule), from the markers."""
    lines = MISTAKES.read_text(encoding="utf-8").splitlines()
    return {
        number: (match.group(1), match.group(2), match.group(3))
        for number, line in enumerate(lines, start=1)
        if (match := _MARKER.search(line))
    }


def _mypy() -> list[Reported]:
    mypy = Path(sys.executable).with_name("mypy")
    done = subprocess.run(
        [str(mypy), "--output", "json", str(MISTAKES.relative_to(REPO_ROOT))],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # 1: it found errors, and ran
    found = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return [
        Reported(item["line"], item["code"], item["message"])
        for item in found
        if item["severity"] == "error"
    ]


def _pyright(tmp_path: Path) -> list[Reported]:
    # The project's pyright settings, less the exclude that keeps this module out of
    # `make check`; the repository on the import path, as it is for the project's own run.
    config = tmp_path / "pyrightconfig.json"
    base: dict[str, object] = {"extends": str(REPO_ROOT / "pyproject.toml"), "exclude": []}
    config.write_text(json.dumps({**base, "extraPaths": [str(REPO_ROOT)]}))
    done = subprocess.run(
        [str(PYRIGHT), "--project", str(config), "--outputjson", str(MISTAKES)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # 1: it found errors, and ran
    report = json.loads(done.stdout)
    assert report["summary"]["filesAnalyzed"] == 1, report["summary"]
    return [
        Reported(item["range"]["start"]["line"] + 1, item.get("rule", ""), item["message"])
        for item in report["generalDiagnostics"]
        if item["severity"] == "error"
    ]


def _compare(checker: str, reported: list[Reported], index: int) -> None:
    expected = _expected()
    assert len(expected) >= 4, "the markers of tests/typing/mistakes.py were not found"
    stray = [r for r in reported if r.line not in expected]
    assert not stray, f"{checker} reports errors on lines with no marker: {stray}"
    for line, marker in expected.items():
        fragment, code = marker[0], marker[index]
        on_line = [r for r in reported if r.line == line]
        assert any(r.code == code and fragment in r.message for r in on_line), (
            f"tests/typing/mistakes.py:{line}: {checker} should report {code} naming "
            f"{fragment!r}; it reports {on_line or 'nothing'}"
        )


def test_mypy_reports_each_mistake_at_its_line() -> None:
    _compare("mypy", _mypy(), 1)


def test_pyright_reports_each_mistake_at_its_line(tmp_path: Path) -> None:
    _compare("pyright", _pyright(tmp_path), 2)


@pytest.mark.parametrize("fragment", ["scpoe", "infrastructureID", "input", "optinal"])
def test_the_four_mistakes_of_the_issue_are_among_them(fragment: str) -> None:
    assert fragment in {marker[0] for marker in _expected().values()}

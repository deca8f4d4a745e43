"""The README shows the deploy workflow's diagram as the definitions generate it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deploy_dsl.workspace.build import build_files
from deploy_dsl.workspace.loader import load_project
from deploy_dsl.workspace.readme import ReadmeError, updated_readme
from tests.conftest import REPO_ROOT

README = REPO_ROOT / "README.md"


def test_readme_diagram_is_the_generated_one() -> None:
    compiled, _ = build_files(load_project())
    text = README.read_text(encoding="utf-8")
    assert "<!-- BEGIN deploy-dsl readme_diagram deploy_simple_v1:" in text
    assert updated_readme(text, compiled, README, REPO_ROOT / "build") == text, (
        "README.md's generated diagram is stale: run `make build`"
    )


def test_a_block_is_rewritten_and_the_rest_kept(tmp_path: Path) -> None:
    compiled, _ = build_files(load_project())
    stale = (
        "# Title\n\n<!-- BEGIN deploy-dsl readme_diagram finalize_deployment_v1: generated -->\n"
        "old\n<!-- END deploy-dsl readme_diagram finalize_deployment_v1 -->\n\nafter\n"
    )
    readme = tmp_path / "README.md"
    fresh = updated_readme(stale, compiled, readme, tmp_path / "build")
    assert fresh.startswith("# Title\n\n<!-- BEGIN deploy-dsl readme_diagram finalize_deployment")
    assert fresh.endswith(
        "<!-- END deploy-dsl readme_diagram finalize_deployment_v1 -->\n\nafter\n"
    )
    assert "old\n" not in fresh and "t_notify_success" in fresh
    assert "(build/docs/finalize_deployment_v1.md)" in fresh
    assert updated_readme(fresh, compiled, readme, tmp_path / "build") == fresh


def test_a_block_naming_an_unknown_workflow_is_an_error(tmp_path: Path) -> None:
    compiled, _ = build_files(load_project())
    text = (
        "<!-- BEGIN deploy-dsl readme_diagram gone_v1: x -->\n"
        "<!-- END deploy-dsl readme_diagram gone_v1 -->\n"
    )
    with pytest.raises(ReadmeError, match="names 'gone_v1', which the definitions do not define"):
        updated_readme(text, compiled, tmp_path / "README.md", tmp_path / "build")


def test_readme_starts_with_the_two_commands() -> None:
    head = README.read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert "make demo" in head and "make test" in head


def test_every_validation_code_is_in_the_readme() -> None:
    from deploy_dsl.findings import Code

    section = README.read_text(encoding="utf-8").split("## Validation", 1)[1].split("\n## ", 1)[0]
    listed: set[int] = set()
    for start, end in re.findall(r"DSL(\d+)(?:-(\d+))?", section):
        listed.update(range(int(start), int(end or start) + 1))
    missing = [code.value for code in Code if int(code.value[3:]) not in listed]
    assert not missing, f"README.md's Validation section does not list {missing}"


# Where the README's Python examples come from: files `make check` holds to mypy --strict and
# pyright (strict on definitions/ and tests/typing/), so an example that stops type-checking
# fails there; the replay example is tests/flows/test_replay.py's own test.
TYPE_CHECKED = [
    *sorted((REPO_ROOT / "definitions").glob("*.py")),
    *sorted((REPO_ROOT / "tests" / "typing").glob("readme_*.py")),
    REPO_ROOT / "tests" / "flows" / "test_replay.py",
]
# `# ...` leaves lines out: each part between two is an excerpt on its own.
_ELISION = re.compile(r"\s*# \.\.\.")


def _code_lines(lines: list[str]) -> list[str]:
    """The code of each line, comments and blank lines dropped (an example may say more, or
    less, in its comments than the file it is taken from)."""
    code = (line.split("  # ", 1)[0].rstrip() for line in lines)
    return [line for line in code if line.strip() and not line.lstrip().startswith("#")]


def _excerpts() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    parts: list[list[str]] = []
    for block in re.findall(r"```python\n(.*?)\n```", text, re.DOTALL):
        part: list[str] = []
        for line in block.splitlines():
            if _ELISION.match(line):
                parts.append(part)
                part = []
            else:
                part.append(line)
        parts.append(part)
    return [code for part in parts if (code := _code_lines(part))]


def _within(lines: list[str], excerpt: list[str]) -> bool:
    return any(lines[i : i + len(excerpt)] == excerpt for i in range(len(lines)))


def test_every_python_example_is_code_the_type_checkers_pass() -> None:
    files = {
        path: _code_lines(path.read_text(encoding="utf-8").splitlines()) for path in TYPE_CHECKED
    }
    excerpts = _excerpts()
    assert len(excerpts) >= 3
    for excerpt in excerpts:
        assert any(_within(lines, excerpt) for lines in files.values()), (
            "README.md: this example is not code that make check type-checks "
            "(definitions/, tests/typing/readme_*.py, tests/flows/test_replay.py):\n"
            + "\n".join(excerpt)
        )

"""`python -m bench --json FILE`: the recorded figures, with targets and verdicts, as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench import report

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_figures_are_written_with_their_section_target_and_verdict(tmp_path: Path) -> None:
    report.reset("compile")
    assert report.at_least("compile vs SDK", 3.4, "x", 3) is True
    assert report.at_most("deploy median", 1.52, "s", 1.4) is False
    report.record("rss", 812.0, "MB")
    out = tmp_path / "figures.json"
    report.write_json(out)
    written = json.loads(out.read_text(encoding="utf-8"))["figures"][-3:]
    assert written == [
        {"section": "compile", "name": "compile vs SDK", "value": 3.4, "unit": "x",
         "target": ">= 3x", "met": True},
        {"section": "compile", "name": "deploy median", "value": 1.52, "unit": "s",
         "target": "<= 1.4 s", "met": False},
        {"section": "compile", "name": "rss", "value": 812.0, "unit": "MB",
         "target": None, "met": None},
    ]  # fmt: skip


def test_an_unknown_section_is_a_usage_error() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "compiel"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert run.returncode == 2
    assert "unknown benchmark 'compiel'" in run.stderr

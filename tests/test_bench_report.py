"""`python -m bench --json FILE`: the recorded figures, with targets and verdicts, as JSON; a
section that fails says so in one line and the others still run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import report

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_figures_are_written_with_their_section_target_verdict_and_load(tmp_path: Path) -> None:
    report.reset("compile")
    assert report.at_least("compile vs SDK", 3.4, "x", 3) is True
    assert report.at_most("deploy median", 1.52, "s", 1.4) is False
    report.record("rss", 812.0, "MB")
    out = tmp_path / "figures.json"
    report.write_json(out)
    document = json.loads(out.read_text(encoding="utf-8"))
    written = document["figures"][-3:]
    for figure in written:
        assert isinstance(figure.pop("load"), float)
    assert written == [
        {"section": "compile", "name": "compile vs SDK", "value": 3.4, "unit": "x",
         "target": ">= 3x", "met": True},
        {"section": "compile", "name": "deploy median", "value": 1.52, "unit": "s",
         "target": "<= 1.4 s", "met": False},
        {"section": "compile", "name": "rss", "value": 812.0, "unit": "MB",
         "target": None, "met": None},
    ]  # fmt: skip
    assert document["load"].startswith("load average ")


def test_a_failing_section_says_why_in_one_line_and_keeps_its_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def stops() -> None:
        report.record("before the stop", 1.0, "s")
        raise SystemExit("the flow tests did not run (run 1):\nE   lots of output")

    def crashes() -> None:
        raise KeyError("test_deploy_flow.py::test_renamed")

    report.reset("flows")
    assert report.run_section(stops) == "the flow tests did not run (run 1):"
    assert "lots of output" in capsys.readouterr().out  # the detail is shown above the line
    report.reset("scale")
    assert report.run_section(crashes) == "KeyError: 'test_deploy_flow.py::test_renamed'"
    report.reset("compile")
    assert report.run_section(lambda: None) is None
    out = tmp_path / "figures.json"
    report.write_json(out)
    document = json.loads(out.read_text(encoding="utf-8"))
    assert {"section": "flows", "error": "the flow tests did not run (run 1):"} in document[
        "failed_sections"
    ]
    assert "compile" not in report.failures()
    assert any(f["name"] == "before the stop" for f in document["figures"])


def test_bench_runs_every_section_after_one_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bench.__main__ as bench_main

    ran: list[str] = []

    def broken() -> None:
        ran.append("broken")
        raise RuntimeError("a bug")

    def fine() -> None:
        ran.append("fine")
        report.record("a figure", 2.0, "s")

    monkeypatch.setattr(bench_main, "SECTIONS", {"broken": broken, "fine": fine})
    out = tmp_path / "figures.json"
    monkeypatch.setattr(sys, "argv", ["bench", "--json", str(out)])
    with pytest.raises(SystemExit) as stopped:
        bench_main.main()
    assert ran == ["broken", "fine"]
    assert "bench broken FAILED: RuntimeError: a bug" in capsys.readouterr().out
    assert str(stopped.value.code) == "bench: 1 section(s) failed: broken"
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["figures"][-1]["name"] == "a figure"


def test_an_unknown_section_is_a_usage_error() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "compiel"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert run.returncode == 2
    assert "unknown benchmark 'compiel'" in run.stderr

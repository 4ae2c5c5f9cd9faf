"""The report page opened in headless Chromium (Debian's ``chromium``; scripts/test installs it):
the four plots and a transcript must be in the rendered DOM, and a screenshot is written."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from medsim.cli.main import main


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(
        "headless Chromium is needed to check the report page and was not found: "
        "install it with `apt-get update && apt-get install -y chromium` (scripts/test does this)"
    )


def _headless(browser: str, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_report_page_renders_in_chromium(tmp_path: Path) -> None:
    browser = chromium()
    out = tmp_path / "run"
    argv = ["eval", "--env", "Demo-v0", "--agent", "reference", "--out", str(out), "--trials", "2"]
    assert main(argv + ["--quiet"]) == 0
    page = out / "report.html"
    html = page.read_text()
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing to fetch
    dom = _headless(browser, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = dom.stdout
    for chart in ("success-by-specialty", "task-checkpoint-heatmap", "score-vs-cost", "pass-hat-k"):
        assert f'data-chart="{chart}"' in text, chart
    assert len(re.findall(r'<rect class="bar"', text)) == 2  # two specialties, 100 % each
    assert len(re.findall(r'<rect class="cell"', text)) >= 9
    assert text.count('class="episode"') == 6
    # a transcript: the reference's first call on demo-k-latest and the checkpoint it satisfied
    assert 'data-step="1"><b>step 1: fhir_search</b>' in text
    assert "✓ retrieved</span>" in text
    shot = tmp_path / "report.png"
    res = _headless(browser, "--window-size=1280,1800", f"--screenshot={shot}", page.as_uri())
    assert res.returncode == 0 and shot.stat().st_size > 20_000

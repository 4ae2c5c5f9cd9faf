"""The progress line: done/total, success so far (infra errors not counted), tokens, cost."""

from __future__ import annotations

import io

from medsim.eval.progress import Progress


def test_progress_line_counts() -> None:
    stream = io.StringIO()
    p = Progress(total=4, done=1, successes=1, stream=stream, interval=0.0)
    p.episode(success=False, tokens=1500, cost=0.01, infra=False)
    p.episode(success=None, tokens=0, cost=0.0, infra=True)
    line = p.line()
    assert "3/4" in line and "success 50.0%" in line  # 1 of the 2 graded
    assert "tokens 1.5k" in line and "cost $0.0100" in line and "infra-errors 1" in line
    assert stream.getvalue().count("\n") == 2  # not a terminal: one line per draw (interval 0)
    p.episode(success=True, tokens=2_000_000, cost=1.0, infra=False)
    assert "4/4" in p.line() and "tokens 2.00M" in p.line() and "ETA 0m00s" in p.line()

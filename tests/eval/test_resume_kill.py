"""A ``medsim eval`` subprocess killed with SIGKILL mid-run, then rerun: every episode committed
before the kill is still there unchanged, the rerun completes the rest, nothing is duplicated."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

TRIALS = 60
TASKS = 3  # Demo-v0


def _rows(db: Path) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute(
            "SELECT id, task_id, trial, attempt, status, score, record FROM medsim_episode ORDER BY id"
        ).fetchall()
    except sqlite3.OperationalError:  # table not created yet
        return []
    finally:
        con.close()


def test_sigkill_mid_run_then_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "medsim.cli.main",
        "eval",
        "--env",
        "Demo-v0",
        "--agent",
        "random",
        "--trials",
        str(TRIALS),
        "--concurrency",
        "2",
        "--out",
        str(out),
        "--quiet",
        "--no-report",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    db = out / "results.db"
    deadline = time.monotonic() + 120
    while len(_rows(db)) < 15:
        assert proc.poll() is None, f"eval ended before the kill: {proc.stderr.read()!r}"  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "no progress within 120 s"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = _rows(db)
    assert 15 <= len(before) < TRIALS * TASKS  # killed mid-run

    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    after = _rows(db)
    assert after[: len(before)] == before  # nothing committed was lost or changed
    units = [(r[1], r[2]) for r in after]
    assert len(units) == len(set(units)) == TRIALS * TASKS  # complete, no duplicates
    assert all(r[4] == "done" for r in after)
    assert f"{len(before)} already done" in rerun.stdout

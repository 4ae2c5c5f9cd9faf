"""``medsim tasks list``: suggestions are names that work, and a folder without task files is
an error that says what to do (it used to print "0 task(s)")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def tasks(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "medsim.cli.main", "tasks", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_unknown_suite_suggests_names_that_work() -> None:
    out = tasks("list", "medcalcc")
    assert out.returncode != 0 and "Traceback" not in out.stderr
    known = out.stderr.split("Known suites:", 1)[1]
    assert all(name in known for name in ("demo", "medcalc", "medcalc_ehr"))
    assert "ehr_env" not in out.stderr and "notes_env" not in out.stderr
    for name in ("demo", "medcalc", "medcalc_ehr"):
        assert tasks("list", name).returncode == 0


def test_folder_without_task_files_is_an_error_naming_the_suites() -> None:
    out = tasks("list", "environments/medcalc/tasks")
    assert out.returncode != 0 and "0 task(s)" not in out.stdout
    assert "no task files" in out.stderr and "medcalc, medcalc_ehr" in out.stderr

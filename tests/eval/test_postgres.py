"""The results database on a real PostgreSQL server (started here with pg_ctl, stopped by PID):
episodes land in PostgreSQL, a rerun resumes without redoing, a different config is refused,
and the report reads the run back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from medsim.cli.main import main
from tests.eval.helpers import eval_demo
from tests.eval.pg_server import PgServer


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    try:
        server = PgServer().start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()


def _rows(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as con:
        return con.execute(
            "SELECT task_id, trial, attempt, status, success FROM medsim_episode ORDER BY id"
        ).fetchall()


def test_eval_on_postgres(pg: PgServer, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "o"
    base = ["--db", pg.url, "--run-name", "shared-ref", "--trials", "2"]
    assert eval_demo("reference", out, *base) == 0
    assert json.loads((out / "report.json").read_text())["runs"][0]["name"] == "shared-ref"
    rows = _rows(pg.url)
    assert len(rows) == 6 and all(r[3] == "done" and r[4] for r in rows)
    assert eval_demo("reference", out, *base) == 0
    assert "0 episode(s) run, 6 already done" in capsys.readouterr().out
    assert _rows(pg.url) == rows
    assert eval_demo("reference", out, *base, "--seed", "3") == 2
    assert "another config" in capsys.readouterr().err
    out = tmp_path / "rep"
    assert main(["report", pg.url, "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["runs"][0]["name"] == "shared-ref"
    assert report["runs"][0]["metrics"]["success_rate"] == 1.0

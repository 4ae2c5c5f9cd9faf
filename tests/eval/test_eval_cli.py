"""``medsim eval`` end to end on Demo-v0: reference 100 %, random ~0 %, resume without redoing,
config mismatch refused, infrastructure errors excluded and retried, the OpenAI agent through
the local stub server, and the report files."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import medsim
from medsim.cli.main import main
from medsim.llm.stub_server import StubServer
from tests.agents.conftest import K_TASK, k_latest_text_reply, k_latest_tool_reply
from tests.eval.helpers import eval_demo


def rows(out: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(out / "results.db") as con:
        return con.execute(
            "SELECT id, task_id, trial, attempt, status, success, score, created_at "
            "FROM medsim_episode ORDER BY id"
        ).fetchall()


def test_reference_is_perfect_and_random_near_zero(tmp_path: Path, capsys: Any) -> None:
    ref, rnd = tmp_path / "ref", tmp_path / "rnd"
    assert eval_demo("reference", ref, "--trials", "2") == 0
    assert "success rate 100.0%" in capsys.readouterr().out
    assert eval_demo("random", rnd, "--trials", "3") == 0
    report = json.loads((rnd / "report.json").read_text())
    m = report["runs"][0]["metrics"]
    assert m["episodes"] == 9 and m["success_rate"] == 0.0 and m["mean_score"] < 0.2
    ref_rows = rows(ref)
    assert len(ref_rows) == 6 and all(r[4] == "done" and r[5] == 1 for r in ref_rows)
    ref_report = json.loads((ref / "report.json").read_text())["runs"][0]
    config = ref_report["config"]
    assert (config["agent"], config["env_id"], config["seed"]) == ("reference", "Demo-v0", 0)
    assert config["medsim_version"] == medsim.__version__
    assert re.fullmatch(r"[0-9a-f]{40}", config["git_commit"])  # tests run in a git checkout
    # Demo-v0's task files: two internal_medicine tasks (4 episodes), one endocrinology (2)
    specialty = ref_report["metrics"]["breakdowns"]["specialty"]
    assert {k: v["episodes"] for k, v in specialty.items()} == {
        "internal_medicine": 4,
        "endocrinology": 2,
    }
    assert (ref / "report.html").read_text().startswith("<!DOCTYPE html>")
    capsys.readouterr()
    assert main(["compare", str(ref), str(rnd)]) == 0
    assert "3 shared task(s)" in capsys.readouterr().out


def test_rerun_resumes_and_adds_trials_without_redoing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    base = [
        "eval",
        "--env",
        "Demo-v0",
        "--agent",
        "random",
        "--out",
        str(out),
        "--quiet",
        "--no-report",
    ]
    assert main(base + ["--trials", "1"]) == 0
    first = rows(out)
    assert main(base + ["--trials", "1"]) == 0
    assert rows(out) == first  # nothing redone
    assert main(base + ["--trials", "2"]) == 0
    after = rows(out)
    assert after[: len(first)] == first and len(after) == 6
    assert sorted((r[1], r[2]) for r in after) == sorted({(r[1], r[2]) for r in after})


def test_different_config_is_refused(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "run"
    base = ["eval", "--env", "Demo-v0", "--out", str(out), "--quiet", "--no-report"]
    assert main(base + ["--agent", "random"]) == 0
    before = rows(out)
    assert main(base + ["--agent", "random", "--seed", "7"]) == 2
    err = capsys.readouterr().err
    assert "another config" in err and "seed: stored 0, now 7" in err
    assert main(base + ["--agent", "reference"]) == 2
    assert rows(out) == before


def test_openai_agent_through_stub_end_to_end(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "dummy")
    out = tmp_path / "oa"
    with StubServer(k_latest_tool_reply, usage=(120, 30)) as stub:
        code = main(
            [
                "eval",
                "--env",
                "Demo-v0",
                "--agent",
                f"openai:gpt-4.1-mini@{stub.base_url}",
                "--out",
                str(out),
                "--concurrency",
                "3",
                "--quiet",
                "--reasoning-effort",
                "low",
            ]
        )
    assert code == 0
    assert all(r.get("reasoning_effort") == "low" for r in stub.requests)
    report = json.loads((out / "report.json").read_text())["runs"][0]
    eps = {e["task_id"]: e for e in report["episodes"]}
    assert eps[K_TASK]["success"] is True and eps[K_TASK]["prompt_tokens"] == 240
    assert report["config"]["model"] == "gpt-4.1-mini"
    assert report["metrics"]["cost"]["cost_usd"] > 0
    # the other tasks got the potassium answer: graded as failures, not errors
    assert report["metrics"]["infra_errors"] == [] and report["metrics"]["tasks"] == 3


def test_api_failures_are_infra_errors_then_retried(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "dummy")
    out = tmp_path / "flaky"
    args = [
        "eval",
        "--env",
        "Demo-v0",
        "--tasks",
        K_TASK,
        "--out",
        str(out),
        "--quiet",
        "--max-tries",
        "2",
        "--concurrency",
        "1",
    ]
    with StubServer(k_latest_tool_reply) as stub:
        stub.fail("503", times=2)  # both tries of the first call
        assert main(args + ["--agent", f"openai:gpt-4.1-mini@{stub.base_url}"]) == 1
        report = json.loads((out / "report.json").read_text())["runs"][0]
        assert report["metrics"]["episodes"] == 0  # excluded from scores ...
        infra = report["metrics"]["infra_errors"]
        assert len(infra) == 1 and "LLMError" in infra[0]["error"]  # ... and listed
        assert main(args + ["--agent", f"openai:gpt-4.1-mini@{stub.base_url}"]) == 0
    statuses = [(r[3], r[4]) for r in rows(out)]
    assert statuses == [(0, "infra_error"), (1, "done")]
    report = json.loads((out / "report.json").read_text())["runs"][0]
    assert report["metrics"]["success_rate"] == 1.0 and report["metrics"]["infra_errors"] == []


@pytest.mark.parametrize("kind", ["text", "langchain"])
def test_text_and_langchain_agents_through_stub_cli(
    kind: str, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "dummy")
    reply = k_latest_text_reply if kind == "text" else k_latest_tool_reply
    out = tmp_path / kind
    with StubServer(reply) as stub:
        spec = (
            f"text:openai:gpt-4.1-mini@{stub.base_url}"
            if kind == "text"
            else f"langchain:gpt-4.1-mini@{stub.base_url}"
        )
        argv = ["eval", "--env", "Demo-v0", "--tasks", K_TASK, "--agent", spec, "--out", str(out)]
        assert main(argv + ["--quiet", "--no-report"]) == 0
    assert [r[4:6] for r in rows(out)] == [("done", 1)]
    assert ("tools" in stub.requests[0]) is (kind == "langchain")

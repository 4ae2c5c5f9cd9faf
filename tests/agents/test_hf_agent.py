"""HFAgent on a real tiny GPT-2 built here (no download): its weights make it write a
``<tool_call>`` finishing demo-k-latest, which must be parsed, run and graded — directly and
through ``medsim eval --agent hf:PATH``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch", reason="the local extra (torch) is part of the dev install")

import medsim  # noqa: E402
from medsim.agents.hf_agent import HFAgent  # noqa: E402
from medsim.core.rollout import run_episode  # noqa: E402
from tests.agents.conftest import K_ANSWER, K_TASK  # noqa: E402
from tests.eval.helpers import eval_demo  # noqa: E402
from tests.llm.test_transformers_client import (  # noqa: E402
    random_model,
    scripted_model,
    tokenizer,  # noqa: F401  (fixture)
)


@pytest.fixture(scope="module")
def finishing_model(tokenizer: Any) -> tuple[Any, int]:  # noqa: F811
    """(a model that answers demo-k-latest's first prompt with a finish call, prompt length)."""
    env = medsim.make("Demo-v0")
    _, info = env.reset(options={"task_id": K_TASK})
    env.close()
    probe = HFAgent(random_model(tokenizer), tokenizer)
    prompt = probe.client.render(info["messages"], tools=info["tools"])  # type: ignore[attr-defined]
    n = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    call = json.dumps({"name": "finish", "arguments": {"answer": K_ANSWER}})
    return scripted_model(tokenizer, n, f"<tool_call>{call}</tool_call>"), n


def test_hf_agent_tool_call_is_run_and_graded(
    demo_env: Any,
    tokenizer: Any,  # noqa: F811
    finishing_model: tuple[Any, int],
) -> None:
    model, n = finishing_model
    agent = HFAgent(model, tokenizer, client_options={"max_new_tokens": 120})
    res = run_episode(demo_env, agent, task_id=K_TASK)
    assert res.terminated and res.steps == 1
    assert res.record.answer == K_ANSWER
    # the answer is right but the chart was never read: the 'retrieved' checkpoint fails
    checks = res.record.grade["checkpoints"]  # type: ignore[index]
    assert checks["value"]["status"] == "passed" and checks["retrieved"]["status"] == "failed"
    assert agent.usage.prompt_tokens == n and agent.usage.cost_usd == 0.0


def test_hf_spec_through_medsim_eval(
    tokenizer: Any,  # noqa: F811
    finishing_model: tuple[Any, int],
    tmp_path: Path,
) -> None:
    folder = tmp_path / "tiny"
    finishing_model[0].save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    out = tmp_path / "run"
    assert eval_demo(f"hf:{folder}", out, "--tasks", K_TASK, "--no-report") == 0
    with sqlite3.connect(out / "results.db") as con:
        status, steps, record = con.execute(
            "SELECT status, steps, record FROM medsim_episode"
        ).fetchone()
    assert (status, steps) == ("done", 1)
    assert json.loads(record)["answer"] == K_ANSWER

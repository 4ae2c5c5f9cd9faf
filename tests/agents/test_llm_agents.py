"""OpenAI, LangChain and text-protocol agents through the local OpenAI-compatible stub server
(real openai / langchain-openai code paths, 127.0.0.1 only), and the repeated-error stop."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from medsim.agents.base import GIVE_UP, ErrorStreak
from medsim.agents.langchain_agent import LangChainAgent
from medsim.agents.openai_agent import OpenAIAgent
from medsim.agents.spec import make_agent, model_of
from medsim.agents.text_protocol import TextProtocolAgent
from medsim.core.rollout import run_episode
from medsim.llm.base import RetryPolicy
from medsim.llm.errors import LLMError
from medsim.llm.spec import make_client
from medsim.llm.stub_server import StubServer
from tests.agents.conftest import K_ANSWER, K_TASK, k_latest_text_reply, k_latest_tool_reply

FAST = {"api_key": "dummy", "retry": RetryPolicy(max_tries=2, base_delay=0.0, jitter=0.0)}


def test_openai_agent_solves_k_latest_through_stub(demo_env: Any) -> None:
    with StubServer(k_latest_tool_reply, usage=(100, 20)) as stub:
        agent = OpenAIAgent(
            "gpt-4.1-mini",
            base_url=stub.base_url,
            reasoning_effort="low",
            parallel_tool_calls=False,
            client_options=FAST,
        )
        res = run_episode(demo_env, agent, task_id=K_TASK)
    assert res.score == 1.0 and res.terminated
    assert res.record.answer == K_ANSWER
    first, second = stub.requests
    assert first["reasoning_effort"] == "low" and first["parallel_tool_calls"] is False
    names = [t["function"]["name"] for t in first["tools"]]
    assert names == ["fhir_search", "fhir_read", "fhir_create", "finish"]
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    # the second request carries the env's transcript: our call and the Bundle it returned
    roles = [m["role"] for m in second["messages"]]
    assert roles == ["system", "user", "assistant", "tool"]
    assert second["messages"][3]["tool_call_id"] == "call_s"
    assert '"resourceType": "Bundle"' in second["messages"][3]["content"]
    assert (agent.usage.prompt_tokens, agent.usage.completion_tokens, agent.usage.calls) == (
        200,
        40,
        2,
    )
    assert agent.usage.cost_usd > 0  # gpt-4.1-mini has a price row


def test_openai_agent_async_twin(demo_env: Any) -> None:
    with StubServer(k_latest_tool_reply) as stub:
        agent = OpenAIAgent("m", base_url=stub.base_url, client_options=FAST)
        agent.reset()
        obs, info = demo_env.reset(options={"task_id": K_TASK})
        done = False
        while not done:
            action = asyncio.run(agent.aact(obs, info))
            obs, _, term, trunc, info = demo_env.step(action)
            done = term or trunc
    assert info["reward_breakdown"]["score"] == 1.0
    assert len(stub.requests) == 2


def test_langchain_agent_solves_k_latest_through_stub(demo_env: Any) -> None:
    with StubServer(k_latest_tool_reply, usage=(7, 3)) as stub:
        agent = LangChainAgent.openai("gpt-4.1-mini", base_url=stub.base_url, client_options=FAST)
        res = run_episode(demo_env, agent, task_id=K_TASK)
    assert res.score == 1.0
    assert [t["function"]["name"] for t in stub.requests[0]["tools"]][0] == "fhir_search"
    assert agent.usage.total_tokens == 20


def test_text_protocol_agent_through_stub(demo_env: Any) -> None:
    with StubServer(k_latest_text_reply) as stub:
        client = make_client(f"openai:gpt-4.1-mini@{stub.base_url}", **FAST)
        agent = TextProtocolAgent(client)
        res = run_episode(demo_env, agent, task_id=K_TASK)
    assert res.score == 1.0
    assert "tools" not in stub.requests[0]
    assert "FINISH([answer1" in stub.requests[0]["messages"][0]["content"]
    # the env's reply to GET comes back as a user turn
    assert stub.requests[1]["messages"][-1]["role"] == "user"
    assert "Bundle" in stub.requests[1]["messages"][-1]["content"]


def test_agent_stops_on_repeated_identical_errors(demo_env: Any) -> None:
    bad = {"tool_calls": [{"name": "no_such_tool", "arguments": {}}]}
    with StubServer(default_reply=bad) as stub:
        agent = OpenAIAgent("m", base_url=stub.base_url, client_options=FAST)
        res = run_episode(demo_env, agent, task_id=K_TASK)
    # three unknown-tool errors, then the agent finishes without asking the model again
    assert len(stub.requests) == 3
    assert res.terminated and res.steps == 4 and res.score == 0.0
    assert agent.stop_reason == "repeated_error: unknown_tool"


def test_error_streak_counts_only_identical_errors() -> None:
    streak = ErrorStreak(2)
    a = {"type": "fhir_error", "message": "x"}
    assert not streak.see(a)
    assert not streak.see({"type": "fhir_error", "message": "y"})
    assert not streak.see(None)
    assert not streak.see(a)
    assert streak.see(dict(a))
    with pytest.raises(ValueError):
        ErrorStreak(0)


def test_persistent_api_failure_raises_llm_error(demo_env: Any) -> None:
    with StubServer(default_reply="x") as stub:
        stub.fail("503", times=5)
        agent = OpenAIAgent("m", base_url=stub.base_url, client_options=FAST)
        with pytest.raises(LLMError):
            run_episode(demo_env, agent, task_id=K_TASK)
        assert len(stub.requests) == 2  # max_tries=2, then reported, never an empty answer


def test_make_agent_specs(demo_env: Any) -> None:
    assert type(make_agent("reference", demo_env)).__name__ == "ReferenceAgent"
    assert type(make_agent("random", demo_env, seed=1)).__name__ == "RandomAgent"
    assert model_of("openai:gpt-4.1@http://x/v1") == "gpt-4.1"
    assert model_of("text:openai:gpt-4.1@http://x/v1") == "gpt-4.1"
    assert model_of("reference") is None
    with pytest.raises(ValueError, match="unknown agent kind"):
        make_agent("gpt4", demo_env)
    with pytest.raises(ValueError, match="names no model"):
        make_agent("openai:", demo_env)
    assert GIVE_UP["name"] == "finish"


def test_agent_starts_over_on_a_reset_info_without_reset(demo_env: Any) -> None:
    with StubServer(k_latest_tool_reply) as stub:
        agent = OpenAIAgent("m", base_url=stub.base_url, client_options=FAST)
        for _ in range(2):  # the caller never calls agent.reset()
            obs, info = demo_env.reset(options={"task_id": K_TASK})
            done = False
            while not done:
                obs, _, term, trunc, info = demo_env.step(agent.act(obs, info))
                done = term or trunc
            assert info["reward_breakdown"]["score"] == 1.0
        assert [m["role"] for m in stub.requests[2]["messages"]] == ["system", "user"]
